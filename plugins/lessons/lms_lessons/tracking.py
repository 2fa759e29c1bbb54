"""Progress as the student's requests report it: checks, completion rules, course progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from lms_catalog import touch_last_lesson

from lms.models import utcnow
from lms_lessons import progress
from lms_lessons.access import LessonAccess, require_content
from lms_lessons.registry import MANUAL, get_lesson_type
from lms_lessons.services import LessonError, invalid

# Remembering "the last lesson" on every 10-second ping would double the
# statements of a progress update; once a minute per lesson is enough.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass
class ProgressResult:
    row: Any
    course_progress: int | None


def completed_ids(user: Any, course: Any) -> set[int] | None:
    """Ids of the lessons `user` completed in `course` (None for guests and staff)."""
    if not getattr(user, "is_authenticated", False) or course.is_staff(user):
        return None
    rows = progress.progress_for_course(user.id, course.id)
    return {lesson_id for lesson_id, row in rows.items() if row.completed_at is not None}


def require_tracking(found: LessonAccess) -> None:
    """Progress belongs to enrolled students: 403 for everybody else."""
    require_content(found)
    if not found.can_track:
        raise LessonError(
            "Only enrolled students have progress. Enrol in this course to track yours.",
            code="not_enrolled",
            status=403,
        )


def _seconds(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid({name: ["Must be a number of seconds."]})
    if not 0 <= value <= progress.POSITION_MAX:
        raise invalid({name: [f"Must be between 0 and {progress.POSITION_MAX} seconds."]})
    return int(value)


def watched_share() -> float:
    from lms.settings import get_setting

    value = get_setting("lessons", "watched_share")
    try:
        share = float(value) / 100
    except (TypeError, ValueError):
        share = 0.9
    return min(max(share, 0.01), 1.0)


def _touch(found: LessonAccess) -> None:
    enrollment = found.enrollment
    last = enrollment.last_activity_at
    if (
        enrollment.last_lesson_id != found.lesson.id
        or last is None
        or utcnow() - last > TOUCH_EVERY
    ):
        touch_last_lesson(found.user.id, found.course.id, found.lesson.id)


def _finish(found: LessonAccess, row: Any, newly_completed: bool) -> ProgressResult:
    if newly_completed:
        enrollment = progress.update_course_progress(
            found.user.id, found.course.id, last_lesson_id=found.lesson.id
        )
        return ProgressResult(row, enrollment.progress)
    _touch(found)
    return ProgressResult(row, found.enrollment.progress)


def report(found: LessonAccess, position: Any, watched_seconds: Any) -> ProgressResult:
    """Record a player's report; media lessons complete here by their rule."""
    position = _seconds("position", position)
    watched = _seconds("watched_seconds", watched_seconds)
    lesson_type = get_lesson_type(found.lesson.type)
    complete = bool(
        watched is not None
        and lesson_type is not None
        and lesson_type.completion != MANUAL  # the share is a setting: read it only when needed
        and lesson_type.is_complete(found.lesson, watched, watched_share())
    )
    row, newly = progress.record(
        found.user.id, found.lesson, position=position, watched_seconds=watched, complete=complete
    )
    return _finish(found, row, newly)


def mark_complete(found: LessonAccess) -> ProgressResult:
    """The student's "mark as complete" (idempotent: a second call changes nothing)."""
    lesson_type = get_lesson_type(found.lesson.type)
    if lesson_type is not None and lesson_type.completion != MANUAL:
        share = round(watched_share() * 100)
        raise LessonError(
            f"This lesson completes by itself once you have watched {share}% of it.",
            code="completes_by_watching",
            status=409,
        )
    row, newly = progress.record(found.user.id, found.lesson, complete=True)
    return _finish(found, row, newly)


def mark_started(found: LessonAccess) -> None:
    """Opening a lesson page starts it (and makes it the one to continue from)."""
    if found.can_track:
        progress.record(found.user.id, found.lesson)
        _touch(found)
