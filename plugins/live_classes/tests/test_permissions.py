"""Who may do what: every staff route answers 403 to each kind of non-staff, unknown ids 404."""

from __future__ import annotations

import pytest

from lms.extensions import db

# (method, url template) of every staff page; {c} is a class id, {k} the course id.
STAFF_PAGES = [
    ("GET", "/live/courses/{k}/classes/new"),
    ("POST", "/live/courses/{k}/classes/new"),
    ("GET", "/live/classes/{c}/edit"),
    ("POST", "/live/classes/{c}/edit"),
    ("POST", "/live/classes/{c}/start"),
    ("POST", "/live/classes/{c}/end"),
    ("POST", "/live/classes/{c}/cancel"),
    ("GET", "/live/classes/{c}/attendance"),
    ("GET", "/live/classes/{c}/attendance.csv"),
    ("GET", "/live/courses/{k}/attendance-rules"),
    ("POST", "/live/courses/{k}/attendance-rules"),
]

STAFF_API = [
    ("POST", "/api/v1/live/courses/{k}/classes", {"title": "X"}),
    ("PATCH", "/api/v1/live/classes/{c}", {"title": "X"}),
    ("DELETE", "/api/v1/live/classes/{c}", None),
    ("POST", "/api/v1/live/classes/{c}/start", None),
    ("POST", "/api/v1/live/classes/{c}/end", None),
    ("POST", "/api/v1/live/classes/{c}/cancel", None),
    ("GET", "/api/v1/live/classes/{c}/attendance", None),
    ("GET", "/api/v1/live/classes/{c}/attendance.csv", None),
    ("GET", "/api/v1/live/courses/{k}/attendance-rules", None),
    ("PUT", "/api/v1/live/courses/{k}/attendance-rules", {"late_after_minutes": 5}),
]


def _state(app):
    from lms_live_classes.models import AttendanceRules, LiveClass

    with app.app_context():
        return (
            [
                (c.id, c.title, c.status, c.starts_at, c.seats)
                for c in db.session.scalars(db.select(LiveClass).order_by(LiveClass.id))
            ],
            db.session.scalars(db.select(AttendanceRules)).all(),
        )


def _page_call(client, method, url):
    if method == "GET":
        return client.get(url)
    token = client.csrf_token("/live/my-classes")
    data = {"csrf_token": token, "title": "Hijacked", "late_after_minutes": "1"}
    data |= {"present_share": "1", "seats": "1", "duration_minutes": "30"}
    return client.post(url, data=data)


@pytest.mark.parametrize(("method", "template"), STAFF_PAGES)
@pytest.mark.parametrize("who", ["student", "outsider", "other_instructor"])
def test_every_staff_page_answers_403_to_non_staff(
    app, school, signed_in, create_live_class, method, template, who
):
    live = create_live_class(school.course, status="live")
    url = template.format(c=live.id, k=school.course.id)
    before = _state(app)
    r = _page_call(signed_in(getattr(school, who)), method, url)
    assert r.status_code == 403, (who, method, url)
    assert _state(app) == before


@pytest.mark.parametrize(("method", "template"), STAFF_PAGES)
def test_every_staff_page_sends_guests_to_sign_in(
    client, school, create_live_class, method, template
):
    live = create_live_class(school.course)
    url = template.format(c=live.id, k=school.course.id)
    r = client.get(url) if method == "GET" else client.post(url, data={})
    # Guests: to the sign-in page (or refused by CSRF before that for a POST without token).
    assert r.status_code in (302, 400)
    if r.status_code == 302:
        assert "/login" in r.headers["Location"] or "/auth" in r.headers["Location"]


@pytest.mark.parametrize(("method", "template", "body"), STAFF_API)
@pytest.mark.parametrize("who", ["student", "outsider", "other_instructor"])
def test_every_staff_api_operation_answers_403_to_non_staff(
    app, school, signed_in, create_live_class, method, template, body, who
):
    live = create_live_class(school.course, status="live")
    url = template.format(c=live.id, k=school.course.id)
    before = _state(app)
    r = signed_in(getattr(school, who)).api(method, url, json=body)
    assert r.status_code == 403, (who, method, url)
    assert r.get_json()["error"]["code"] == "forbidden"
    assert _state(app) == before


def test_a_teaching_assistant_sees_attendance_but_does_not_schedule(
    app, school, signed_in, create_live_class
):
    live = create_live_class(school.course, status="live")
    assistant = signed_in(school.assistant)
    assert assistant.get(f"/live/classes/{live.id}/attendance").status_code == 200
    assert assistant.get(f"/live/classes/{live.id}/attendance.csv").status_code == 200
    assert assistant.get(f"/live/courses/{school.course.id}/classes/new").status_code == 403
    assert assistant.api("POST", f"/api/v1/live/classes/{live.id}/end").status_code == 403


def test_an_admin_manages_any_course(app, school, signed_in, create_live_class):
    live = create_live_class(school.course)
    admin = signed_in(school.admin)
    assert admin.get(f"/live/classes/{live.id}/edit").status_code == 200
    r = admin.api("POST", f"/api/v1/live/classes/{live.id}/start")
    assert r.status_code == 200 and r.get_json()["status"] == "live"


def test_students_of_other_courses_do_not_see_a_class(app, school, signed_in, create_live_class):
    live = create_live_class(school.course)
    outsider = signed_in(school.outsider)
    for url in (
        f"/live/classes/{live.id}",
        f"/live/classes/{live.id}/calendar.ics",
        f"/live/courses/{school.course.id}/classes",
    ):
        assert outsider.get(url).status_code == 403, url
    for url in (
        f"/api/v1/live/classes/{live.id}",
        f"/api/v1/live/classes/{live.id}/calendar.ics",
        f"/api/v1/live/courses/{school.course.id}/classes",
    ):
        assert outsider.api("GET", url).status_code == 403, url


@pytest.mark.parametrize(
    "url",
    [
        "/live/classes/999999",
        "/live/classes/999999/edit",
        "/live/classes/999999/attendance",
        "/live/classes/999999/attendance.csv",
        "/live/classes/999999/calendar.ics",
        "/live/courses/999999/classes",
        "/live/courses/999999/classes/new",
        "/live/courses/999999/attendance-rules",
        "/live/calendar/not-a-real-token.ics",
        "/api/v1/live/classes/999999",
        "/api/v1/live/classes/999999/attendance",
        "/api/v1/live/classes/999999/attendance.csv",
        "/api/v1/live/classes/999999/calendar.ics",
        "/api/v1/live/courses/999999/classes",
        "/api/v1/live/courses/999999/attendance-rules",
    ],
)
def test_unknown_ids_answer_404(school, signed_in, url):
    r = signed_in(school.admin).get(url)
    assert r.status_code == 404
    if url.startswith("/api/"):
        assert r.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", "/live/classes/999999/start"),
        ("POST", "/live/classes/999999/end"),
        ("POST", "/live/classes/999999/cancel"),
    ],
)
def test_unknown_ids_answer_404_on_actions(school, signed_in, method, url):
    client = signed_in(school.admin)
    r = client.post(url, data={"csrf_token": client.csrf_token("/live/my-classes")})
    assert r.status_code == 404
