"""Lessons as a public API: signals, complete_lesson, external completion, hooks, player_context.

The "quiz" lesson type and the hooks are added, as another plugin would add
them, to an app of their own (sharing the test database), so that the app
every other test uses keeps only the built-in types.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from markupsafe import Markup

from lms.extensions import db
from lms.state import lms_state
from lms.testing.clients import FormClient

player_calls: list[tuple[Any, ...]] = []


def _text(response) -> str:
    return response.get_data(as_text=True)


def _quiz_context(lesson: Any, course: Any, user: Any) -> dict[str, Any]:
    player_calls.append((lesson.id, course.id, user.id))
    return {"quiz_greeting": f"Quiz {lesson.title} of {course.title} for {user.display_name}"}


def _hook(name: str):
    def render(**kwargs: Any) -> Markup:
        shown = ",".join(f"{k}={getattr(v, 'id', v)}" for k, v in sorted(kwargs.items()))
        return Markup('<div data-hook="{}">{}</div>').format(name, shown)

    return render


@pytest.fixture
def quiz_app(test_config: dict[str, Any]) -> Iterator[Flask]:
    """An app where a plugin added an EXTERNAL "quiz" type and fills the lesson/course hooks."""
    from jinja2 import ChoiceLoader, DictLoader
    from lms_lessons import EXTERNAL, LessonType, register_lesson_type

    from lms.app import create_app

    other = create_app(dict(test_config))
    register_lesson_type(
        other,
        LessonType(
            name="quiz",
            label="Quiz",
            player_template="quiz/player.html",
            completion=EXTERNAL,
            completion_hint="Pass the quiz to complete this lesson.",
            player_context=_quiz_context,
        ),
    )
    other.jinja_loader = ChoiceLoader(  # type: ignore[assignment]
        [
            DictLoader({"quiz/player.html": "<p data-quiz>{{ quiz_greeting }}</p>"}),
            other.jinja_loader,
        ]
    )
    hooks = lms_state(other).hooks
    for name in (
        "lesson-before-content",
        "lesson-after-content",
        "lesson-sidebar",
        "course-after-syllabus",
    ):
        hooks.add(name, _hook(name), plugin="quiz")
    other.test_client_class = FormClient
    player_calls.clear()
    yield other
    with other.app_context():
        db.engine.dispose()


def _client(quiz_app: Flask, user: Any = None) -> FormClient:
    from lms.sessions import new_session_key

    client = quiz_app.test_client()
    if user is not None:
        with quiz_app.app_context():
            key = new_session_key(user.id)  # a signed-in browser session, as login_as makes
            db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = f"{user.id}.{key}"
            session["_fresh"] = True
    return client  # type: ignore[return-value]


@pytest.fixture
def quiz_course(quiz_app, school, create_course, create_section, create_lesson, create_enrolment):
    """A course with one text lesson and one quiz lesson; the student is enrolled."""
    from lms_lessons import get_lesson, services

    course = create_course(school.instructor, title="Botany")
    section = create_section(course)
    reading = create_lesson(section, "Reading")
    with quiz_app.app_context():
        quiz = services.create_lesson(
            services.get_section(section),
            {"type": "quiz", "title": "Roots quiz", "status": "published"},
        )
        db.session.commit()
        quiz_id = quiz.id
        assert get_lesson(quiz_id).type == "quiz"
    create_enrolment(school.student, course)
    return course, reading, quiz_id


# --- signals ------------------------------------------------------------------------


def test_opening_a_lesson_sends_lesson_started_once(
    app, school, create_course, create_section, create_lesson, create_enrolment, as_user
):
    from lms_lessons import lesson_started

    course = create_course(school.instructor)
    lesson = create_lesson(create_section(course), "First steps")
    create_enrolment(school.student, course)
    student = as_user(school.student)
    heard: list[tuple[str, int]] = []

    def receiver(sender, user, **_kwargs):
        heard.append((sender.title, user.id))

    with lesson_started.connected_to(receiver):
        assert student.get(f"/lessons/{lesson}").status_code == 200
        assert student.get(f"/lessons/{lesson}").status_code == 200
        as_user(school.instructor).get(f"/lessons/{lesson}")  # staff have no progress
    assert heard == [("First steps", school.student.id)]


def test_completing_lessons_sends_lesson_completed_then_course_completed(
    app, school, create_course, create_section, create_lesson, create_enrolment, as_user
):
    from lms_catalog import course_completed
    from lms_lessons import lesson_completed

    course = create_course(school.instructor)
    section = create_section(course)
    first, last = create_lesson(section, "One"), create_lesson(section, "Two")
    create_enrolment(school.student, course)
    student = as_user(school.student)
    heard: list[tuple[str, ...]] = []

    def on_lesson(sender, user, via, **_kwargs):
        heard.append(("lesson", sender.title, via))

    def on_course(sender, **_kwargs):
        heard.append(("course", sender.user_id, sender.progress))

    with lesson_completed.connected_to(on_lesson), course_completed.connected_to(on_course):
        student.submit(f"/lessons/{first}/complete")
        student.submit(f"/lessons/{first}/complete")  # again: nothing new
        student.api("POST", f"/api/v1/lessons/{last}/complete")
    assert heard == [
        ("lesson", "One", "manual"),
        ("lesson", "Two", "manual"),
        ("course", school.student.id, 100),
    ]


def test_deleting_a_lesson_or_its_section_sends_lesson_deleted_while_the_row_exists(
    app, school, create_course, create_section, create_lesson, as_user
):
    from lms_lessons import Lesson, lesson_deleted

    course = create_course(school.instructor)
    first_section, second_section = create_section(course, "A"), create_section(course, "B")
    alone = create_lesson(first_section, "Alone")
    create_lesson(second_section, "Left 1")
    create_lesson(second_section, "Left 2")
    owner = as_user(school.instructor)
    heard: list[tuple[str, bool]] = []

    def receiver(sender, **_kwargs):
        heard.append((sender.title, db.session.get(Lesson, sender.id) is not None))

    with lesson_deleted.connected_to(receiver):
        assert owner.api("DELETE", f"/api/v1/lessons/{alone}").status_code == 204
        assert owner.api("DELETE", f"/api/v1/sections/{second_section}").status_code == 204
    assert sorted(heard) == [("Alone", True), ("Left 1", True), ("Left 2", True)]


# --- external completion, complete_lesson, player_context, hooks ---------------------------


def test_external_lesson_shows_no_complete_button_and_refuses_marking(
    quiz_app, school, quiz_course
):
    _course, _reading, quiz = quiz_course
    student = _client(quiz_app, school.student)
    page = _text(student.get(f"/lessons/{quiz}"))
    assert "Mark as complete" not in page
    assert "Pass the quiz to complete this lesson." in page

    r = student.api("POST", f"/api/v1/lessons/{quiz}/complete")
    assert r.status_code == 409 and r.json["error"]["code"] == "completes_externally"
    assert r.json["error"]["message"] == "Pass the quiz to complete this lesson."
    r = student.submit(f"/lessons/{quiz}/complete", page=f"/lessons/{quiz}")
    assert r.status_code == 302
    after = _text(student.get(f"/lessons/{quiz}"))
    assert "You completed this lesson" not in after


def test_complete_lesson_completes_an_external_lesson_and_then_the_course(
    quiz_app, school, quiz_course
):
    from lms_catalog import course_completed, get_enrollment
    from lms_lessons import LessonError, complete_lesson, get_lesson, lesson_completed

    from lms.models import User

    course, reading, quiz = quiz_course
    student = _client(quiz_app, school.student)
    student.api("POST", f"/api/v1/lessons/{reading}/complete")
    heard: list[tuple[str, ...]] = []

    def on_lesson(sender, user, via, **_kwargs):
        heard.append(("lesson", sender.title, user.email, via))

    def on_course(sender, **_kwargs):
        heard.append(("course", sender.course_id))

    with (
        quiz_app.app_context(),
        lesson_completed.connected_to(on_lesson),
        course_completed.connected_to(on_course),
    ):
        user = db.session.get(User, school.student.id)
        assert complete_lesson(user, get_lesson(quiz)) is True
        assert complete_lesson(user, get_lesson(quiz)) is False  # once only
        db.session.commit()
        with pytest.raises(LessonError) as refused:
            complete_lesson(db.session.get(User, school.other_student.id), get_lesson(quiz))
        assert refused.value.status == 403
        db.session.rollback()
        enrollment = get_enrollment(school.student.id, course.id)
        assert enrollment.progress == 100 and enrollment.certificate is not None
    assert heard == [
        ("lesson", "Roots quiz", school.student.email, "external"),
        ("course", course.id),
    ]
    page = _text(student.get(f"/lessons/{quiz}"))
    assert "You completed this lesson" in page


def test_player_context_receives_the_lesson_the_course_and_the_user(quiz_app, school, quiz_course):
    course, _reading, quiz = quiz_course
    page = _text(_client(quiz_app, school.student).get(f"/lessons/{quiz}"))
    assert player_calls == [(quiz, course.id, school.student.id)]
    assert f"Quiz Roots quiz of Botany for {school.student.display_name}" in page


def test_lesson_and_course_pages_offer_hooks_with_their_arguments(quiz_app, school, quiz_course):
    course, reading, _quiz = quiz_course
    student = _client(quiz_app, school.student)
    page = _text(student.get(f"/lessons/{reading}"))
    with quiz_app.app_context():
        from lms_catalog import get_enrollment

        enrollment_id = get_enrollment(school.student.id, course.id).id
    shown = (
        f"course={course.id},enrollment={enrollment_id},lesson={reading},user={school.student.id}"
    )
    before = page.index('data-hook="lesson-before-content"')
    content = page.index('data-testid="lesson-content"')
    after = page.index('data-hook="lesson-after-content"')
    sidebar = page.index('data-hook="lesson-sidebar"')
    assert before < content < after < sidebar
    assert page.count(shown) == 3

    course_page = _text(student.get(f"/courses/{course.slug}"))
    syllabus = course_page.index('id="syllabus"')
    hook = course_page.index('data-hook="course-after-syllabus"')
    assert syllabus < hook
    assert f"course={course.id},enrollment={enrollment_id},user={school.student.id}" in course_page


# --- lessons of a type nobody registers any more ---------------------------------------------


@pytest.fixture
def orphaned(app, school, create_course, create_section, create_lesson, create_enrolment):
    """A published course whose plugin-provided "retired_quiz" lesson's plugin was uninstalled."""
    from lms_lessons import Lesson, get_lesson

    course = create_course(school.instructor, title="Botany")
    section = create_section(course)
    reading = create_lesson(section, "Reading")
    with app.app_context():
        row = get_lesson(reading)
        orphan = Lesson(
            section_id=section,
            course_id=course.id,
            type="retired_quiz",
            title="Old quiz",
            position=2,
            status="published",
            content={},
        )
        db.session.add(orphan)
        db.session.commit()
        orphan_id = orphan.id
        assert row is not None
    create_enrolment(school.student, course)
    return course, section, reading, orphan_id


