"""The `/live` Socket.IO namespace: presence, seats, chat and raised hands of a live class.

A client connects with ``auth={"class_id": <id>}`` (plus ``"token"`` when it
has no session cookie). Refused at connect: anonymous, not enrolled, class not
live. Every later event checks again (``_allowed``): a student unenrolled,
deactivated, signed out or whose token was revoked mid-class is removed at once.

Each web process runs a sweeper (a background task started at its first
connection) that, every second, for every active class: turns ghost
connections into departures at their last heartbeat, frees the seats of those
whose grace ran out, passes on expired offers, broadcasts the roster when it
changed, and clears a class that has ended. The scripts are atomic, so several
processes sweeping at once do each change once.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import current_app, request
from flask_login import current_user
from flask_socketio import join_room
from redis.exceptions import RedisError
from socketio import exceptions as socket_errors

from lms.db import write_now
from lms.extensions import db, get_socketio
from lms.i18n import _, _l
from lms.markup import sanitize_html
from lms.models import utcnow
from lms.realtime import AuthenticatedNamespace, emit
from lms.redis_store import get_redis
from lms_live_classes import joining
from lms_live_classes.joining import NAMESPACE, STAFF
from lms_live_classes.models import LIVE, ChatMessage, LiveClass
from lms_live_classes.presence import GHOST_SECONDS, SWEEP_INTERVAL, active_classes
from lms_live_classes.scheduling import LiveClassError

log = logging.getLogger(__name__)

CHAT_MAX_LENGTH = 1000
# Chat rate limit: this many messages per window (seconds) per student and class.
CHAT_BURST = 5
CHAT_WINDOW = 10


def _session() -> dict:
    return get_socketio().server.get_session(request.sid, namespace=NAMESPACE)  # type: ignore[attr-defined]


class LiveNamespace(AuthenticatedNamespace):
    """One connection = one tab of one user in one class."""

    def on_authenticated(self, user: Any, auth: Any) -> bool:
        raw = auth.get("class_id") if isinstance(auth, dict) else None
        try:
            class_id = int(raw)
        except (TypeError, ValueError):
            message = _("Which class? (class_id is missing)")
            raise socket_errors.ConnectionRefusedError(message) from None
        live_class = db.session.get(LiveClass, class_id)
        if live_class is None:
            raise socket_errors.ConnectionRefusedError(_("This class does not exist."))
        try:
            role = joining.room_role(user, live_class)
        except LiveClassError as exc:
            raise socket_errors.ConnectionRefusedError(exc.message) from None
        session = _session()
        session.update(class_id=class_id, role=role, user_id=user.id)
        join_room(joining.class_room(class_id), namespace=NAMESPACE)
        if role == STAFF:
            join_room(joining.staff_room(class_id), namespace=NAMESPACE)
        joining.presence_for(live_class).connect(request.sid, user.id)
        joining.mark_roster_dirty(class_id)
        ensure_sweeper(current_app._get_current_object())  # type: ignore[attr-defined]
        return True

    # --- every event: who, which class, still allowed? ------------------------------------

    def _allowed(self) -> tuple[LiveClass, str] | dict:
        """Return (class, role), or an error answer after removing someone no longer allowed."""
        session = _session()
        class_id, user_id = session.get("class_id"), session.get("user_id")
        live_class = db.session.get(LiveClass, class_id) if class_id else None
        if live_class is None:
            return {"error": _("This class does not exist.")}
        try:
            role = joining.room_role(current_user, live_class)
        except LiveClassError as exc:
            if live_class.status == LIVE:
                # This connection gets its answer first, then is closed.
                joining.evict(live_class, user_id, exc.message, answering=request.sid)
            else:
                emit("ended", {"class_id": live_class.id, "message": exc.message},
                     user_id=user_id, namespace=NAMESPACE)  # fmt: skip
            return {"error": exc.message}
        return live_class, role

    def on_join(self, _data: Any = None) -> dict:
        checked = self._allowed()
        if isinstance(checked, dict):
            return checked
        live_class, role = checked
        # A tab coming back after a ghost sweep is present again.
        presence = joining.presence_for(live_class)
        if not presence.heartbeat(request.sid):
            presence.connect(request.sid, current_user.id)
        return joining.join(live_class, current_user, role)

    def on_leave(self, _data: Any = None) -> dict:
        checked = self._allowed()
        if isinstance(checked, dict):
            return checked
        live_class, role = checked
        if role == STAFF:
            return {"class_id": live_class.id, "state": STAFF}
        return joining.leave(live_class, current_user)

    def on_status(self, _data: Any = None) -> dict:
        checked = self._allowed()
        if isinstance(checked, dict):
            return checked
        live_class, role = checked
        if role == STAFF:
            return {"class_id": live_class.id, "state": STAFF, "position": 0}
        return joining.current_status(live_class, current_user)

    def on_heartbeat(self, _data: Any = None) -> dict:
        checked = self._allowed()
        if isinstance(checked, dict):
            return checked
        live_class, _role = checked
        presence = joining.presence_for(live_class)
        if not presence.heartbeat(request.sid):
            # Swept as a ghost (a long pause): present again, as a new arrival.
            presence.connect(request.sid, current_user.id)
        if current_user.id in presence.in_room():
            joining.touch_interval(live_class.id, current_user.id)
        return {"ok": True}

    def on_roster(self, _data: Any = None) -> dict:
        checked = self._allowed()
        if isinstance(checked, dict):
            return checked
        live_class, role = checked
        if role != STAFF:
            return {"error": _("Only the class's staff see the roster.")}
        return joining.roster(live_class)

    def on_hand(self, data: Any = None) -> dict:
        checked = self._allowed()
        if isinstance(checked, dict):
            return checked
        live_class, _role = checked
        raised = bool(data.get("raised")) if isinstance(data, dict) else False
        joining.presence_for(live_class).set_hand(current_user.id, raised)
        joining.mark_roster_dirty(live_class.id)
        return {"raised": raised}

    def on_chat(self, data: Any = None) -> dict:
        checked = self._allowed()
        if isinstance(checked, dict):
            return checked
        live_class, role = checked
        body = (data.get("body") if isinstance(data, dict) else None) or ""
        if not isinstance(body, str) or not body.strip():
            return {"error": _("Write a message first.")}
        body = body.strip()
        if len(body) > CHAT_MAX_LENGTH:
            message = _("A message can be at most %(num)d characters long.", num=CHAT_MAX_LENGTH)
            return {"error": message}
        if role != STAFF and not _chat_allowed(live_class.id, current_user.id):
            return {"error": _("You are sending messages too fast. Wait a few seconds.")}
        clean = sanitize_html(body)
        message = ChatMessage(class_id=live_class.id, user_id=current_user.id, body=clean)
        with write_now():
            db.session.add(message)
        payload = chat_payload(message, current_user.name)
        emit("chat", payload, room=joining.class_room(live_class.id), namespace=NAMESPACE)
        return payload

    def on_delete_message(self, data: Any = None) -> dict:
        checked = self._allowed()
        if isinstance(checked, dict):
            return checked
        live_class, role = checked
        if role != STAFF:
            return {"error": _("Only the class's staff can delete messages.")}
        try:
            message_id = int(data.get("id")) if isinstance(data, dict) else 0
        except (TypeError, ValueError):
            message_id = 0
        message = db.session.get(ChatMessage, message_id)
        if message is None or message.class_id != live_class.id:
            return {"error": _("This message does not exist.")}
        if message.deleted_at is None:
            with write_now():
                message.deleted_at = utcnow()
                message.deleted_by_id = current_user.id
        emit("chat_deleted", {"id": message.id}, room=joining.class_room(live_class.id),
             namespace=NAMESPACE)  # fmt: skip
        return {"deleted": message.id}

    def on_disconnect(self, *_args: Any) -> None:
        try:
            session = _session()
        except KeyError:
            return
        class_id, user_id = session.get("class_id"), session.get("user_id")
        live_class = db.session.get(LiveClass, class_id) if class_id else None
        if live_class is None or user_id is None:
            return
        _last, left = joining.presence_for(live_class).disconnect(request.sid, user_id)
        if left:
            joining.close_interval(live_class.id, user_id)
        joining.mark_roster_dirty(live_class.id)


def chat_payload(message: ChatMessage, author: str | None) -> dict:
    return {
        "id": message.id,
        "class_id": message.class_id,
        "user_id": message.user_id,
        "author": author or "",
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }


def _chat_allowed(class_id: int, user_id: int) -> bool:
    """A fixed-window counter in Redis: shared by every process."""
    key = f"lms:live:chat-rate:{class_id}:{user_id}:{int(time.time() // CHAT_WINDOW)}"
    r = get_redis()
    count = r.incr(key)
    if count == 1:
        r.expire(key, CHAT_WINDOW * 2)
    return count <= CHAT_BURST


# --- the sweeper ------------------------------------------------------------------------------

_sweepers_lock = threading.Lock()


def _reading_context(app: Any) -> Any:
    """Like a GET request: reads in deferred transactions (no SQLite write lock while the
    sweep talks to Redis and emits); writes go through write_now()."""
    return app.test_request_context("/live/sweep")


def ensure_sweeper(app: Any) -> None:
    """Start this process's sweeper for `app` once (first connection of the process)."""
    with _sweepers_lock:
        if app.extensions.get("live_classes_sweeper"):
            return
        app.extensions["live_classes_sweeper"] = True
    get_socketio(app).start_background_task(_sweep_forever, app)


