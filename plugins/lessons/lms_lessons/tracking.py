"""Progress as the student's requests report it: checks, completion rules, course progress.

Every change of a student's progress goes through `_record`, which sends
`lesson_started` when it creates the progress row and `lesson_completed` when
it completes the lesson, then lets the catalog recompute the course.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import format_percent
from lms_catalog import get_enrollment, touch_last_lesson

from lms.i18n import _
from lms.models import utcnow
from lms_lessons import progress
from lms_lessons.access import LessonAccess, require_content
from lms_lessons.models import Lesson
from lms_lessons.registry import EXTERNAL, MANUAL, WATCHED, LessonType, get_lesson_type
from lms_lessons.services import LessonError, invalid
from lms_lessons.signals import lesson_completed, lesson_started

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
            _("Only enrolled students have progress. Enrol in this course to track yours."),
            code="not_enrolled",
            status=403,
        )


def _seconds(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid({name: [_("Must be a number of seconds.")]})
    if not 0 <= value <= progress.POSITION_MAX:
        raise invalid(
            {name: [_("Must be between 0 and %(max)d seconds.", max=progress.POSITION_MAX)]}
        )
    return int(value)


def watched_share() -> float:
    from lms.settings import get_setting

    # The declaration keeps it within 1..100 (lms.settings checks every write).
    return int(get_setting("lessons", "watched_share")) / 100


def _touch(found: LessonAccess) -> None:
    enrollment = found.enrollment
    last = enrollment.last_activity_at
    if (
        enrollment.last_lesson_id != found.lesson.id
        or last is None
        or utcnow() - last > TOUCH_EVERY
    ):
        touch_last_lesson(found.user.id, found.course.id, found.lesson.id)


def _real(user: Any) -> Any:
    # Receivers keep what they are sent; hand them the User, not the current_user proxy.
    get = getattr(user, "_get_current_object", None)
    return get() if get is not None else user


def _record(user: Any, lesson: Lesson, via: str, **values: Any) -> tuple[Any, bool]:
    """Upsert progress and send the signals it calls for; return (row, newly completed)."""
    row, newly = progress.record(user.id, lesson, **values)
    # On conflict last_seen_at moves on and started_at stays: equal only when just inserted.
    if row.started_at == row.last_seen_at:
        lesson_started.send(lesson, user=_real(user))
    if newly:
        lesson_completed.send(lesson, user=_real(user), via=via)
    return row, newly


def _finish(found: LessonAccess, row: Any, newly_completed: bool) -> ProgressResult:
    if newly_completed:
        enrollment = progress.update_course_progress(
            found.user.id, found.course.id, last_lesson_id=found.lesson.id
        )
        return ProgressResult(row, enrollment.progress)
    _touch(found)
    return ProgressResult(row, found.enrollment.progress)


def completion_hint(lesson_type: LessonType | None) -> str:
    """What a student reads where a "mark as complete" button would be."""
    if lesson_type is None or lesson_type.completion == MANUAL:
        return ""
    if lesson_type.completion_hint:
        return str(lesson_type.completion_hint)
    if lesson_type.completion == WATCHED:
        share = round(watched_share() * 100)
        return _(
            "This lesson completes by itself once you have watched %(share)s of it.",
            share=format_percent(share / 100),
        )
    return _("This lesson completes once you finish its activity.")


def report(found: LessonAccess, position: Any, watched_seconds: Any) -> ProgressResult:
    """Record a player's report; media lessons complete here by their rule."""
    position = _seconds("position", position)
    watched = _seconds("watched_seconds", watched_seconds)
    lesson_type = get_lesson_type(found.lesson.type)
    complete = bool(
        watched is not None
        and lesson_type is not None
        and lesson_type.completion == WATCHED  # the share is a setting: read it only when needed
        and lesson_type.is_complete(found.lesson, watched, watched_share())
    )
    row, newly = _record(
        found.user,
        found.lesson,
        WATCHED,
        position=position,
        watched_seconds=watched,
        complete=complete,
    )
    return _finish(found, row, newly)


def mark_complete(found: LessonAccess) -> ProgressResult:
    """The student's "mark as complete" (idempotent: a second call changes nothing)."""
    lesson_type = get_lesson_type(found.lesson.type)
    if lesson_type is not None and lesson_type.completion != MANUAL:
        code = (
            "completes_by_watching" if lesson_type.completion == WATCHED else "completes_externally"
        )
        raise LessonError(completion_hint(lesson_type), code=code, status=409)
    row, newly = _record(found.user, found.lesson, MANUAL, complete=True)
    return _finish(found, row, newly)


def mark_started(found: LessonAccess) -> None:
    """Opening a lesson page starts it (and makes it the one to continue from)."""
    if found.can_track:
        _record(found.user, found.lesson, MANUAL)
        _touch(found)


def complete_lesson(user: Any, lesson: Lesson) -> bool:
    """Complete `lesson` for `user`, whatever its completion mode; return True if newly done.

    For other plugins: a passed quiz or an attended class completes its lesson
    with this (the only way an EXTERNAL lesson completes). The student must be
    enrolled (LessonError 403 "not_enrolled" otherwise). Sends
    ``lesson_completed`` (via="external") once, updates the course progress
    (the catalog completes and certifies at 100%); the caller commits.
    """
    enrollment = get_enrollment(user.id, lesson.course_id)
    if enrollment is None or not enrollment.is_active:
        raise LessonError(
            _("Only enrolled students complete lessons."), code="not_enrolled", status=403
        )
    _row, newly = _record(user, lesson, EXTERNAL, complete=True)
    if newly:
        progress.update_course_progress(user.id, lesson.course_id, last_lesson_id=lesson.id)
    return newly
