"""A background job as the site sees it: what runs, how far it got, how it ended."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.types import JSONType, UTCDateTime, utcnow


class TaskStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class Task(db.Model):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Dotted path of the job function, e.g. "lms.mail.deliver".
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
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_retries: Mapped[int] = mapped_column(Integer, default=0)
    rq_job_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
