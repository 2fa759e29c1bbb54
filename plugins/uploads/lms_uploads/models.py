"""Uploads in progress, uploaded videos and their captions (tables prefixed `uploads_`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models import JSONType, UTCDateTime, utcnow

# Upload.status
RECEIVING = "receiving"  # bytes are still arriving (tus PATCH requests)
COMPLETE = "complete"  # every declared byte is stored; nobody has used the file yet
CONSUMED = "consumed"  # the file was handed to its purpose (a video's source ...)
EXPIRED = "expired"  # abandoned: its bytes were freed by the expiry job
UPLOAD_STATUSES = (RECEIVING, COMPLETE, CONSUMED, EXPIRED)

# Video.status
AWAITING_UPLOAD = "awaiting_upload"  # the lesson exists, no file yet
PENDING = "pending"  # a file is there, the transcode waits in its queue
PROCESSING = "processing"
READY = "ready"
FAILED = "failed"
VIDEO_STATUSES = (AWAITING_UPLOAD, PENDING, PROCESSING, READY, FAILED)


def _new_upload_id() -> str:
    return uuid.uuid4().hex


class Upload(db.Model):
    """One tus upload: a file a browser (or API client) sends in resumable chunks."""

    __tablename__ = "uploads_uploads"
    __table_args__ = (
        Index("ix_uploads_uploads_owner_status", "owner_id", "status"),
        Index("ix_uploads_uploads_status_expires", "status", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_upload_id)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # What the file is for: "video", "caption", "file" ... (decides who consumes it).
    purpose: Mapped[str] = mapped_column(String(32), default="file")
    filename: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    # The declared Upload-Length: limits and quota are checked against it up front.
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    # Where complete() publishes the bytes (core storage's resumable writes).
    storage_key: Mapped[str] = mapped_column(String(500))
    # The core storage's resumable-write session (lms.storage UploadSession.id).
    session_id: Mapped[str | None] = mapped_column(String(64))
    # tus Upload-Metadata, decoded (filename, filetype, lesson_id ...).
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=RECEIVING)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Upload {self.id} {self.purpose} {self.offset}/{self.length} {self.status}>"

    @property
    def is_finished(self) -> bool:
        return self.offset >= self.length


class Video(db.Model):
    """The content row of a "video" lesson: its source file, its HLS ladder, its state."""

    __tablename__ = "uploads_videos"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("lessons_lessons.id", ondelete="CASCADE"), unique=True
    )
    course_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_courses.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Storage key of the original file (videos/<id>/source).
    source_key: Mapped[str | None] = mapped_column(String(500))
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default=AWAITING_UPLOAD)
    # Why the last transcode failed, in words for the owner.
    error: Mapped[str | None] = mapped_column(Text)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    has_audio: Mapped[bool | None] = mapped_column(Boolean)
    # [{"name": "720p", "height": 720, "width": 1280, "bandwidth": 3000000}, ...]
    renditions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # Storage prefix holding master.m3u8 and <name>/index.m3u8 + segments.
    hls_prefix: Mapped[str | None] = mapped_column(String(500))
    thumbnail_key: Mapped[str | None] = mapped_column(String(500))
    # The core Task of the last transcode (its progress is what the pages show).
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    captions: Mapped[list[Caption]] = relationship(
        back_populates="video",
        order_by="Caption.language",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Video {self.id} lesson={self.lesson_id} {self.status}>"

    @property
    def storage_prefix(self) -> str:
        """The folder holding everything of this video (source, ladder, thumbnail)."""
        return f"videos/{self.id}/"


class Caption(db.Model):
    """A WebVTT subtitle track of a video, one per language."""

    __tablename__ = "uploads_captions"
    __table_args__ = (
        UniqueConstraint("video_id", "language", name="uq_uploads_captions_video_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("uploads_videos.id", ondelete="CASCADE"))
    # BCP 47 tag: "en", "fr", "pt-BR" ...
    language: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    video: Mapped[Video] = relationship(back_populates="captions")

    def __repr__(self) -> str:
        return f"<Caption {self.id} video={self.video_id} {self.language}>"
