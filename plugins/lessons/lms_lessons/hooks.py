"""What the lessons plugin puts into the catalog's course page."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user
from markupsafe import Markup

from lms_lessons import services
from lms_lessons.progress import progress_for_course


def course_syllabus(course: Any, enrollment: Any = None, user: Any = None, **_: Any) -> Markup:
    """Sections and lessons with checkmarks: two statements, three with an enrolment."""
    staff = course.is_staff(user)
    sections = services.sections_of(course.id)
    visible = services.ordered_lessons(sections, include_drafts=staff)
    enrolled = enrollment is not None and enrollment.is_active
    completed: set[int] = set()
    if enrolled:
        rows = progress_for_course(enrollment.user_id, course.id)
        completed = {lesson_id for lesson_id, row in rows.items() if row.completed_at}
    # render_template escapes everything it fills in; the hook needs Markup to keep the HTML.
    return Markup(  # noqa: S704
        render_template(
            "lessons/_course_syllabus.html",
            course=course,
            sections=sections,
            include_drafts=staff,
            completed=completed,
            unlocked=staff or enrolled,
            can_edit=course.can_edit(user),
            lesson_total=len(visible),
            section_total=sum(
                1 for s in sections if staff or any(lesson.is_available for lesson in s.lessons)
            ),
            total_seconds=sum(lesson.duration_seconds for lesson in visible),
            preview_total=sum(1 for lesson in visible if lesson.free_preview),
        )
    )


def course_sidebar(course: Any, enrollment: Any = None, user: Any = None, **_: Any) -> str:
    if not course.can_edit(user):
        return ""
    return Markup(render_template("lessons/_course_sidebar.html", course=course))  # noqa: S704


def course_editor(course: Any, **_: Any) -> str:
    """The catalog's course edit page: where the lessons are, and how many."""
    if not course.can_edit(current_user):
        return ""
    sections = services.sections_of(course.id)
    lessons = services.ordered_lessons(sections, include_drafts=True)
    return Markup(  # noqa: S704 - our own rendered template
        render_template(
            "lessons/_course_editor.html",
            course=course,
            section_total=len(sections),
            lesson_total=len(lessons),
            published_total=sum(1 for lesson in lessons if lesson.is_published),
        )
    )
