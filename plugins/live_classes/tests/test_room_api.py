"""Join, leave and waitlist over the JSON API, and the room page's answers to each visitor."""

from __future__ import annotations

import pytest
from lms_live_classes.live_testing import api_token


def _call(client, method, path, token):
    return client.api(method, path, token=token)


def test_join_leave_and_waitlist_over_the_api(app, client, school, create_live_class):
    klass = create_live_class(school.course, status="live", seats=1)
    sam, nia = api_token(app, school.student), api_token(app, school.other_student)
    teacher = api_token(app, school.instructor)
    base = f"/api/v1/live/classes/{klass.id}"

    r = _call(client, "POST", f"{base}/join", sam)
    assert r.status_code == 200 and r.json["state"] == "seated"
    r = _call(client, "POST", f"{base}/join", nia)
    assert (r.json["state"], r.json["position"]) == ("waiting", 1)
    assert _call(client, "POST", f"{base}/join", teacher).json["state"] == "staff"

    mine = _call(client, "GET", f"{base}/waitlist", nia).json
    assert mine["me"]["position"] == 1 and mine["waiting"] == 1 and mine["seated"] == 1
    assert mine["entries"] == []  # only staff see who waits
    staff_view = _call(client, "GET", f"{base}/waitlist", teacher).json
    assert staff_view["entries"] == [
        {"position": 1, "user_id": school.other_student.id, "name": "Nia Newcomer"}
    ]

    assert _call(client, "POST", f"{base}/leave", sam).json["state"] == "none"
    offered = _call(client, "GET", f"{base}/waitlist", nia).json["me"]
    assert offered["state"] == "offered" and offered["offer_expires_in"] > 0
    assert _call(client, "POST", f"{base}/join", nia).json["state"] == "seated"


@pytest.mark.parametrize("who", ["outsider", "other_instructor"])
def test_api_refuses_people_outside_the_course(app, client, school, create_live_class, who):
    klass = create_live_class(school.course, status="live")
    token = api_token(app, getattr(school, who))
    for method, action in (("POST", "join"), ("POST", "leave"), ("GET", "waitlist")):
        r = _call(client, method, f"/api/v1/live/classes/{klass.id}/{action}", token)
        assert r.status_code == 403, (who, action)
        assert r.json["error"]["code"] == "forbidden"


def test_api_refuses_a_class_that_is_not_live(app, client, school, create_live_class):
    token = api_token(app, school.student)
    for status in ("scheduled", "ended"):
        klass = create_live_class(school.course, status=status)
        r = _call(client, "POST", f"/api/v1/live/classes/{klass.id}/join", token)
        assert r.status_code == 409 and r.json["error"]["code"] == "not_live"


def test_api_anonymous_and_unknown_class(app, client, school, create_live_class):
    klass = create_live_class(school.course, status="live")
    assert client.post(f"/api/v1/live/classes/{klass.id}/join").status_code == 401
    r = _call(client, "POST", "/api/v1/live/classes/999999/join", api_token(app, school.student))
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"


def test_room_page_for_each_visitor(app, signed_in, school, create_live_class):
    live = create_live_class(school.course, status="live", title="Optics live")
    scheduled = create_live_class(school.course, title="Later")
    student = signed_in(school.student)
    page = student.get(f"/live/classes/{live.id}/room")
    assert page.status_code == 200 and b"Optics live" in page.data
    assert b'id="roster-summary"' not in page.data  # the roster is for staff
    assert b"This class has no video room" in page.data  # provider "none"
    teacher_page = signed_in(school.instructor).get(f"/live/classes/{live.id}/room")
    assert b'id="roster-summary"' in teacher_page.data

    r = student.get(f"/live/classes/{scheduled.id}/room")
    assert r.status_code == 409 and b"not started yet" in r.data
    r = signed_in(school.outsider).get(f"/live/classes/{live.id}/room")
    assert r.status_code == 403 and b"enrolled" in r.data
    assert student.get("/live/classes/999999/room").status_code == 404


def test_jitsi_room_has_an_unguessable_name_and_moderator_rights_for_staff(
    app, school, create_live_class
):
    import jwt
    from lms_live_classes.models import LiveClass
    from lms_live_classes.room import JitsiRoom, NoRoom

    from lms.extensions import db
    from lms.models import User

    klass = create_live_class(school.course, status="live")
    with app.app_context():
        live_class = db.session.get(LiveClass, klass.id)
        student = db.session.get(User, school.student.id)
        plain = JitsiRoom("https://meet.example.org/").join_config(live_class, student, "student")
        assert plain["url"].startswith(f"https://meet.example.org/{live_class.room_name}#")
        assert len(live_class.room_name) >= 32 and plain["jwt"] is None
        assert plain["moderator"] is False

        signed = JitsiRoom("https://meet.example.org", "school", "s3cret")
        staff_cfg = signed.join_config(live_class, student, "staff")
        claims = jwt.decode(staff_cfg["jwt"], "s3cret", algorithms=["HS256"], audience="jitsi")
        assert claims["room"] == live_class.room_name and claims["moderator"] is True
        assert claims["iss"] == "school" and claims["sub"] == "meet.example.org"
        assert NoRoom().join_config(live_class, student, "staff") is None


def test_the_room_page_and_its_script_speak_the_students_language(
    app, signed_in, school, create_live_class
):
    import json
    import re

    from lms.extensions import db
    from lms.models import User

    with app.app_context():
        db.session.get(User, school.student.id).language = "ar"
        db.session.commit()
    live = create_live_class(school.course, status="live", seats=3)
    page = signed_in(school.student).get(f"/live/classes/{live.id}/room").get_data(as_text=True)
    assert 'dir="rtl"' in page and "جارٍ الاتصال بالحصة…" in page
    # The seat status and the waitlist place, said by room.js, come translated with the page.
    found = re.search(r'<script[^>]*id="lms-i18n"[^>]*>(.*?)</script>', page, re.S)
    strings = json.loads(found.group(1))["strings"]
    assert strings["You are in the class."] == "أنت في الحصة."
    assert len(strings["A seat is free for you: take it within %(num)s second."]) == 6
    assert (
        "%(position)s"
        in strings[
            "The class is full. You are number %(position)s on the waitlist; stay on this page "
            "to be offered a seat."
        ]
    )
