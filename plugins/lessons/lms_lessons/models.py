"""Sections, lessons and per-student lesson progress (tables prefixed `lessons_`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models import JSONType, UTCDateTime, utcnow

DRAFT = "draft"
PUBLISHED = "published"
STATUSES = (DRAFT, PUBLISHED)


class Section(db.Model):
    """An ordered part of a course, holding ordered lessons."""

    __tablename__ = "lessons_sections"
    __table_args__ = (Index("ix_lessons_sections_course_position", "course_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalog_courses.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="section",
        order_by="(Lesson.position, Lesson.id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Section {self.id} course={self.course_id} {self.title!r}>"


class Lesson(db.Model):
    """One lesson of a section; `type` names an entry of the lesson-type registry."""

    __tablename__ = "lessons_lessons"
    __table_args__ = (
        Index("ix_lessons_lessons_section_position", "section_id", "position"),
        Index("ix_lessons_lessons_course_status", "course_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("lessons_sections.id", ondelete="CASCADE"))
    # Denormalised from the section so that course-wide counts (progress) need no join.
    course_id: Mapped[int] = mapped_column(ForeignKey("catalog_courses.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    duration_seconds: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    free_preview: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the lesson type stores: Markdown and its sanitised HTML, a stored file's key...
    content: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    section: Mapped[Section] = relationship(back_populates="lessons")

    def __repr__(self) -> str:
        return f"<Lesson {self.id} {self.type} {self.title!r}>"

    @property
    def is_published(self) -> bool:
        return self.status == PUBLISHED

    @property
    def type_installed(self) -> bool:
        """False when no enabled plugin registers this lesson's type any more."""
        from lms_lessons.registry import get_lesson_type

        return get_lesson_type(self.type) is not None

    @property
    def is_available(self) -> bool:
        """What students may see: published, and its type installed."""
        return self.is_published and self.type_installed


class LessonProgress(db.Model):
    """How far one student got in one lesson; completion never moves backwards."""

    __tablename__ = "lessons_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "lesson_id", name="uq_lessons_progress_user_lesson"),
        Index("ix_lessons_progress_user_course", "user_id", "course_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons_lessons.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("catalog_courses.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    position_seconds: Mapped[int] = mapped_column(Integer, default=0)
    watched_seconds: Mapped[int] = mapped_column(Integer, default=0)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None
