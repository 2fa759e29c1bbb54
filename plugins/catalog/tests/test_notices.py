"""People are told what concerns them: reviewers, instructors, certified students."""

from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.models import Notification


def _notes(app, user) -> list[Notification]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Notification)
                .where(Notification.user_id == user.id)
                .order_by(Notification.id)
            )
        )


def test_submitting_notifies_reviewers_and_deciding_notifies_the_instructor(
    app, make_client, login_as, create_user, worker, smtp_server
):
    admin = create_user(role="admin")
    teacher = create_user(role="instructor", email="teach@example.org")
    author = login_as(make_client(), teacher)
    course = author.api(
        "POST", "/api/v1/courses", json={"title": "Tide Pools", "description_md": "Crabs."}
    ).json
    author.api("POST", f"/api/v1/courses/{course['slug']}/submit")

    (note,) = _notes(app, admin)
    assert note.title == "Course to review: Tide Pools" and note.link == "/admin/catalog/moderation"
    reviewer = login_as(make_client(), admin)
    assert "Course to review: Tide Pools" in reviewer.get("/notifications").text

    # Sent back with feedback: the instructor reads the feedback.
    reviewer.api(
        "POST", f"/api/v1/admin/courses/{course['slug']}/reject", json={"feedback": "Add a quiz."}
    )
    rejected = _notes(app, teacher)[-1]
    assert rejected.title == "Changes requested for Tide Pools" and "Add a quiz." in rejected.body

    author.api("POST", f"/api/v1/courses/{course['slug']}/submit")
    reviewer.api("POST", f"/api/v1/admin/courses/{course['slug']}/approve")
    published = _notes(app, teacher)[-1]
    assert published.title == "Tide Pools is published"
    assert published.link == f"/courses/{course['slug']}"
    worker.run(["mail"])
    subjects = [m["Subject"] for m in smtp_server.wait_for("teach@example.org", count=2)]
    assert "Tide Pools is published" in subjects and "Changes requested for Tide Pools" in subjects


def test_an_application_notifies_the_admins(app, make_client, login_as, create_user):
    admin = create_user(role="admin")
    student = create_user(role="student", name="Kofi Mensah")
    login_as(make_client(), student).submit("/auth/instructor", {"bio": "Ten years of chemistry."})
    (note,) = _notes(app, admin)
    assert note.title == "Instructor application from Kofi Mensah"
    assert note.link == "/auth/admin/applications"


def test_a_certificate_notifies_its_holder(app, make_client, login_as, create_user, create_course):
    teacher = create_user(role="instructor")
    learner = create_user(name="Ada")
    course = create_course(teacher, "Knots")
    login_as(make_client(), learner).api("POST", f"/api/v1/courses/{course.slug}/enroll")
    from lms_catalog import set_course_progress

    with app.app_context():
        code = set_course_progress(learner.id, course.id, 100).certificate.code
        db.session.commit()
    note = _notes(app, learner)[-1]
    assert note.title == "Your certificate for Knots"
    assert note.link == f"/my/certificates/{code}"
