"""Which role holds which permission: the grants a school can change without code."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db


class PermissionRecord(db.Model):
    """A permission whose default grants were copied into `permission_grants`.

    A permission without a row here (a plugin enabled after the last
    `flask lms upgrade`) is granted by its code defaults until it is seeded.
    """

    __tablename__ = "permissions"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    description: Mapped[str] = mapped_column(String(300), default="")


class PermissionGrant(db.Model):
    __tablename__ = "permission_grants"
    __table_args__ = (UniqueConstraint("permission", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    permission: Mapped[str] = mapped_column(
        ForeignKey("permissions.name", ondelete="CASCADE"), index=True
    )
    # A lms.models.Role value; admins hold every permission without a row.
    role: Mapped[str] = mapped_column(String(20))
