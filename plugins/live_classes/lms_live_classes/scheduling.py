"""Changes of state of a class: schedule, edit, cancel, start, end.

Every function checks who acts (course staff who may edit the course, or an
admin, through the catalog's ``course_permission``), flushes and sends the
plugin's signals; the request, job or command that called it commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lms_catalog import course_permission, get_course
from sqlalchemy import select, update

from lms.errors import ServiceError
from lms.extensions import db
from lms.i18n import _
from lms.models import utcnow
from lms_live_classes.models import (
    CANCELLED,
    ENDED,
    LIVE,
    SCHEDULED,
    AttendanceInterval,
    LiveClass,
)
from lms_live_classes.signals import class_cancelled, class_ended, class_scheduled, class_started

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
DURATION_MIN = 5
DURATION_MAX = 8 * 60
SEATS_MIN = 1
SEATS_MAX = 10_000
EDITABLE_FIELDS = ("title", "description", "starts_at", "duration_minutes", "seats", "lesson_id")


class LiveClassError(ServiceError):
    """A refused action on a live class."""


# --- lookups and permissions -----------------------------------------------------------


def get_class(class_id: int) -> LiveClass:
    """Return the class, or raise a 404 LiveClassError."""
    live_class = db.session.get(LiveClass, class_id)
    if live_class is None:
        raise LiveClassError(_("This class does not exist."), code="not_found", status=404)
    return live_class


def course_of(live_class: LiveClass) -> Any:
    return get_course(live_class.course_id)


def _signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def can_manage(user: Any, course: Any) -> bool:
    """Schedule, edit, cancel, start and end classes: those who may edit the course."""
    return _signed_in(user) and course_permission(user, course, "edit")


def can_view_attendance(user: Any, course: Any) -> bool:
    """See the roster and the attendance table: those who follow the students' progress."""
    return _signed_in(user) and course_permission(user, course, "view_progress")


def is_staff(user: Any, course: Any) -> bool:
    """Course staff (any role) and admins: they never take a seat."""
    return _signed_in(user) and course_permission(user, course, "view_progress")


def is_student(user: Any, course: Any) -> bool:
    """An active enrolment in the course."""
    from lms_catalog import is_enrolled

    return _signed_in(user) and bool(is_enrolled(user, course))


def can_view(user: Any, live_class: LiveClass, course: Any | None = None) -> bool:
    """See a class: its course's staff and enrolled students."""
    course = course or course_of(live_class)
    return is_staff(user, course) or is_student(user, course)


def require_manage(user: Any, course: Any) -> None:
    if not can_manage(user, course):
        raise LiveClassError(
            _("Only the course's instructors can do this."), code="forbidden", status=403
        )


def require_view(user: Any, live_class: LiveClass) -> Any:
    """Return the class's course, or raise 403 for someone neither staff nor enrolled."""
    course = course_of(live_class)
    if not can_view(user, live_class, course):
        raise LiveClassError(
            _("Only the course's students and staff can see this class."),
            code="forbidden",
            status=403,
        )
    return course


# --- checking input -----------------------------------------------------------------


def invalid_field(field: str, message: str) -> LiveClassError:
    return LiveClassError(message, code="validation_error", status=422, fields={field: [message]})


def _clean(course: Any, data: dict[str, Any], *, creating: bool, current: LiveClass | None) -> dict:
    """Check the fields present in `data`; return the cleaned values."""
    cleaned: dict[str, Any] = {}
    if creating:
        for field in ("title", "starts_at", "duration_minutes", "seats"):
            if data.get(field) is None:
                raise invalid_field(field, _("This field is required."))
    if "title" in data:
        title = (data["title"] or "").strip()
        if not title:
            raise invalid_field("title", _("Give the class a title."))
        if len(title) > TITLE_MAX:
            raise invalid_field(
                "title", _("A title has at most %(num)d characters.", num=TITLE_MAX)
            )
        cleaned["title"] = title
    if "description" in data:
        description = (data["description"] or "").strip()
        if len(description) > DESCRIPTION_MAX:
            raise invalid_field(
                "description",
                _("A description has at most %(num)d characters.", num=DESCRIPTION_MAX),
            )
        cleaned["description"] = description
    if "starts_at" in data:
        starts_at = data["starts_at"]
        if not isinstance(starts_at, datetime) or starts_at.tzinfo is None:
            raise invalid_field("starts_at", _("Give a valid start date and time."))
        unchanged = current is not None and starts_at == current.starts_at
        if not unchanged:
            if current is not None and current.status != SCHEDULED:
                raise invalid_field(
                    "starts_at", _("A class that has started keeps its start time.")
                )
            if starts_at <= utcnow():
                raise invalid_field("starts_at", _("The start must be in the future."))
            if starts_at > utcnow() + timedelta(days=5 * 365):
                raise invalid_field("starts_at", _("The start must be within the next five years."))
        cleaned["starts_at"] = starts_at
    if "duration_minutes" in data:
        duration = data["duration_minutes"]
        if not isinstance(duration, int) or isinstance(duration, bool):
            raise invalid_field("duration_minutes", _("Give the duration in whole minutes."))
        if not DURATION_MIN <= duration <= DURATION_MAX:
            raise invalid_field(
                "duration_minutes",
                _(
                    "The duration must be between %(low)d and %(high)d minutes.",
                    low=DURATION_MIN,
                    high=DURATION_MAX,
                ),
            )
        cleaned["duration_minutes"] = duration
    if "seats" in data:
        seats = data["seats"]
        if not isinstance(seats, int) or isinstance(seats, bool):
            raise invalid_field("seats", _("Give the number of seats as a whole number."))
        if not SEATS_MIN <= seats <= SEATS_MAX:
            raise invalid_field(
                "seats",
                _(
                    "The number of seats must be between %(low)d and %(high)d.",
                    low=1,
                    high=SEATS_MAX,
                ),
            )
        cleaned["seats"] = seats
    if "lesson_id" in data:
        lesson_id = data["lesson_id"]
        if lesson_id in (None, "", 0):
            cleaned["lesson_id"] = None
        else:
            from lms_lessons import LessonError, get_lesson

            try:
                lesson = get_lesson(int(lesson_id))
            except (LessonError, ValueError, TypeError):
                lesson = None
            if lesson is None or lesson.course_id != course.id:
                raise invalid_field("lesson_id", _("Choose a lesson of this course."))
            cleaned["lesson_id"] = lesson.id
    return cleaned


