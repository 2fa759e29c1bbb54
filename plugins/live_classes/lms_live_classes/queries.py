"""Read-only questions: whose classes, which courses, which lessons."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from lms.extensions import db
from lms_live_classes.models import CANCELLED, ENDED, LIVE, SCHEDULED, LiveClass

UPCOMING = (SCHEDULED, LIVE)
PAST = (ENDED, CANCELLED)
PAST_LIMIT = 100


def staff_course_ids(user: Any) -> set[int]:
    from lms_catalog import Course, CourseInstructor

    owned = db.session.scalars(
        select(Course.id).where(Course.owner_id == user.id, Course.deleted_at.is_(None))
    )
    taught = db.session.scalars(
        select(CourseInstructor.course_id).where(CourseInstructor.user_id == user.id)
    )
    return set(owned) | set(taught)


def enrolled_course_ids(user: Any) -> set[int]:
    from lms_catalog import Enrollment

    return set(
        db.session.scalars(
            select(Enrollment.course_id).where(
                Enrollment.user_id == user.id, Enrollment.status == "active"
            )
        )
    )


def user_course_ids(user: Any) -> set[int]:
    """The courses whose classes are the user's: those they teach and those they study."""
    return staff_course_ids(user) | enrolled_course_ids(user)


def classes_of_courses(course_ids: set[int], statuses: tuple[str, ...]) -> list[LiveClass]:
    if not course_ids:
        return []
    stmt = select(LiveClass).where(
        LiveClass.course_id.in_(course_ids), LiveClass.status.in_(statuses)
    )
    if statuses == UPCOMING:
        stmt = stmt.order_by(LiveClass.starts_at, LiveClass.id)
    else:
        stmt = stmt.order_by(LiveClass.starts_at.desc(), LiveClass.id.desc()).limit(PAST_LIMIT)
    return list(db.session.scalars(stmt))


def course_lessons(course_id: int) -> list[Any]:
    """The course's lessons in syllabus order (for the "lesson of the syllabus" choice)."""
    from lms_lessons import Lesson, Section

    return list(
        db.session.scalars(
            select(Lesson)
            .join(Section, Section.id == Lesson.section_id)
            .where(Lesson.course_id == course_id)
            .order_by(Section.position, Section.id, Lesson.position, Lesson.id)
        )
    )


def classes_of_lesson(lesson_id: int) -> list[LiveClass]:
    return list(
        db.session.scalars(
            select(LiveClass)
            .where(LiveClass.lesson_id == lesson_id)
            .order_by(LiveClass.starts_at, LiveClass.id)
        )
    )


def course_titles(course_ids: set[int]) -> dict[int, Any]:
    from lms_catalog import Course

    if not course_ids:
        return {}
    return {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(course_ids)))}


def feed_classes(user: Any) -> list[LiveClass]:
    """What a user's calendar feed shows: their courses' classes, upcoming and recent."""
    from datetime import timedelta

    from lms.models import utcnow

    ids = user_course_ids(user)
    if not ids:
        return []
    since = utcnow() - timedelta(days=90)
    return list(
        db.session.scalars(
            select(LiveClass)
            .where(
                LiveClass.course_id.in_(ids),
                or_(LiveClass.starts_at >= since, LiveClass.status.in_(UPCOMING)),
            )
            .order_by(LiveClass.starts_at, LiveClass.id)
            .limit(1000)
        )
    )
