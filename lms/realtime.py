"""Real time over Flask-SocketIO: authenticated connections and emit() from anywhere.

Every connection must carry a login session cookie or an API token
(``auth={"token": ...}``); anonymous connections are refused. Each user joins
the room ``user:<id>``, so ``emit(..., user_id=...)`` reaches all their tabs.
Emitting goes through the Redis message queue, so a worker or another web
process reaches clients connected anywhere. To emit only once a change is
saved, wrap the call: ``on_commit(partial(emit, ...))`` (``lms.commit``).
Jobs push ``task_progress`` events to their owner's room (``lms.tasks``).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import request
from flask_login import current_user, login_user
from flask_socketio import Namespace, join_room

from lms.extensions import get_socketio

log = logging.getLogger(__name__)


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def authenticate_socket(auth: Any) -> Any:
    """Return the connecting user (session cookie or token), or None."""
    if current_user.is_authenticated:
        return current_user._get_current_object()
    token = auth.get("token") if isinstance(auth, dict) else None
    if not token:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else None
    if token:
        from lms.auth_tokens import user_from_token

        user = user_from_token(token)
        if user is not None:
            login_user(user)  # lives only for this Socket.IO session
            return user
    return None


class AuthenticatedNamespace(Namespace):
    """Base for plugin namespaces: refuses anonymous clients, joins the user's room."""

    def on_connect(self, auth: Any = None) -> bool:
        user = authenticate_socket(auth)
        if user is None:
            return False
        join_room(user_room(user.id), namespace=self.namespace)
        return self.on_authenticated(user, auth)

    def on_authenticated(self, user: Any, auth: Any) -> bool:
        """Override to join rooms or refuse (return False) after authentication."""
        return True


class CoreNamespace(AuthenticatedNamespace):
    """The default namespace: notifications and task progress for the user."""


def emit(
    event: str,
    data: Any,
    *,
    user_id: int | None = None,
    room: str | None = None,
    namespace: str = "/",
) -> None:
    """Send `event` to a user's tabs or a room, from a web process or a worker."""
    if (user_id is None) == (room is None):
        raise ValueError("emit() needs exactly one of user_id or room")
    target = user_room(user_id) if user_id is not None else room
    try:
        get_socketio().emit(event, data, to=target, namespace=namespace)
    except Exception:
        # Real time is a courtesy: a Redis hiccup must not fail the request or job.
        log.exception("could not emit %s to %s", event, target)
