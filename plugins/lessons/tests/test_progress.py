"""Progress: idempotent updates, completion never backwards, course progress and certificate."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from lms.extensions import db


@pytest.fixture
def course_with_three(school, create_course, create_section, create_lesson, create_enrolment):
    course = create_course(school.instructor)
    section = create_section(course)
    lessons = [create_lesson(section, f"L{i}") for i in range(3)]
    create_lesson(section, "Draft", status="draft")  # drafts do not count
    create_enrolment(school.student, course)
    return course, lessons


def test_progress_updates_are_idempotent_and_watched_never_drops(
    school, course_with_three, as_user
):
    _course, (first, *_rest) = course_with_three
    api = as_user(school.student)
    r1 = api.api(
        "POST", f"/api/v1/lessons/{first}/progress", json={"position": 30, "watched_seconds": 30}
    )
    assert r1.status_code == 200, r1.json
    r2 = api.api(
        "POST", f"/api/v1/lessons/{first}/progress", json={"position": 30, "watched_seconds": 30}
    )
    assert r2.json["started_at"] == r1.json["started_at"]
    assert (r2.json["position"], r2.json["watched_seconds"]) == (30, 30)
    r3 = api.api(
        "POST", f"/api/v1/lessons/{first}/progress", json={"position": 5, "watched_seconds": 10}
    )
    assert r3.json["position"] == 5 and r3.json["watched_seconds"] == 30
    assert r3.json["completed"] is False  # text lessons complete by "mark as complete" only
    lesson = api.api("GET", f"/api/v1/lessons/{first}").json
    assert lesson["progress"]["position"] == 5


def test_completing_every_lesson_gives_100_and_a_certificate(
    school, course_with_three, as_user, app
):
    course, lessons = course_with_three
    api = as_user(school.student)
    r = api.api("POST", f"/api/v1/lessons/{lessons[0]}/complete")
    assert r.json["completed"] and r.json["course_progress"] == 33
    again = api.api("POST", f"/api/v1/lessons/{lessons[0]}/complete")
    assert again.json["completed_at"] == r.json["completed_at"]  # idempotent
    api.api("POST", f"/api/v1/lessons/{lessons[1]}/complete")
    r = api.api("POST", f"/api/v1/lessons/{lessons[2]}/complete")
    assert r.json["course_progress"] == 100
    # Progress after completion never moves completion backwards.
    r = api.api(
        "POST", f"/api/v1/lessons/{lessons[2]}/progress", json={"position": 0, "watched_seconds": 0}
    )
    assert r.json["completed"] is True
    with app.app_context():
        from lms_catalog import get_enrollment

        enrollment = get_enrollment(school.student.id, course.id)
        assert enrollment.completed_at is not None and enrollment.certificate is not None
        assert enrollment.last_lesson_id == lessons[2]


def test_sections_list_shows_checkmarks_for_the_student(school, course_with_three, as_user):
    course, lessons = course_with_three
    api = as_user(school.student)
    api.api("POST", f"/api/v1/lessons/{lessons[1]}/complete")
    items = api.api("GET", f"/api/v1/courses/{course.slug}/sections").json["items"][0]["lessons"]
    assert [x["completed"] for x in items] == [False, True, False]


def test_only_enrolled_students_have_progress(
    school, course_with_three, create_course, create_section, create_lesson, as_user
):
    _course, lessons = course_with_three
    # A student who is not enrolled: 403 (content is locked) ...
    r = as_user(school.other_student).api("POST", f"/api/v1/lessons/{lessons[0]}/complete")
    assert r.status_code == 403
    # ... staff see content but are not students of their own course.
    r = as_user(school.instructor).api("POST", f"/api/v1/lessons/{lessons[0]}/complete")
    assert r.status_code == 403 and r.json["error"]["code"] == "not_enrolled"
    # A free preview is open, but progress still needs an enrolment.
    other = create_course(school.instructor)
    preview = create_lesson(create_section(other), "Preview", free_preview=True)
    r = as_user(school.student).api(
        "POST", f"/api/v1/lessons/{preview}/progress", json={"position": 1}
    )
    assert r.status_code == 403


def test_bad_progress_values_are_refused(school, course_with_three, as_user):
    _course, lessons = course_with_three
    api = as_user(school.student)
    for body in (
        {"position": -1},
        {"position": "10"},
        {"watched_seconds": 10**9},
        {"position": True},
        {"speed": 2},
    ):
        r = api.api("POST", f"/api/v1/lessons/{lessons[0]}/progress", json=body)
        assert r.status_code == 422, body
    r = api.api("GET", f"/api/v1/lessons/{lessons[0]}")
    assert r.json["progress"] is None  # nothing was recorded


def test_a_progress_update_is_cheap(school, course_with_three, as_user, app):
    _course, lessons = course_with_three
    api = as_user(school.student)
    api.api(
        "POST", f"/api/v1/lessons/{lessons[0]}/progress", json={"position": 1, "watched_seconds": 1}
    )
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    token = api.csrf_token()
    event.listen(engine, "before_cursor_execute", count)
    try:
        r = api.post(
            f"/api/v1/lessons/{lessons[0]}/progress",
            json={"position": 11, "watched_seconds": 11},
            headers={"X-CSRFToken": token},
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert r.status_code == 200
    upserts = [s for s in statements if "lessons_progress" in s]
    assert len(upserts) == 1 and "ON CONFLICT" in upserts[0]
    # user, lesson+course, instructors, enrolment, upsert
    statements = [s for s in statements if not s.startswith(("BEGIN", "COMMIT"))]
    assert len(statements) <= 5, statements


def test_watched_lessons_complete_by_their_rule(
    app, school, create_course, create_section, create_enrolment, as_user
):
    """A media type from another plugin completes at the configured share (default 90%)."""
    from lms_lessons import WATCHED, LessonType, get_lesson_type, register_lesson_type

    if get_lesson_type("test_media", app) is None:
        register_lesson_type(
            app,
            LessonType(
                name="test_media",
                label="Test media",
                player_template="lessons/types/text.html",
                completion=WATCHED,
            ),
        )
    course = create_course(school.instructor)
    section = create_section(course)
    owner = as_user(school.instructor)
    r = owner.api(
        "POST",
        f"/api/v1/sections/{section}/lessons",
        json={
            "type": "test_media",
            "title": "Clip",
            "duration_seconds": 100,
            "status": "published",
        },
    )
    lesson = r.json["id"]
    create_enrolment(school.student, course)
    api = as_user(school.student)
    assert api.api("POST", f"/api/v1/lessons/{lesson}/complete").status_code == 409
    r = api.api(
        "POST", f"/api/v1/lessons/{lesson}/progress", json={"position": 89, "watched_seconds": 89}
    )
    assert r.json["completed"] is False
    r = api.api(
        "POST", f"/api/v1/lessons/{lesson}/progress", json={"position": 90, "watched_seconds": 90}
    )
    assert r.json["completed"] is True and r.json["course_progress"] == 100


def test_course_progress_follows_published_lessons_in_the_worker(
    app, school, course_with_three, create_progress, as_user, worker
):
    course, lessons = course_with_three
    student, owner = as_user(school.student), as_user(school.instructor)
    create_progress(school.student, lessons[0])
    create_progress(school.student, lessons[1])
    assert student.api("GET", f"/api/v1/courses/{course.slug}/progress").json["progress"] == 66

    # A new published lesson: 2 of 4 done.
    section = owner.api("GET", f"/api/v1/courses/{course.slug}/sections").json["items"][0]["id"]
    r = owner.api(
        "POST",
        f"/api/v1/sections/{section}/lessons",
        json={
            "type": "text",
            "title": "Extra",
            "status": "published",
            "content": {"markdown": "More."},
        },
    )
    assert worker.run() >= 1
    assert student.api("GET", f"/api/v1/courses/{course.slug}/progress").json["progress"] == 50

    # Removing the two lessons left to do completes the course and issues the certificate.
    owner.api("DELETE", f"/api/v1/lessons/{r.json['id']}")
    owner.api("PATCH", f"/api/v1/lessons/{lessons[2]}", json={"status": "draft"})
    worker.run()
    progress = student.api("GET", f"/api/v1/courses/{course.slug}/progress").json
    assert progress["progress"] == 100 and progress["certificate_code"]
