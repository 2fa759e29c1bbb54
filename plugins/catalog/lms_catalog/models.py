"""Models of the catalog: courses, their staff, categories, enrolments, certificates.

Every table starts with ``catalog_``. Timestamps are UTC (``UTCDateTime``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.i18n import _l
from lms.models import User, UTCDateTime, utcnow
from lms_catalog.roles import INSTRUCTOR, course_permission, course_role, manages_all_courses

LEVELS = ("beginner", "intermediate", "advanced")
STATUSES = ("draft", "pending", "published")
ENROLLMENT_STATUSES = ("active", "unenrolled")
#: How levels and statuses read on pages (the stored values stay English keys).
LEVEL_LABELS = {
    "beginner": _l("Beginner"),
    "intermediate": _l("Intermediate"),
    "advanced": _l("Advanced"),
}
STATUS_LABELS = {
    "draft": _l("Draft"),
    "pending": _l("Waiting for review"),
    "published": _l("Published"),
    "deleted": _l("Deleted"),
}


def status_label(status: str) -> str:
    """Return a course status as people read it ("Waiting for review" for "pending")."""
    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else status


def level_label(level: str) -> str:
    """Return the level as people read it in the current language ("Beginner", "Débutant")."""
    label = LEVEL_LABELS.get(level)
    return str(label) if label is not None else level


class Category(db.Model):
    """A subject area an admin manages ("Mathematics", "Languages")."""

    __tablename__ = "catalog_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


def price_label(price_cents: int) -> str:
    """How a price reads on a card: "Free" or "$29.00" (site currency, reader's locale)."""
    from lms_catalog.prices import format_price

    return format_price(price_cents)


class CourseInstructor(db.Model):
    """One member of a course's staff: an instructor or a teaching assistant.

    The owner (`Course.owner_id`) is also listed here, as an instructor, first.
    What each role may do is decided in one place: `lms_catalog.roles`.
    """

    __tablename__ = "catalog_course_instructors"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_courses.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    # lms_catalog.roles.STAFF_ROLES: "instructor" or "assistant".
    role: Mapped[str] = mapped_column(String(20), default=INSTRUCTOR, server_default=INSTRUCTOR)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class CourseStaffChange(db.Model):
    """A record of who changed a course's staff: added, removed, role changed, owner transferred."""

    __tablename__ = "catalog_course_staff_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_courses.id", ondelete="CASCADE"), index=True
    )
    # Who did it, and to whom (kept as NULL if the account is deleted later).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # "added", "removed", "role_changed" or "owner_transferred".
    action: Mapped[str] = mapped_column(String(20))
    # The role the user has after the change ("owner" for a transfer).
    role: Mapped[str | None] = mapped_column(String(20))
    former_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Course(db.Model):
    __tablename__ = "catalog_courses"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        Index("ix_catalog_courses_listing", "status", "deleted_at", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable once chosen: a title change keeps the slug; a slug change leaves a redirect.
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    subtitle: Mapped[str] = mapped_column(String(300), default="")
    description_md: Mapped[str] = mapped_column(Text, default="")
    outcomes_md: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_categories.id", ondelete="SET NULL"), index=True
    )
    level: Mapped[str] = mapped_column(String(20), default="beginner")
    language: Mapped[str] = mapped_column(String(10), default="en")
    thumbnail_key: Mapped[str | None] = mapped_column(String(255))
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    review_feedback: Mapped[str | None] = mapped_column(Text)
    is_featured: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Denormalised so the catalog sorts by popularity without counting rows.
    enrollment_count: Mapped[int] = mapped_column(Integer, default=0)
    # Kept by a reviews plugin through set_course_rating(); 0 until one exists.
    rating_average: Mapped[float] = mapped_column(Float, default=0.0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    category: Mapped[Category | None] = relationship(lazy="joined")
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    instructor_links: Mapped[list[CourseInstructor]] = relationship(
        order_by=CourseInstructor.position,
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"<Course {self.id} {self.slug}>"

    # --- state ----------------------------------------------------------------
    @property
    def instructors(self) -> list[User]:
        """The people who teach the course (the owner first), not its assistants."""
        return [link.user for link in self.instructor_links if link.role == INSTRUCTOR]

    @property
    def staff(self) -> list[CourseInstructor]:
        """Every staff member (instructors and assistants), in order."""
        return list(self.instructor_links)

    @property
    def instructor_names(self) -> str:
        return ", ".join(user.display_name for user in self.instructors)

    @property
    def category_name(self) -> str | None:
        return self.category.name if self.category else None

    @property
    def instructor_ids(self) -> set[int]:
        """Ids of every staff member (instructors and assistants)."""
        return {link.user_id for link in self.instructor_links}

    @property
    def is_free(self) -> bool:
        return self.price_cents == 0

    @property
    def is_published(self) -> bool:
        return self.status == "published" and self.deleted_at is None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def price_label(self) -> str:
        return price_label(self.price_cents)

    # --- who may do what: every answer comes from lms_catalog.roles.course_permission ---
    def role_of(self, user: Any) -> str | None:
        """Return "owner", "instructor", "assistant" or None for `user` in this course."""
        return course_role(user, self)

    def is_staff(self, user: Any) -> bool:
        """True for the course's staff (any role) and for those who manage every course."""
        return course_role(user, self) is not None or manages_all_courses(user)

    def can_view(self, user: Any) -> bool:
        """Published courses are public; drafts and pending ones only for staff."""
        return course_permission(user, self, "view")

    def can_edit(self, user: Any) -> bool:
        return course_permission(user, self, "edit")

    def can_grade(self, user: Any) -> bool:
        return course_permission(user, self, "grade")

    def can_moderate(self, user: Any) -> bool:
        """Whether `user` may moderate the course's discussions (not: publish it)."""
        return course_permission(user, self, "moderate")

    def can_view_progress(self, user: Any) -> bool:
        return course_permission(user, self, "view_progress")

    def can_manage_staff(self, user: Any) -> bool:
        return course_permission(user, self, "manage_staff")


# The catalog's listing, each sort and each filter read one of these partial
# indexes of published courses (migration 0004_catalog_search); full-text search
# lives there too (PostgreSQL: search_vector + GIN; SQLite: catalog_courses_fts).
_PUBLISHED = text("status = 'published' AND deleted_at IS NULL")
for _name, *_columns in (
    ("ix_catalog_courses_newest", Course.published_at, Course.id),
    ("ix_catalog_courses_popular", Course.enrollment_count, Course.id),
    ("ix_catalog_courses_rating", Course.rating_average, Course.rating_count, Course.id),
    ("ix_catalog_courses_title", func.lower(Course.title), Course.id.desc()),
    ("ix_catalog_courses_level", Course.level, Course.published_at),
    ("ix_catalog_courses_price", Course.price_cents, Course.published_at),
    ("ix_catalog_courses_category", Course.category_id, Course.published_at),
):
    Index(_name, *_columns, postgresql_where=_PUBLISHED, sqlite_where=_PUBLISHED)
# Whole-table: PostgreSQL keeps an indexed expression's statistics only then.
Index("ix_catalog_courses_language", func.lower(Course.language), Course.published_at)


class CourseSlugRedirect(db.Model):
    """An old slug of a course, so that links shared before a rename keep working (301)."""

    __tablename__ = "catalog_course_slug_redirects"

    id: Mapped[int] = mapped_column(primary_key=True)
    old_slug: Mapped[str] = mapped_column(String(120), unique=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_courses.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship()


class Enrollment(db.Model):
    __tablename__ = "catalog_enrollments"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_courses.id", ondelete="CASCADE"), index=True
    )
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # No foreign key: the lessons plugin owns that table and may be absent.
    last_lesson_id: Mapped[int | None] = mapped_column(Integer)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="active")

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
    certificate: Mapped[Certificate | None] = relationship(
        back_populates="enrollment", uselist=False
    )

    def __repr__(self) -> str:
        return f"<Enrollment user={self.user_id} course={self.course_id} {self.progress}%>"

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None


class Certificate(db.Model):
    """Proof of a completed enrolment; anyone holding the code can check it is genuine."""

    __tablename__ = "catalog_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_enrollments.id", ondelete="CASCADE"), unique=True
    )
    code: Mapped[str] = mapped_column(String(32), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The holder shares the code on purpose (a CV, an application): the public page
    # then shows whose certificate it is. They may hide it.
    is_public: Mapped[bool] = mapped_column(default=True, server_default=sa_true())

    enrollment: Mapped[Enrollment] = relationship(back_populates="certificate")

    def __repr__(self) -> str:
        return f"<Certificate {self.code}>"