def test_students_do_not_see_lessons_of_an_uninstalled_type(school, orphaned, as_user):
    course, section, reading, orphan = orphaned
    student = as_user(school.student)
    course_page = _text(student.get(f"/courses/{course.slug}"))
    assert "Reading" in course_page and "Old quiz" not in course_page
    assert "1 lesson in 1 section" in course_page
    lesson_page = student.get(f"/lessons/{reading}")
    assert lesson_page.status_code == 200 and "Old quiz" not in _text(lesson_page)
    assert 'rel="next"' not in _text(lesson_page)

    assert student.get(f"/lessons/{orphan}").status_code == 404
    assert student.api("GET", f"/api/v1/lessons/{orphan}").status_code == 404
    progress = student.api("POST", f"/api/v1/lessons/{orphan}/progress", json={"position": 1})
    assert progress.status_code == 404
    sections = student.api("GET", f"/api/v1/courses/{course.slug}/sections").json
    assert [x["title"] for x in sections["items"][0]["lessons"]] == ["Reading"]
    listed = student.api("GET", f"/api/v1/sections/{section}/lessons").json
    assert [x["title"] for x in listed["items"]] == ["Reading"]

    # The hidden lesson does not hold the course back either.
    r = student.api("POST", f"/api/v1/lessons/{reading}/complete")
    assert r.json["course_progress"] == 100