def _sweep_forever(app: Any) -> None:
    socketio = get_socketio(app)
    with _reading_context(app):
        try:
            # A restart: intervals left open by the process that died close at their last
            # heartbeat (students on other, living processes keep heartbeating).
            closed = joining.close_stale_intervals(GHOST_SECONDS)
            if closed:
                log.info("closed %s attendance interval(s) left open by a stopped process", closed)
        except Exception:
            log.exception("could not close stale attendance intervals")
        finally:
            db.session.remove()
    redis_down = False
    while True:
        socketio.sleep(SWEEP_INTERVAL)
        try:
            sweep(app)
        except RedisError as error:
            # One line per outage, not a traceback a second: the sweep resumes
            # by itself when Redis is back.
            if not redis_down:
                log.warning("live classes sweep paused: Redis is unreachable (%s)", error)
            redis_down = True
        except Exception:
            log.exception("live classes sweep failed")
        else:
            redis_down = False


def sweep(app: Any) -> None:
    """One pass over the active classes (see the module's docstring)."""
    with _reading_context(app):
        try:
            r = get_redis()
            class_ids = set(active_classes(r)) | {int(c) for c in r.smembers(joining.ROSTER_DIRTY)}
            for class_id in sorted(class_ids):
                _sweep_class(class_id)
        finally:
            db.session.remove()