# --- changes of state ---------------------------------------------------------------


def _move(live_class: LiveClass, from_status: str, **values: Any) -> bool:
    """Change the class's state only if it is still `from_status` in the database.

    Two processes (an instructor's click and the auto-end job, two tabs) may try
    the same change at once: the conditional UPDATE lets exactly one through.
    """
    db.session.flush()  # changes made before, so that the refresh below keeps them
    moved = db.session.execute(
        update(LiveClass)
        .where(LiveClass.id == live_class.id, LiveClass.status == from_status)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(live_class)
    return bool(moved)


def create_class(course: Any, actor: Any, data: dict[str, Any]) -> LiveClass:
    """Schedule a class in `course` (times are aware datetimes; stored in UTC)."""
    require_manage(actor, course)
    if course.deleted_at is not None:
        raise LiveClassError(_("This course was deleted."), code="not_found", status=404)
    cleaned = _clean(course, data, creating=True, current=None)
    cleaned.setdefault("description", "")
    live_class = LiveClass(course_id=course.id, created_by_id=actor.id, status=SCHEDULED, **cleaned)
    db.session.add(live_class)
    db.session.flush()
    class_scheduled.send(live_class, actor=actor)
    return live_class


def update_class(live_class: LiveClass, actor: Any, data: dict[str, Any]) -> LiveClass:
    """Change a scheduled or live class; an ended or cancelled class is refused (409)."""
    course = course_of(live_class)
    require_manage(actor, course)
    if live_class.status in (ENDED, CANCELLED):
        raise LiveClassError(
            _("This class has ended or was cancelled; it can no longer be changed."),
            code="class_finished",
            status=409,
        )
    fields = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    cleaned = _clean(course, fields, creating=False, current=live_class)
    if "starts_at" in cleaned and cleaned["starts_at"] != live_class.starts_at:
        # A new time deserves a new reminder.
        live_class.reminder_sent_at = None
    for key, value in cleaned.items():
        setattr(live_class, key, value)
    db.session.flush()
    return live_class


def cancel_class(live_class: LiveClass, actor: Any) -> LiveClass:
    """Cancel a scheduled class and tell its enrolled students (in-app and by mail, in a job)."""
    from lms.tasks import enqueue

    require_manage(actor, course_of(live_class))
    if live_class.status != SCHEDULED or not _move(live_class, SCHEDULED, status=CANCELLED):
        raise LiveClassError(
            _("Only a class that has not started can be cancelled."),
            code="not_scheduled",
            status=409,
        )
    class_cancelled.send(live_class, actor=actor)
    enqueue("lms_live_classes.tasks.notify_cancelled", live_class.id)
    return live_class


def start_class(live_class: LiveClass, actor: Any) -> LiveClass:
    """Open the class: students may join from now on."""
    require_manage(actor, course_of(live_class))
    if live_class.status != SCHEDULED or not _move(
        live_class, SCHEDULED, status=LIVE, started_at=utcnow()
    ):
        raise LiveClassError(
            _("Only a scheduled class can be started."), code="not_scheduled", status=409
        )
    class_started.send(live_class, actor=actor)
    return live_class


def end_class(live_class: LiveClass, actor: Any | None, *, at: datetime | None = None) -> LiveClass:
    """End a live class: close its open attendance intervals, complete the lessons of those
    present. `actor` None is the periodic job (no permission check)."""
    from lms_live_classes.attendance import complete_linked_lesson

    if actor is not None:
        require_manage(actor, course_of(live_class))
    now = at or utcnow()
    if live_class.status != LIVE or not _move(live_class, LIVE, status=ENDED, ended_at=now):
        raise LiveClassError(_("Only a live class can be ended."), code="not_live", status=409)
    close_open_intervals(live_class.id, at=None if actor is None else now)
    db.session.flush()
    class_ended.send(live_class, actor=actor)
    complete_linked_lesson(live_class)
    return live_class


def close_open_intervals(class_id: int, *, at: datetime | None = None) -> int:
    """Close the class's open intervals at `at`, or (None) at each one's last heartbeat."""
    rows = db.session.scalars(
        select(AttendanceInterval).where(
            AttendanceInterval.class_id == class_id, AttendanceInterval.left_at.is_(None)
        )
    ).all()
    for interval in rows:
        interval.left_at = max(interval.joined_at, at or interval.last_seen_at)
    return len(rows)
