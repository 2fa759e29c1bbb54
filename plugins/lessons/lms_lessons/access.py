"""Who may see and change what, asked in one place by pages and API alike.

- A course's staff (its instructors and admins) see everything, drafts included,
  and only they edit (another instructor gets 403).
- Everybody else sees published lessons of courses they may view; drafts,
  lessons of a type no installed plugin registers, and courses they may not
  view, do not exist for them (404).
- Lesson content (and file URLs) needs an active enrolment, unless the lesson
  is a free preview (403 otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lms_catalog import Course, get_course, get_course_by_slug, get_enrollment
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound, Unauthorized

from lms.extensions import db
from lms.i18n import _
from lms_lessons.models import Lesson, Section


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


@dataclass
class LessonAccess:
    lesson: Lesson
    course: Course
    user: Any
    enrollment: Any

    @property
    def is_staff(self) -> bool:
        return self.course.is_staff(self.user)

    @property
    def is_enrolled(self) -> bool:
        return self.enrollment is not None and self.enrollment.is_active

    @property
    def can_see_content(self) -> bool:
        return self.is_staff or self.is_enrolled or self.lesson.free_preview

    @property
    def can_track(self) -> bool:
        """Progress is recorded for enrolled students only."""
        return self.is_enrolled


def viewable_course(course: Course | None, user: Any) -> Course:
    """Return the course if `user` may see it, else 404 (existence must not leak)."""
    if course is None or not course.can_view(user):
        raise NotFound()
    return course


def course_by_slug(slug: str, user: Any) -> Course:
    return viewable_course(get_course_by_slug(slug), user)


def editable_course(course: Course | None, user: Any) -> Course:
    """Return the course if `user` may edit it: 404 if they may not see it, 403 if only see."""
    course = viewable_course(course, user)
    if not course.can_edit(user):
        if not _authenticated(user):
            raise Unauthorized()
        raise Forbidden(_("Only this course's instructors can change its lessons."))
    return course


def section_for(section_id: int, user: Any, *, edit: bool) -> tuple[Section, Course]:
    section = db.session.get(Section, section_id)
    if section is None:
        raise NotFound()
    course = get_course(section.course_id)
    course = editable_course(course, user) if edit else viewable_course(course, user)
    return section, course


def lesson_access(lesson_id: int, user: Any) -> LessonAccess:
    """Load a lesson with its course (one statement) and the user's enrolment; 404 if hidden."""
    row = db.session.execute(
        select(Lesson, Course)
        .join(Course, Course.id == Lesson.course_id)
        .where(Lesson.id == lesson_id)
    ).first()
    if row is None:
        raise NotFound()
    lesson, course = row
    viewable_course(course, user)
    staff = course.is_staff(user)
    # Drafts, and lessons whose type's plugin is gone, do not exist for students.
    if not lesson.is_available and not staff:
        raise NotFound()
    enrollment = get_enrollment(user.id, course.id) if _authenticated(user) and not staff else None
    return LessonAccess(lesson, course, user, enrollment)


def lesson_for_edit(lesson_id: int, user: Any) -> tuple[Lesson, Course]:
    access = lesson_access(lesson_id, user)
    editable_course(access.course, user)
    return access.lesson, access.course


def require_content(access: LessonAccess) -> None:
    """403 unless the user may see the lesson's content."""
    if not access.can_see_content:
        if not _authenticated(access.user):
            raise Unauthorized()
        raise Forbidden(_("Enrol in this course to open this lesson."))
