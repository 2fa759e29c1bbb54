"""What the hello plugin does, kept apart from views so the CLI and signals share it."""

from sqlalchemy import select

from lms.extensions import db
from lms_hello.models import HelloCounter

NEW_USERS = "new_users"


def counter(name: str) -> int:
    row = db.session.scalar(select(HelloCounter).where(HelloCounter.name == name))
    return row.value if row else 0


def increment(name: str, by: int = 1) -> int:
    """Add `by` to a counter (the request or command commits)."""
    row = db.session.scalar(select(HelloCounter).where(HelloCounter.name == name))
    if row is None:
        row = HelloCounter(name=name, value=0)
        db.session.add(row)
    row.value += by
    db.session.flush()
    return row.value


def reset(name: str) -> None:
    """Set a counter back to zero (the caller commits)."""
    row = db.session.scalar(select(HelloCounter).where(HelloCounter.name == name))
    if row is not None:
        row.value = 0
        db.session.flush()