def _sweep_class(class_id: int) -> None:
    r = get_redis()
    live_class = db.session.get(LiveClass, class_id)
    if live_class is None or live_class.status != LIVE:
        _close_class(class_id, live_class)
        return
    result = joining.presence_for(live_class).sweep()
    for user_id, seen_ms in result.ghosts:
        joining.close_interval(class_id, user_id, at=joining.ms_to_datetime(seen_ms))
    joining.seat_changes(
        live_class, expired=result.expired, offered=result.offered, shifted=bool(result.freed)
    )
    if result.changed:
        joining.mark_roster_dirty(class_id)
    if r.srem(joining.POSITIONS_DIRTY, class_id):
        joining.send_positions(live_class)
    if r.srem(joining.ROSTER_DIRTY, class_id):
        joining.broadcast_roster(live_class)


def _close_class(class_id: int, live_class: LiveClass | None) -> None:
    """The class ended (or vanished): everyone out, its Redis state gone."""
    from lms_live_classes.presence import Presence
    from lms_live_classes.seats import Seats

    r = get_redis()
    if r.srem(joining.ROSTER_DIRTY, class_id) or class_id in active_classes(r):
        # To everyone in the room at once: the site's language (the sweep has no user);
        # room.js shows its own translation of this one.
        emit("ended", {"class_id": class_id, "message": _("This class is over."), "code": "over"},
             room=joining.class_room(class_id), namespace=NAMESPACE)  # fmt: skip
    r.srem(joining.POSITIONS_DIRTY, class_id)
    Presence(r, class_id).clear()
    Seats(r, class_id, 0).clear()
    if live_class is not None:
        from lms_live_classes.scheduling import close_open_intervals

        with write_now():
            close_open_intervals(class_id)


def namespaces() -> list[Any]:
    return [LiveNamespace(NAMESPACE)]


# --- removal at once ----------------------------------------------------------------------------


def connect_signals(plugin: Any) -> None:
    """A student unenrolled mid-class leaves it as soon as the change is saved."""
    from lms_catalog import user_unenrolled

    plugin.connect(user_unenrolled, _on_unenrolled)


def _on_unenrolled(enrollment: Any, **_kwargs: Any) -> None:
    from functools import partial

    from lms.commit import on_commit

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # After the commit, in a task of its own: the committing session can run no more SQL.
    on_commit(
        partial(
            get_socketio(app).start_background_task,
            _remove_from_live_classes,
            app,
            enrollment.course_id,
            enrollment.user_id,
        )
    )


def _remove_from_live_classes(app: Any, course_id: int, user_id: int) -> None:
    from sqlalchemy import select

    with _reading_context(app):
        try:
            classes = db.session.scalars(
                select(LiveClass).where(LiveClass.course_id == course_id, LiveClass.status == LIVE)
            ).all()
            for live_class in classes:
                joining.evict(live_class, user_id, _l("You are no longer enrolled in this course."))
        except Exception:
            log.exception("could not remove user %s from the live classes", user_id)
        finally:
            db.session.remove()
