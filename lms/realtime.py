"""Real time over Flask-SocketIO: authenticated connections and emit() from anywhere.

Every connection must carry a login session cookie or an API token
(``auth={"token": ...}`` or an ``Authorization: Bearer ...`` header); anonymous
connections are refused. The user found at connect is the connection's user
until it closes: what authenticated it (the browser session or the token) is
kept in the Socket.IO session and checked again at every event, so every event
handler of an ``AuthenticatedNamespace`` runs with ``current_user`` set to that
user, or anonymous once that browser signed out or the token was revoked. Each user joins the room
``user:<id>``, so ``emit(..., user_id=...)`` reaches all their tabs.
Emitting goes through the Redis message queue, so a worker or another web
process reaches clients connected anywhere. To emit only once a change is
saved, wrap the call: ``on_commit(partial(emit, ...))`` (``lms.commit``).
Jobs push ``task_progress`` events to their owner's room (``lms.tasks``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import request
from flask_login import current_user, login_user, logout_user
from flask_socketio import Namespace, join_room

from lms.extensions import get_socketio

log = logging.getLogger(__name__)


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def _socket_token(auth: Any) -> str | None:
    token = auth.get("token") if isinstance(auth, dict) else None
    if not token:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else None
    return token or None


def authenticate_socket(auth: Any) -> Any:
    """Return the connecting user (session cookie or token), or None."""
    if current_user.is_authenticated:
        return current_user._get_current_object()
    token = _socket_token(auth)
    if token:
        from lms.auth_tokens import user_from_token

        user = user_from_token(token)
        if user is not None:
            login_user(user)  # lives only for this Socket.IO session
            return user
    return None


# What authenticated the connection: ("session", cookie id) or ("token", token).
_CREDENTIAL_KEY = "lms_credential"


def _remember_connection_user(user: Any, namespace: str, auth: Any) -> None:
    session = get_socketio().server.get_session(request.sid, namespace=namespace)  # type: ignore[attr-defined]
    # A user loaded from the session cookie carries its session key; a token user does not.
    if getattr(user, "session_key", None):
        session[_CREDENTIAL_KEY] = ("session", user.get_id())
    else:
        session[_CREDENTIAL_KEY] = ("token", _socket_token(auth))


def _connection_user(credential: tuple[str, str] | None) -> Any:
    """Check the connection's credential again: a signed-out session or revoked token is no one."""
    from lms.auth_tokens import user_from_token
    from lms.sessions import load_user

    kind, value = credential or ("", "")
    if kind == "session":
        return load_user(value)
    if kind == "token":
        return user_from_token(value)
    return None


def _restore_connection_user(namespace: str) -> None:
    """Make the user who connected `current_user` of this event.

    Anonymous if, since connecting, the account was disabled, the browser
    signed out or the token was revoked.
    """
    try:
        session = get_socketio().server.get_session(request.sid, namespace=namespace)  # type: ignore[attr-defined]
    except KeyError:  # the connection is already gone
        session = {}
    user = _connection_user(session.get(_CREDENTIAL_KEY))
    # login_user/logout_user touch only this event's throwaway copy of the
    # cookie session (manage_session=False): nothing is written back.
    if user is not None and user.is_active:
        login_user(user)
    else:
        logout_user()


def _as_connection_user(handler: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(handler)
    def run(self: Namespace, *args: Any) -> Any:
        _restore_connection_user(self.namespace)
        return handler(self, *args)

    return run


# Handlers that run before the connection's user is known, or inside connect.
_NOT_EVENT_HANDLERS = ("on_connect", "on_authenticated")


class AuthenticatedNamespace(Namespace):
    """Base for plugin namespaces: refuses anonymous clients, joins the user's room.

    In every ``on_<event>`` handler (connect excepted), ``current_user`` is
    the user who opened the connection, by cookie or by token.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in list(vars(cls).items()):
            if name.startswith("on_") and name not in _NOT_EVENT_HANDLERS and callable(value):
                setattr(cls, name, _as_connection_user(value))

    def on_connect(self, auth: Any = None) -> bool:
        user = authenticate_socket(auth)
        if user is None:
            return False
        _remember_connection_user(user, self.namespace, auth)
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
