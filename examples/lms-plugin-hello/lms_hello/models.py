"""Models of the hello plugin: every table starts with the plugin's name."""

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db


class HelloCounter(db.Model):
    __tablename__ = "hello_counters"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