def test_staff_see_that_the_lesson_type_is_not_installed(school, orphaned, as_user):
    course, section, _reading, orphan = orphaned
    owner = as_user(school.instructor)
    course_page = _text(owner.get(f"/courses/{course.slug}"))
    assert "Old quiz" in course_page and "Type not installed" in course_page

    r = owner.get(f"/lessons/{orphan}")
    assert r.status_code == 200
    page = _text(r)
    assert "This lesson&#39;s type is not installed" in page or (
        "This lesson's type is not installed" in page
    )
    assert "retired_quiz" in page
    assert 'data-testid="lesson-content"' not in page and "Mark as complete" not in page

    editor = _text(owner.get(f"/courses/{course.slug}/curriculum"))
    assert "Type not installed" in editor
    edit = owner.get(f"/lessons/{orphan}/edit")
    assert edit.status_code == 200 and 'data-testid="type-not-installed"' in _text(edit)

    listed = owner.api("GET", f"/api/v1/sections/{section}/lessons").json["items"]
    assert [(x["title"], x["type_installed"]) for x in listed] == [
        ("Reading", True),
        ("Old quiz", False),
    ]
    one = owner.api("GET", f"/api/v1/lessons/{orphan}").json
    assert one["type_installed"] is False and one["completion"] is None
