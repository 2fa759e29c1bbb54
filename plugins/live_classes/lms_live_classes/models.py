"""Live classes, attendance intervals, per-course attendance rules, chat and calendar tokens.

Every table starts with the plugin's name, ``live_classes_`` (the core refuses
a plugin whose tables do not).
Times are stored in UTC (``UTCDateTime``); pages show them in the viewer's zone.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models import UTCDateTime, utcnow

SCHEDULED = "scheduled"
LIVE = "live"
ENDED = "ended"
CANCELLED = "cancelled"
STATUSES = (SCHEDULED, LIVE, ENDED, CANCELLED)

DEFAULT_LATE_AFTER_MINUTES = 10
DEFAULT_PRESENT_SHARE = 75


def new_room_name() -> str:
    """An unguessable room name (32 URL-safe characters), one per class."""
    return secrets.token_urlsafe(24)


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class LiveClass(db.Model):
    """One scheduled session of a course: scheduled -> live -> ended (or cancelled)."""

    __tablename__ = "live_classes_classes"
    __table_args__ = (
        Index("ix_live_classes_classes_course_starts", "course_id", "starts_at"),
        Index("ix_live_classes_classes_status_starts", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalog_courses.id", ondelete="CASCADE"))
    lesson_id: Mapped[int | None] = mapped_column(
        ForeignKey("lessons_lessons.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=SCHEDULED)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    room_name: Mapped[str] = mapped_column(String(64), unique=True, default=new_room_name)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<LiveClass {self.id} {self.status} {self.title!r}>"

    @property
    def ends_at(self) -> datetime:
        """The scheduled end: start plus duration."""
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def due_end(self) -> datetime:
        """When a live class should be over: its scheduled end, or, if it was started
        late, its full duration after the start."""
        if self.started_at is None:
            return self.ends_at
        return max(self.ends_at, self.started_at + timedelta(minutes=self.duration_minutes))

    @property
    def is_joinable(self) -> bool:
        """Only a live class can be joined (not before its start, not after its end)."""
        return self.status == LIVE

    @property
    def is_overdue(self) -> bool:
        """Still scheduled although its scheduled end has passed (nobody started it)."""
        return self.status == SCHEDULED and self.ends_at <= utcnow()

    @property
    def is_finished(self) -> bool:
        return self.status in (ENDED, CANCELLED)


class AttendanceInterval(db.Model):
    """One stretch of a user's presence in a class: opened on join, closed on leave.

    ``last_seen_at`` moves with each heartbeat, so that an interval left open by a
    process that died can be closed at the last moment the user was known present.
    """

    __tablename__ = "live_classes_intervals"
    __table_args__ = (Index("ix_live_classes_intervals_class_user", "class_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("live_classes_classes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<AttendanceInterval class={self.class_id} user={self.user_id}>"


class AttendanceRules(db.Model):
    """How a course turns minutes into a status; a course without a row uses the defaults."""

    __tablename__ = "live_classes_attendance_rules"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_courses.id", ondelete="CASCADE"), primary_key=True
    )
    # Joining more than this many minutes after the start is "late".
    late_after_minutes: Mapped[int] = mapped_column(Integer, default=DEFAULT_LATE_AFTER_MINUTES)
    # Present for at least this share (percent) of the class is "present".
    present_share: Mapped[int] = mapped_column(Integer, default=DEFAULT_PRESENT_SHARE)


class ChatMessage(db.Model):
    """A chat line of a class; ``body`` is stored sanitised."""

    __tablename__ = "live_classes_chat_messages"
    __table_args__ = (
        Index("ix_live_classes_chat_messages_class_created", "class_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("live_classes_classes.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CalendarToken(db.Model):
    """The secret of a user's calendar feed URL (regenerating it kills the old URL)."""

    __tablename__ = "live_classes_calendar_tokens"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_calendar_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
