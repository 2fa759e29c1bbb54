"""Instructor applications: students apply, admins approve or reject with a note."""

from __future__ import annotations

from lms.extensions import db
from lms.models import Notification, Role, User
from lms.signals import user_role_changed


def token_for(client, username):
    r = client.application.test_client().post(
        "/api/v1/auth/login", json={"login": username, "password": "correct-horse-battery-staple"}
    )
    return r.json["token"]


def test_apply_and_get_approved_over_the_api(app, client, create_user, smtp_server, worker):
    student = create_user(username="ravi", email="ravi@example.org")
    create_user(username="head", role="admin")
    s_token, a_token = token_for(client, "ravi"), token_for(client, "head")
    r = client.api(
        "POST",
        "/api/v1/instructor-applications",
        json={"bio": "Ten years teaching chemistry.", "links": {"website": "https://ravi.example"}},
        token=s_token,
    )
    assert r.status_code == 201 and r.json["status"] == "pending"
    app_id = r.json["id"]
    mine = client.api("GET", "/api/v1/instructor-applications/mine", token=s_token).json
    assert [a["id"] for a in mine["items"]] == [app_id]
    listed = client.api(
        "GET", "/api/v1/admin/instructor-applications?status=pending", token=a_token
    ).json
    assert listed["total"] == 1 and listed["items"][0]["user"]["username"] == "ravi"

    changes = []

    def heard(sender, **kw):
        changes.append((sender.id, kw["new_role"]))

    user_role_changed.connect(heard)
    try:
        r = client.api(
            "POST",
            f"/api/v1/admin/instructor-applications/{app_id}/approve",
            json={"note": "Welcome aboard"},
            token=a_token,
        )
    finally:
        user_role_changed.disconnect(heard)
    assert r.status_code == 200 and r.json["status"] == "approved"
    assert (student.id, Role.INSTRUCTOR) in changes
    with app.app_context():
        assert db.session.get(User, student.id).role == Role.INSTRUCTOR
        note = db.session.scalar(db.select(Notification).where(Notification.user_id == student.id))
        assert note.title == "Your instructor application was approved"
    worker.run()
    (mail,) = smtp_server.wait_for("ravi@example.org")
    assert "approved" in mail["Subject"]
    # Instructors do not apply again.
    r = client.api("POST", "/api/v1/instructor-applications", json={"bio": "x"}, token=s_token)
    assert r.status_code == 409 and r.json["error"]["code"] == "already_instructor"


def test_reject_needs_a_note_and_the_student_may_reapply(app, client, create_user):
    student = create_user(username="ravi")
    create_user(username="head", role="admin")
    s_token, a_token = token_for(client, "ravi"), token_for(client, "head")
    app_id = client.api(
        "POST", "/api/v1/instructor-applications", json={"bio": "Me"}, token=s_token
    ).json["id"]
    r = client.api(
        "POST", f"/api/v1/admin/instructor-applications/{app_id}/reject", json={}, token=a_token
    )
    assert r.status_code == 422 and "note" in r.json["error"]["fields"]
    r = client.api(
        "POST",
        f"/api/v1/admin/instructor-applications/{app_id}/reject",
        json={"note": "Please add a sample lesson."},
        token=a_token,
    )
    assert r.status_code == 200 and r.json["status"] == "rejected"
    with app.app_context():
        assert db.session.get(User, student.id).role == Role.STUDENT
        note = db.session.scalar(db.select(Notification).where(Notification.user_id == student.id))
        assert note.body == "Please add a sample lesson."
    r = client.api("POST", "/api/v1/instructor-applications", json={"bio": "Me"}, token=s_token)
    assert r.status_code == 201


def test_apply_and_decide_through_the_pages(app, client, make_client, create_user, login_as):
    student = create_user(username="ravi")
    admin = create_user(username="head", role="admin")
    login_as(client, student)
    r = client.submit(
        "/auth/instructor",
        {"bio": "I run the chess club.", "link_website": "https://chess.example"},
    )
    assert r.status_code == 302
    assert "waiting for a decision" in client.get("/auth/instructor").get_data(as_text=True)
    # Students cannot see the admin page.
    assert client.get("/auth/admin/applications").status_code == 403
    boss = make_client()
    login_as(boss, admin)
    page = boss.get("/auth/admin/applications").get_data(as_text=True)
    assert "I run the chess club." in page
    with app.app_context():
        from lms_auth.models import AuthInstructorApplication

        app_id = db.session.scalar(db.select(AuthInstructorApplication.id))
    r = boss.submit(
        f"/auth/admin/applications/{app_id}",
        {"decision": "reject", "note": ""},
        page="/auth/admin/applications",
    )
    assert "Say why" in boss.get("/auth/admin/applications").get_data(as_text=True)
    boss.submit(
        f"/auth/admin/applications/{app_id}",
        {"decision": "approve", "note": "Great"},
        page="/auth/admin/applications",
    )
    with app.app_context():
        assert db.session.get(User, student.id).role == Role.INSTRUCTOR
    assert "You are an instructor" in client.get("/auth/instructor").get_data(as_text=True)
