"""Attendance: from join/leave intervals to minutes, share and a status per student.

Statuses, by the course's rules (``AttendanceRules``; defaults: late after 10
minutes, present at 75 % of the class):

- ``absent``: never joined;
- ``late``: first joined more than ``late_after_minutes`` after the class began;
- ``left early``: joined in time but was there for less than ``present_share`` %;
- ``present``: joined in time and stayed at least ``present_share`` %.

The class "began" when its staff started it (``started_at``), or at its scheduled
time if it never started; it lasts until it ended (``ended_at``), or until now
while it is live. Overlapping intervals (two tabs) count once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from lms.errors import ServiceError
from lms.extensions import db
from lms.i18n import _, _l
from lms.models import User, utcnow
from lms_live_classes.models import (
    DEFAULT_LATE_AFTER_MINUTES,
    DEFAULT_PRESENT_SHARE,
    LIVE,
    AttendanceInterval,
    AttendanceRules,
    LiveClass,
)

PRESENT = "present"
LATE = "late"
LEFT_EARLY = "left early"
ABSENT = "absent"
HISTORY_LIMIT = 500  # a student's history page lists the newest classes up to this many
STATUS_LABELS = {
    PRESENT: _l("Present"),
    LATE: _l("Late"),
    LEFT_EARLY: _l("Left early"),
    ABSENT: _l("Absent"),
}


@dataclass
class Interval:
    joined_at: datetime
    left_at: datetime | None


@dataclass
class StudentAttendance:
    """One student's attendance of one class."""

    user_id: int
    name: str
    email: str
    intervals: list[Interval] = field(default_factory=list)
    seconds: int = 0
    share: float = 0.0  # percent of the class, 0-100
    status: str = ABSENT
    first_joined_at: datetime | None = None

    @property
    def minutes(self) -> int:
        return round(self.seconds / 60)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def attended(self) -> bool:
        """Counted as having taken part (the linked lesson is completed)."""
        return self.status in (PRESENT, LATE) and self.seconds > 0


# --- rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    late_after_minutes: int = DEFAULT_LATE_AFTER_MINUTES
    present_share: int = DEFAULT_PRESENT_SHARE


class RulesError(ServiceError):
    pass


def rules_for(course_id: int) -> Rules:
    row = db.session.get(AttendanceRules, course_id)
    if row is None:
        return Rules()
    return Rules(row.late_after_minutes, row.present_share)


