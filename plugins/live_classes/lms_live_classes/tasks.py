"""Jobs: the periodic auto-end and reminders, and the notices to a class's students.

Periodic jobs run on every worker's offer but one worker a period (the core's
Redis lock); what must happen once (a reminder) is also claimed in the database
with a conditional UPDATE, so two runs can never both send it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from lms.extensions import db
from lms.i18n import _, user_locale
from lms.models import User, utcnow
from lms.notifications import notify
from lms.settings import get_setting
from lms.tasks import enqueue, job
from lms.urls import path_for
from lms_live_classes.models import (
    CANCELLED,
    LIVE,
    SCHEDULED,
    AttendanceInterval,
    LiveClass,
)


def _students(live_class: LiveClass) -> list[User]:
    """The class's course's actively enrolled students (staff excluded)."""
    from lms_catalog import Enrollment, get_course

    course = get_course(live_class.course_id)
    staff = {link.user_id for link in course.instructor_links} | {course.owner_id}
    ids = (
        set(
            db.session.scalars(
                select(Enrollment.user_id).where(
                    Enrollment.course_id == live_class.course_id, Enrollment.status == "active"
                )
            )
        )
        - staff
    )
    if not ids:
        return []
    users = db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id))
    return [u for u in users if u.is_active]


def _when(live_class: LiveClass, user: User) -> str:
    """The class's start for `user`: in their time zone and (inside user_locale) language."""
    from lms_live_classes.timezones import format_when, viewer_zone

    return format_when(live_class.starts_at, viewer_zone(user), "full")


# --- auto-end --------------------------------------------------------------------------


def _last_presence(class_id: int) -> datetime | None:
    rows = db.session.execute(
        select(AttendanceInterval.left_at, AttendanceInterval.last_seen_at).where(
            AttendanceInterval.class_id == class_id
        )
    ).all()
    moments = [m for left, seen in rows for m in (left, seen) if m is not None]
    return max(moments) if moments else None


@job(queue="default", timeout=300)
def auto_end_classes() -> int:
    """End every class still live `end_grace_minutes` after its end (``due_end``: the
    scheduled end, or the full duration after a late start).

    Its open attendance intervals close at their last heartbeat; the class's end
    is that due end, or the last moment someone was still there if later.
    """
    grace = timedelta(minutes=get_setting("live_classes", "end_grace_minutes"))
    now = utcnow()
    live = db.session.scalars(select(LiveClass).where(LiveClass.status == LIVE)).all()
    ended = 0
    from lms_live_classes.scheduling import end_class

    for live_class in live:
        due = live_class.due_end
        if due + grace > now:
            continue
        last = _last_presence(live_class.id)
        at = min(now, max(due, last or due))
        end_class(live_class, None, at=at)
        db.session.commit()
        ended += 1
    return ended


# --- reminders -------------------------------------------------------------------------


@job(queue="default", timeout=300)
def send_reminders() -> int:
    """Claim and queue the reminder of every class starting within `reminder_minutes`."""
    lead = timedelta(minutes=get_setting("live_classes", "reminder_minutes"))
    now = utcnow()
    due = db.session.scalars(
        select(LiveClass.id).where(
            LiveClass.status == SCHEDULED,
            LiveClass.reminder_sent_at.is_(None),
            LiveClass.starts_at > now,
            LiveClass.starts_at <= now + lead,
        )
    ).all()
    queued = 0
    for class_id in due:
        # The claim: only the run whose UPDATE changes the row queues the reminder.
        claimed = db.session.execute(
            update(LiveClass)
            .where(LiveClass.id == class_id, LiveClass.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now)
        ).rowcount
        if claimed:
            enqueue(remind_students, class_id, unique_key=f"live_classes:remind:{class_id}")
            queued += 1
        db.session.commit()
    return queued


@job(queue="default", timeout=600, retries=3)
def remind_students(class_id: int) -> int:
    """Tell each enrolled student (in-app and by e-mail) that the class starts soon.

    One transaction: a failure sends nothing and the retry sends everything once.
    """
    live_class = db.session.get(LiveClass, class_id)
    if live_class is None or live_class.status != SCHEDULED:
        return 0
    link = path_for("live_classes.detail", class_id=live_class.id)
    students = _students(live_class)
    for user in students:
        with user_locale(user):  # each student reads it in their own language and zone
            title = _("Live class soon: %(title)s", title=live_class.title)
            body = _("It starts %(when)s.", when=_when(live_class, user))
            notify(user, "live_class_reminder", title, body, link, email=True, class_id=class_id)
    db.session.commit()
    return len(students)


@job(queue="default", timeout=600, retries=3)
def notify_cancelled(class_id: int) -> int:
    """Tell each enrolled student (in-app and by e-mail) that the class is cancelled."""
    live_class = db.session.get(LiveClass, class_id)
    if live_class is None or live_class.status != CANCELLED:
        return 0
    link = path_for("live_classes.detail", class_id=live_class.id)
    students = _students(live_class)
    for user in students:
        with user_locale(user):
            title = _("Live class cancelled: %(title)s", title=live_class.title)
            body = _(
                "The class planned %(when)s will not take place.", when=_when(live_class, user)
            )
            notify(user, "live_class_cancelled", title, body, link, email=True, class_id=class_id)
    db.session.commit()
    return len(students)
