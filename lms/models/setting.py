"""Site settings stored in the database, namespaced per plugin."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.types import JSONType


class Setting(db.Model):
    __tablename__ = "settings"
    __table_args__ = (UniqueConstraint("namespace", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "core" or a plugin's name.
    namespace: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    value: Mapped[Any] = mapped_column(JSONType)
