"""A background job as the site sees it: what runs, how far it got, how it ended."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.types import JSONType, UTCDateTime, utcnow


class TaskStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class Task(db.Model):
    """One run of a declared job: the record the outbox, the sweeper and the pages read."""

    __tablename__ = "tasks"
    __table_args__ = (
        # At most one queued task per job and key (lms.tasks.enqueue's unique_key).
        UniqueConstraint("name", "unique_key"),
        Index("ix_tasks_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The declared job's name: the dotted path of its function, e.g. "lms.mail.deliver".
    name: Mapped[str] = mapped_column(String(200))
    queue: Mapped[str] = mapped_column(String(32))
    args: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    status: Mapped[TaskStatus] = mapped_column(
        Enum(
            TaskStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        ),
        default=TaskStatus.QUEUED,
    )
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(500), default="")
    result: Mapped[Any] = mapped_column(JSONType, nullable=True)
    # The last failure in one line (shown to people); the full traceback for admins.
    error: Mapped[str | None] = mapped_column(Text)
    traceback: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_retries: Mapped[int] = mapped_column(Integer, default=0)
    rq_job_id: Mapped[str | None] = mapped_column(String(64))
    # Set while the task waits in its queue, cleared when it starts: a change made
    # during a run can queue a fresh task with the same key.
    unique_key: Mapped[str | None] = mapped_column(String(200))
    # When a delayed task (or a retry) is due; None: at once.
    run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When it was handed to Redis; None while it waits in the outbox.
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the job expects to be done (from report_progress's eta).
    eta_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