def set_rules(course: Any, actor: Any, late_after_minutes: Any, present_share: Any) -> Rules:
    """Store a course's rules (its instructors); the caller commits."""
    from lms_live_classes.scheduling import require_manage

    require_manage(actor, course)
    for name, value, low, high in (
        ("late_after_minutes", late_after_minutes, 0, 8 * 60),
        ("present_share", present_share, 1, 100),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            message = _("Must be a whole number between %(low)d and %(high)d.", low=low, high=high)
            raise RulesError(message, code="validation_error", status=422, fields={name: [message]})
    row = db.session.get(AttendanceRules, course.id)
    if row is None:
        row = AttendanceRules(course_id=course.id)
        db.session.add(row)
    row.late_after_minutes = late_after_minutes
    row.present_share = present_share
    db.session.flush()
    return Rules(late_after_minutes, present_share)


# --- computing -------------------------------------------------------------------------


def class_window(live_class: LiveClass, now: datetime | None = None) -> tuple[datetime, datetime]:
    """When the class began and ended (now, while it is live)."""
    now = now or utcnow()
    begin = live_class.started_at or live_class.starts_at
    if live_class.ended_at is not None:
        end = live_class.ended_at
    elif live_class.status == LIVE:
        end = now
    else:
        end = live_class.ends_at
    return begin, max(begin, end)


def _merged_seconds(spans: Iterable[tuple[datetime, datetime]]) -> int:
    total = 0.0
    current: tuple[datetime, datetime] | None = None
    for start, end in sorted(spans):
        if current is None or start > current[1]:
            if current is not None:
                total += (current[1] - current[0]).total_seconds()
            current = (start, end)
        else:
            current = (current[0], max(current[1], end))
    if current is not None:
        total += (current[1] - current[0]).total_seconds()
    return int(total)


def compute(
    live_class: LiveClass,
    intervals: list[AttendanceInterval],
    rules: Rules,
    user_id: int,
    name: str = "",
    email: str = "",
    now: datetime | None = None,
) -> StudentAttendance:
    """One student's attendance from their intervals."""
    now = now or utcnow()
    begin, end = class_window(live_class, now)
    result = StudentAttendance(user_id=user_id, name=name, email=email)
    spans = []
    for row in sorted(intervals, key=lambda i: i.joined_at):
        result.intervals.append(Interval(row.joined_at, row.left_at))
        left = row.left_at or (now if live_class.status == LIVE else row.last_seen_at)
        start, stop = max(row.joined_at, begin), min(left, end)
        if stop > start:
            spans.append((start, stop))
    if not result.intervals:
        return result
    result.first_joined_at = result.intervals[0].joined_at
    result.seconds = _merged_seconds(spans)
    length = (end - begin).total_seconds()
    result.share = min(100.0, 100.0 * result.seconds / length) if length > 0 else 0.0
    if result.seconds == 0 and not spans:
        # Joined only outside the class's window (should not happen): counts as absent.
        return result
    if result.first_joined_at > begin + timedelta(minutes=rules.late_after_minutes):
        result.status = LATE
    elif result.share + 1e-9 >= rules.present_share:
        result.status = PRESENT
    else:
        result.status = LEFT_EARLY
    return result


def _staff_ids(course: Any) -> set[int]:
    ids = {link.user_id for link in course.instructor_links}
    if course.owner_id is not None:
        ids.add(course.owner_id)
    return ids


def class_attendance(live_class: LiveClass, now: datetime | None = None) -> list[StudentAttendance]:
    """Every student of the course (active enrolments, and anyone who attended since),
    sorted by name: the attendance table and its CSV."""
    from lms_catalog import Enrollment, get_course

    course = get_course(live_class.course_id)
    staff = _staff_ids(course)
    rules = rules_for(live_class.course_id)
    rows = db.session.scalars(
        select(AttendanceInterval).where(AttendanceInterval.class_id == live_class.id)
    ).all()
    by_user: dict[int, list[AttendanceInterval]] = {}
    for row in rows:
        by_user.setdefault(row.user_id, []).append(row)
    enrolled = set(
        db.session.scalars(
            select(Enrollment.user_id).where(
                Enrollment.course_id == live_class.course_id, Enrollment.status == "active"
            )
        )
    )
    user_ids = (enrolled | set(by_user)) - staff
    users = db.session.scalars(select(User).where(User.id.in_(user_ids))).all() if user_ids else []
    result = [
        compute(live_class, by_user.get(u.id, []), rules, u.id, u.name or u.email, u.email, now)
        for u in users
    ]
    result.sort(key=lambda a: (a.name.casefold(), a.user_id))
    return result


def student_attendance(live_class: LiveClass, user: Any) -> StudentAttendance:
    """One user's attendance of one class (their own line of the table)."""
    rows = db.session.scalars(
        select(AttendanceInterval).where(
            AttendanceInterval.class_id == live_class.id, AttendanceInterval.user_id == user.id
        )
    ).all()
    rules = rules_for(live_class.course_id)
    return compute(live_class, list(rows), rules, user.id, user.name or user.email, user.email)


def student_history(user: Any) -> list[tuple[LiveClass, Any, StudentAttendance]]:
    """A student's attendance of every ended class of the courses they are enrolled in
    (or attended), newest first: (class, course, attendance)."""
    from lms_catalog import Enrollment, get_course

    from lms_live_classes.models import ENDED

    course_ids = set(
        db.session.scalars(select(Enrollment.course_id).where(Enrollment.user_id == user.id))
    )
    attended_ids = set(
        db.session.scalars(
            select(AttendanceInterval.class_id).where(AttendanceInterval.user_id == user.id)
        )
    )
    if not course_ids and not attended_ids:
        return []
    classes = db.session.scalars(
        select(LiveClass)
        .where(
            LiveClass.status == ENDED,
            LiveClass.course_id.in_(course_ids) | LiveClass.id.in_(attended_ids),
        )
        .order_by(LiveClass.starts_at.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    # One query for the user's intervals, one per course for its rules: not one per class.
    mine: dict[int, list[AttendanceInterval]] = {}
    if classes:
        for row in db.session.scalars(
            select(AttendanceInterval).where(
                AttendanceInterval.user_id == user.id,
                AttendanceInterval.class_id.in_([c.id for c in classes]),
            )
        ):
            mine.setdefault(row.class_id, []).append(row)
    rules: dict[int, Rules] = {}
    courses: dict[int, Any] = {}
    out = []
    for live_class in classes:
        cid = live_class.course_id
        if cid not in rules:
            rules[cid], courses[cid] = rules_for(cid), get_course(cid)
        attendance = compute(
            live_class, mine.get(live_class.id, []), rules[cid], user.id, user.name, user.email
        )
        out.append((live_class, courses[cid], attendance))
    return out


def complete_linked_lesson(live_class: LiveClass) -> int:
    """Complete the class's lesson (a "live class" lesson) for each student who attended;
    return how many newly completed. Called when the class ends; the caller commits."""
    if live_class.lesson_id is None:
        return 0
    from lms_lessons import LessonError, complete_lesson, get_lesson

    try:
        lesson = get_lesson(live_class.lesson_id)
    except LessonError:
        return 0
    if lesson is None or lesson.type != "live_class":
        return 0  # only a "live class" lesson completes by attendance
    done = 0
    for attendance in class_attendance(live_class):
        if not attendance.attended:
            continue
        user = db.session.get(User, attendance.user_id)
        try:
            if user is not None and complete_lesson(user, lesson):
                done += 1
        except LessonError:
            continue  # no longer enrolled: nothing to complete
    return done


CSV_COLUMNS = ("student", "email", "status", "minutes", "share_percent", "first_joined_utc",
               "intervals")  # fmt: skip


def _csv_headers() -> list[str]:
    """The column names in the current language (the file a person downloads from the page)."""
    return [
        _("student"),
        _("email"),
        _("status"),
        _("minutes"),
        _("share_percent"),
        _("first_joined_utc"),
        _("intervals"),
    ]


def to_csv(live_class: LiveClass, rows: list[StudentAttendance], *, for_people: bool = True) -> str:
    """The attendance table as CSV (UTC times in ISO 8601; statuses as codes).

    `for_people`: column names in the reader's language; the API's file keeps the
    English names (`CSV_COLUMNS`) that programs rely on.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_csv_headers() if for_people else list(CSV_COLUMNS))
    for row in rows:
        intervals = "; ".join(
            f"{i.joined_at.isoformat(timespec='seconds')}/"
            f"{i.left_at.isoformat(timespec='seconds') if i.left_at else ''}"
            for i in row.intervals
        )
        writer.writerow(
            [
                _csv_safe(row.name),
                _csv_safe(row.email),
                row.status,
                row.minutes,
                f"{row.share:.0f}",
                row.first_joined_at.isoformat(timespec="seconds") if row.first_joined_at else "",
                intervals,
            ]
        )
    return out.getvalue()


def _csv_safe(value: str) -> str:
    # A name starting with = + - @ would run as a formula in a spreadsheet.
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value
