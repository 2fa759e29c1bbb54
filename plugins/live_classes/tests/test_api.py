"""The REST API: classes CRUD for staff, list and detail for students, bad input, states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lms.extensions import db


def _body(**overrides):
    data = {
        "title": "Quantum basics",
        "description": "Part one.",
        "starts_at": "2031-06-01T18:00:00+02:00",
        "duration_minutes": 60,
        "seats": 12,
    }
    data.update(overrides)
    return data


def _count(app) -> int:
    from lms_live_classes.models import LiveClass

    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(LiveClass))


def test_staff_create_read_update_and_remove(app, school, signed_in):
    teacher = signed_in(school.instructor)
    url = f"/api/v1/live/courses/{school.course.id}/classes"
    r = teacher.api("POST", url, json=_body())
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["starts_at"].startswith("2031-06-01T16:00:00")  # stored and shown in UTC
    assert (created["status"], created["seats"], created["is_joinable"]) == ("scheduled", 12, False)
    assert "room_name" not in created  # the room's secret is not listed
    class_id = created["id"]

    student = signed_in(school.student)
    listed = student.get(url).get_json()
    assert [c["id"] for c in listed["items"]] == [class_id]
    assert student.get(f"{url}?when=past").get_json()["total"] == 0
    assert student.get(f"/api/v1/live/classes/{class_id}").get_json()["title"] == "Quantum basics"
    assert [c["id"] for c in student.get("/api/v1/live/my-classes").get_json()["items"]] == [
        class_id
    ]

    r = teacher.api("PATCH", f"/api/v1/live/classes/{class_id}", json={"seats": 20, "title": "QB"})
    assert r.status_code == 200 and (r.get_json()["seats"], r.get_json()["title"]) == (20, "QB")

    r = teacher.api("DELETE", f"/api/v1/live/classes/{class_id}")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_cancelled"
    assert teacher.api("POST", f"/api/v1/live/classes/{class_id}/cancel").status_code == 200
    assert teacher.api("DELETE", f"/api/v1/live/classes/{class_id}").status_code == 204
    assert student.get(f"/api/v1/live/classes/{class_id}").status_code == 404


def test_the_states_through_the_api(app, school, signed_in, create_live_class):
    ref = create_live_class(school.course)
    teacher = signed_in(school.instructor)
    base = f"/api/v1/live/classes/{ref.id}"
    r = teacher.api("POST", f"{base}/end")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_live"
    r = teacher.api("POST", f"{base}/start")
    assert r.status_code == 200 and r.get_json()["is_joinable"] is True
    assert teacher.api("POST", f"{base}/start").status_code == 409
    assert teacher.api("POST", f"{base}/cancel").status_code == 409
    # A live class keeps its start time, but its other fields may change.
    r = teacher.api("PATCH", base, json={"starts_at": "2031-01-01T00:00:00Z"})
    assert r.status_code == 422 and "starts_at" in r.get_json()["error"]["fields"]
    assert teacher.api("PATCH", base, json={"seats": 5}).status_code == 200
    r = teacher.api("POST", f"{base}/end")
    assert r.status_code == 200 and r.get_json()["status"] == "ended"
    assert r.get_json()["ended_at"] is not None
    r = teacher.api("PATCH", base, json={"title": "Again"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "class_finished"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"starts_at": "2031-02-30T10:00:00Z"}, "starts_at"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"starts_at": "2031-06-01T18:00:00"}, "starts_at"),  # no offset: ambiguous
        ({"starts_at": "2001-01-01T00:00:00Z"}, "starts_at"),  # in the past
        ({"starts_at": "9999-12-31T23:00:00-05:00"}, "starts_at"),  # beyond any calendar
        ({"starts_at": 1234567890}, "starts_at"),
        ({"seats": 0}, "seats"),
        ({"seats": -1}, "seats"),
        ({"seats": "12"}, "seats"),
        ({"seats": True}, "seats"),
        ({"seats": 10001}, "seats"),
        ({"duration_minutes": 4}, "duration_minutes"),
        ({"duration_minutes": 481}, "duration_minutes"),
        ({"duration_minutes": 30.5}, "duration_minutes"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": None}, "title"),
        ({"description": "x" * 5001}, "description"),
        ({"lesson_id": 999999}, "lesson_id"),
        ({"lesson_id": "abc"}, "lesson_id"),
    ],
)
def test_bad_input_answers_422_naming_the_field_and_saves_nothing(
    app, school, signed_in, overrides, field
):
    r = signed_in(school.instructor).api(
        "POST", f"/api/v1/live/courses/{school.course.id}/classes", json=_body(**overrides)
    )
    assert r.status_code == 422, r.get_json()
    error = r.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]
    assert error["message"]
    assert _count(app) == 0


def test_missing_fields_are_named(app, school, signed_in):
    r = signed_in(school.instructor).api(
        "POST", f"/api/v1/live/courses/{school.course.id}/classes", json={"title": "Only a title"}
    )
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"] == {"starts_at": ["This field is required."]}


def test_guests_get_401(client, school, create_live_class):
    ref = create_live_class(school.course)
    for url in (
        f"/api/v1/live/classes/{ref.id}",
        f"/api/v1/live/courses/{school.course.id}/classes",
        "/api/v1/live/my-classes",
        "/api/v1/live/my-attendance",
    ):
        r = client.get(url)
        assert r.status_code == 401, url
        assert r.get_json()["error"]["code"] == "unauthorized"


def test_the_list_filters_and_orders(app, school, signed_in, create_live_class):
    later = create_live_class(school.course, title="B", starts_in=timedelta(days=2))
    sooner = create_live_class(school.course, title="A", starts_in=timedelta(days=1))
    past = create_live_class(school.course, title="P", starts_in=-timedelta(days=1), status="ended")
    student = signed_in(school.student)
    base = f"/api/v1/live/courses/{school.course.id}/classes"
    assert [c["id"] for c in student.get(f"{base}?when=upcoming").get_json()["items"]] == [
        sooner.id,
        later.id,
    ]
    assert [c["id"] for c in student.get(f"{base}?when=past").get_json()["items"]] == [past.id]
    r = student.get(f"{base}?when=someday")
    assert r.status_code == 422
    assert datetime.fromisoformat(
        student.get(f"/api/v1/live/classes/{past.id}").get_json()["ended_at"]
    ) <= datetime.now(UTC)
