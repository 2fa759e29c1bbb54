"""Per-browser sign-in sessions: signing out ends this browser only.

The login cookie holds "<user id>.<session key>"; the key names a
`UserSession` row, valid for LMS_SESSION_DAYS after sign-in. Signing out
deletes that row; "sign out everywhere", a password change or deactivation
delete all of the user's rows. Every HTTP request and every Socket.IO
connection is checked against the table through Flask-Login's user loader.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_request_context, request, session
from flask_login import login_user, logout_user
from sqlalchemy import delete, func, select

from lms.extensions import db
from lms.models.session import UserSession
from lms.models.types import utcnow
from lms.models.user import User


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _oldest_valid() -> datetime:
    return utcnow() - timedelta(days=current_app.config["LMS_SESSION_DAYS"])


def new_session_key(user_id: int) -> str:
    """Record a new browser session for `user_id`; return the secret its cookie carries."""
    # Forget this user's sessions that have run out (browsers closed long ago).
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user_id, UserSession.created_at < _oldest_valid()
        )
    )
    key = secrets.token_urlsafe(24)
    row = UserSession(user_id=user_id, key_hash=_hash(key))
    if has_request_context():
        row.ip = (request.remote_addr or "")[:45] or None
        row.user_agent = request.headers.get("User-Agent", "")[:200]
    db.session.add(row)
    db.session.flush()
    return key


def start_session(user: User) -> None:
    """Sign `user` in on a brand-new browser session (nothing from before survives)."""
    user.session_key = new_session_key(user.id)
    session.clear()
    login_user(user)


def load_user(cookie_id: str) -> User | None:
    """Return the active user whose session the cookie names, or None (Flask-Login's loader)."""
    user_id, _, key = cookie_id.partition(".")
    if not user_id.isdigit() or len(user_id) > 12 or not key or len(key) > 100:
        return None
    # One statement per request: the user, if the cookie's session still exists.
    user = db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.key_hash == _hash(key),
            UserSession.created_at >= _oldest_valid(),
            User.id == int(user_id),
        )
    )
    if user is None or not user.is_active:
        return None
    user.session_key = key
    return user


def end_session(user: Any) -> None:
    """Sign this browser out: its session row goes, other browsers stay signed in."""
    key = getattr(user, "session_key", None)
    if key:
        db.session.execute(
            delete(UserSession).where(
                UserSession.user_id == user.id, UserSession.key_hash == _hash(key)
            )
        )
    logout_user()
    session.clear()


def end_all_sessions(user: User) -> None:
    """End every browser session of `user` (the caller commits)."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def count_sessions(user: User) -> int:
    """Return how many browsers `user` is signed in on."""
    return (
        db.session.scalar(
            select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)
        )
        or 0
    )
