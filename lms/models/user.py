"""The user account every plugin refers to."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.types import JSONType, UTCDateTime, utcnow


class Role(enum.StrEnum):
    STUDENT = "student"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    username: Mapped[str | None] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=Role.STUDENT,
    )
    # Deactivated accounts keep their data but can no longer log in.
    is_deactivated: Mapped[bool] = mapped_column(Boolean, default=False)
    is_banned: Mapped[bool] = mapped_column(Boolean, default=False)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bio: Mapped[str] = mapped_column(Text, default="")
    avatar_key: Mapped[str | None] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(2))
    links: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The person's own choices; None follows the browser and the school (lms.i18n).
    language: Mapped[str | None] = mapped_column(String(12))
    timezone: Mapped[str | None] = mapped_column(String(64))

    # The secret of the browser session this object was loaded for (not a
    # column: lms.sessions sets it). Unannotated, so SQLAlchemy leaves it alone.
    session_key = None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    # Flask-Login: the cookie holds "<id>.<session key>", and the key names a
    # row of user_sessions, so a copied cookie dies when its session ends.
    def get_id(self) -> str:
        return f"{self.id}.{self.session_key or ''}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return not (self.is_deactivated or self.is_banned)

    @property
    def display_name(self) -> str:
        return self.name or self.username or self.email.split("@", 1)[0]

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_instructor(self) -> bool:
        return self.role in (Role.INSTRUCTOR, Role.ADMIN)

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    def set_password(self, password: str) -> None:
        from lms.passwords import hash_password

        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        from lms.passwords import verify_password

        if not self.password_hash:
            return False
        ok, new_hash = verify_password(self.password_hash, password)
        if ok and new_hash:
            self.password_hash = new_hash
        return ok
