"""Calendar files: one per class and each user's secret feed, read back with `icalendar`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from lms.extensions import db


def _events(body: bytes) -> list:
    cal = Calendar.from_ical(body)
    assert str(cal["VERSION"]) == "2.0" and cal["PRODID"]
    return list(cal.walk("VEVENT"))


def test_the_ics_of_a_class_imports(app, school, signed_in, create_live_class):
    start = datetime(2031, 5, 1, 16, 0, tzinfo=UTC)
    ref = create_live_class(
        school.course,
        title="Thermodynamics",
        description="Bring a calculator.",
        starts_at=start,
        duration_minutes=45,
    )
    r = signed_in(school.student).get(f"/live/classes/{ref.id}/calendar.ics")
    assert r.status_code == 200
    assert r.mimetype == "text/calendar"
    assert "attachment" in r.headers["Content-Disposition"]
    [event] = _events(r.data)
    assert str(event["SUMMARY"]) == "Thermodynamics"
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == start + timedelta(minutes=45)
    assert str(event["UID"]) == f"live-class-{ref.id}@localhost"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "Bring a calculator." in str(event["DESCRIPTION"])
    assert "Physics" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == f"http://localhost/live/classes/{ref.id}"

    # The API serves the same file; the class's JSON links to it.
    api = signed_in(school.student)
    data = api.get(f"/api/v1/live/classes/{ref.id}").get_json()
    assert data["ics_url"] == f"http://localhost/api/v1/live/classes/{ref.id}/calendar.ics"
    r = api.get(f"/api/v1/live/classes/{ref.id}/calendar.ics")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    assert [str(e["UID"]) for e in _events(r.data)] == [f"live-class-{ref.id}@localhost"]


def test_the_secret_feed_lists_the_users_classes_and_can_be_replaced(
    app, school, signed_in, client, create_live_class, create_course
):
    mine = create_live_class(school.course, title="Mine")
    cancelled = create_live_class(school.course, title="Called off", status="cancelled")
    other_course = create_course(school.other_instructor, title="Biology")
    create_live_class(other_course, title="Not mine")

    student = signed_in(school.student)
    page = student.get("/live/my-classes").get_data(as_text=True)
    feed_url = page.split('id="feed-url"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    assert feed_url.startswith("http://localhost/live/calendar/") and feed_url.endswith(".ics")
    path = feed_url.removeprefix("http://localhost")

    r = client.get(path)  # a calendar program: no session, the URL is the secret
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    events = {str(e["SUMMARY"]): e for e in _events(r.data)}
    assert set(events) == {"Mine", "Called off"}
    assert str(events["Called off"]["STATUS"]) == "CANCELLED"
    assert str(events["Mine"]["UID"]) == f"live-class-{mine.id}@localhost"
    assert cancelled.id != mine.id

    # The same address on the next visit; a new one after "Make a new address".
    again = student.get("/live/my-classes").get_data(as_text=True)
    assert feed_url in again
    r = student.submit("/live/calendar/regenerate", page="/live/my-classes")
    assert r.status_code == 302
    assert client.get(path).status_code == 404
    fresh = student.get("/live/my-classes").get_data(as_text=True)
    assert feed_url not in fresh


def test_a_deactivated_users_feed_stops(app, school, signed_in, client):
    from lms.models import User

    page = signed_in(school.student).get("/live/my-classes").get_data(as_text=True)
    path = page.split('id="feed-url"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    path = path.removeprefix("http://localhost")
    assert client.get(path).status_code == 200
    with app.app_context():
        db.session.get(User, school.student.id).is_deactivated = True
        db.session.commit()
    assert client.get(path).status_code == 404
    assert client.get("/live/calendar/" + "x" * 200 + ".ics").status_code == 404
