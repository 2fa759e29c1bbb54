"""Joining a live class: who may, seats and waitlist, attendance intervals, live updates.

Shared by the Socket.IO namespace (namespace.py) and the REST API (room_api.py).
Seats and presence live in Redis (seats.py, presence.py); intervals in the
database. Live updates go out through the core's ``emit`` (the Redis message
queue), so they reach clients on every web process:

- ``seat`` to a student's tabs: ``{class_id, state, position, offer_expires_in}``;
- ``roster`` to the class's staff room: who is seated, present, waiting, hands up;
- ``removed`` / ``ended`` when a student may no longer stay or the class is over.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from lms.db import write_now
from lms.extensions import db
from lms.i18n import _, user_locale
from lms.models import User, utcnow
from lms.realtime import emit
from lms.redis_store import get_redis
from lms.settings import get_setting
from lms_live_classes.models import LIVE, AttendanceInterval, LiveClass
from lms_live_classes.presence import Presence
from lms_live_classes.scheduling import LiveClassError, course_of, is_staff, is_student
from lms_live_classes.seats import Seats, SeatStatus

log = logging.getLogger(__name__)

NAMESPACE = "/live"
STAFF = "staff"
STUDENT = "student"
# Roster updates wait in Redis for the next sweep: one broadcast for a burst of joins.
ROSTER_DIRTY = "lms:live:roster-dirty"
POSITIONS_DIRTY = "lms:live:positions-dirty"


def class_room(class_id: int) -> str:
    return f"live:{class_id}"


def staff_room(class_id: int) -> str:
    return f"live:{class_id}:staff"


def _setting(key: str) -> Any:
    return get_setting("live_classes", key)


def seats_for(live_class: LiveClass) -> Seats:
    return Seats(get_redis(), live_class.id, live_class.seats, _setting("offer_seconds"))


def presence_for(live_class: LiveClass) -> Presence:
    return Presence(
        get_redis(),
        live_class.id,
        capacity=live_class.seats,
        offer_seconds=_setting("offer_seconds"),
        grace_seconds=_setting("presence_grace_seconds"),
    )


# --- who may be in the room ----------------------------------------------------------------


def room_role(user: Any, live_class: LiveClass) -> str:
    """Return "staff" or "student", or raise LiveClassError saying why they may not join."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise LiveClassError(_("Sign in to join this class."), code="unauthorized", status=401)
    course = course_of(live_class)
    staff = is_staff(user, course)
    if not staff and not is_student(user, course):
        raise LiveClassError(
            _("Only students enrolled in this course can join its classes."),
            code="forbidden",
            status=403,
        )
    if live_class.status != LIVE:
        message = (
            _("This class has not started yet.")
            if live_class.status == "scheduled"
            else _("This class is over.")
            if live_class.status == "ended"
            else _("This class was cancelled.")
        )
        raise LiveClassError(message, code="not_live", status=409)
    return STAFF if staff else STUDENT


# --- seat status ------------------------------------------------------------------------------


def status_payload(live_class: LiveClass, status: SeatStatus, now_ms: int | None = None) -> dict:
    expires_in = 0
    if status.state == "offered" and status.offer_expires_ms:
        now_ms = now_ms or _redis_now_ms()
        expires_in = max(0, round((status.offer_expires_ms - now_ms) / 1000))
    return {
        "class_id": live_class.id,
        "state": status.state,
        "position": status.position,
        "offer_expires_in": expires_in,
        "seats": live_class.seats,
    }


def _redis_now_ms() -> int:
    seconds, micros = get_redis().time()
    return int(seconds) * 1000 + int(micros) // 1000


def join(live_class: LiveClass, user: Any, role: str) -> dict:
    """Take a seat (or the offered one), else the waitlist; staff take no seat."""
    if role == STAFF:
        return {"class_id": live_class.id, "state": STAFF, "position": 0, "offer_expires_in": 0,
                "seats": live_class.seats}  # fmt: skip
    status = seats_for(live_class).claim(user.id)
    if status.state == "seated" and presence_for(live_class).enter_room(user.id):
        open_interval(live_class.id, user.id)
    seat_changes(live_class, expired=status.expired, offered=status.offered)
    mark_roster_dirty(live_class.id)
    return status_payload(live_class, status)


def leave(live_class: LiveClass, user: Any) -> dict:
    """Give the seat (or waitlist place) back now: the next student is offered it."""
    release = seats_for(live_class).release(user.id)
    presence = presence_for(live_class)
    if get_redis().srem(presence.keys[4], user.id):
        close_interval(live_class.id, user.id)
    presence.set_hand(user.id, False)
    seat_changes(live_class, expired=release.expired, offered=release.offered, shifted=True)
    mark_roster_dirty(live_class.id)
    return {"class_id": live_class.id, "state": "none", "position": 0, "offer_expires_in": 0,
            "seats": live_class.seats}  # fmt: skip


def current_status(live_class: LiveClass, user: Any) -> dict:
    return status_payload(live_class, seats_for(live_class).status(user.id))


def evict(live_class: LiveClass, user_id: int, reason: Any, answering: str | None = None) -> None:
    """Remove a user from the class at once (unenrolled, banned, signed out).

    `reason`: what they read; a lazy string (`_l`) is put in their own language
    (the removal may come from someone else's request or a background task).
    `answering`: the connection whose event is being handled; it is closed a
    moment later, once its answer has gone out.
    """
    from lms.extensions import get_socketio

    presence = presence_for(live_class)
    sids, left, offered = presence.evict(user_id)
    if left:
        close_interval(live_class.id, user_id)
    with user_locale(db.session.get(User, user_id)):
        message = str(reason)
    emit("removed", {"class_id": live_class.id, "message": message}, user_id=user_id,
         namespace=NAMESPACE)  # fmt: skip
    socketio = get_socketio()
    for sid in sids:
        if sid == answering:
            socketio.start_background_task(_disconnect_later, socketio, sid)
        else:
            _disconnect(socketio, sid)
    seat_changes(live_class, expired=[], offered=offered, shifted=True)
    mark_roster_dirty(live_class.id)


def _disconnect(socketio: Any, sid: str) -> None:
    try:
        socketio.server.disconnect(sid, namespace=NAMESPACE)  # reaches other processes too
    except Exception:  # noqa: BLE001 - already gone
        log.debug("could not disconnect %s", sid)


def _disconnect_later(socketio: Any, sid: str) -> None:
    socketio.sleep(0.5)
    _disconnect(socketio, sid)


def seat_changes(
    live_class: LiveClass, *, expired: list[int], offered: list[int], shifted: bool = False
) -> None:
    """Tell the students concerned: offers made and lost now; moved waitlist places soon.

    The new places of everyone waiting go out with the next sweep (once for a
    burst of changes: 30 students leaving at once is one update each, not 30).
    """
    if not (expired or offered or shifted):
        return
    seats = seats_for(live_class)
    if offered:
        snap = seats.snapshot()
        for user_id in offered:
            deadline = snap.offers.get(user_id, 0)
            status = SeatStatus("offered", 0, deadline)
            emit("seat", status_payload(live_class, status, snap.now_ms), user_id=user_id,
                 namespace=NAMESPACE)  # fmt: skip
    for user_id in expired:
        emit("seat", status_payload(live_class, seats.status(user_id)), user_id=user_id,
             namespace=NAMESPACE)  # fmt: skip
    get_redis().sadd(POSITIONS_DIRTY, live_class.id)


def send_positions(live_class: LiveClass) -> None:
    """Each waiting student's place in line, to their tabs."""
    for position, user_id in enumerate(seats_for(live_class).snapshot().waitlist, start=1):
        emit("seat", status_payload(live_class, SeatStatus("waiting", position)),
             user_id=user_id, namespace=NAMESPACE)  # fmt: skip


# --- attendance intervals ---------------------------------------------------------------------


def _open(class_id: int, user_id: int) -> AttendanceInterval | None:
    return db.session.scalars(
        select(AttendanceInterval)
        .where(
            AttendanceInterval.class_id == class_id,
            AttendanceInterval.user_id == user_id,
            AttendanceInterval.left_at.is_(None),
        )
        .order_by(AttendanceInterval.id.desc())
    ).first()


# Socket.IO events run in a GET request's read transaction: writes go through write_now().


def open_interval(class_id: int, user_id: int) -> None:
    with write_now():
        if _open(class_id, user_id) is None:
            now = utcnow()
            db.session.add(
                AttendanceInterval(
                    class_id=class_id, user_id=user_id, joined_at=now, last_seen_at=now
                )
            )


def close_interval(class_id: int, user_id: int, at: datetime | None = None) -> None:
    with write_now():
        interval = _open(class_id, user_id)
        if interval is not None:
            # Never before the last heartbeat the database saw (the clocks of Redis and
            # of this process differ by a few milliseconds).
            interval.left_at = max(interval.joined_at, interval.last_seen_at, at or utcnow())
            interval.last_seen_at = interval.left_at


def touch_interval(class_id: int, user_id: int) -> None:
    with write_now():
        interval = _open(class_id, user_id)
        if interval is not None:
            interval.last_seen_at = utcnow()


def close_stale_intervals(stale_seconds: float) -> int:
    """At start: intervals nobody will close any more are closed at their last heartbeat.

    Those of a student Redis still counts in the room are left alone: the
    sweep closes them at the ghost's last heartbeat, or they go on if the
    student came back (the page reconnects after a restart). The others (Redis
    lost its state) are closed here, if silent longer than a ghost.
    """
    from datetime import timedelta

    from lms_live_classes.presence import presence_keys

    r = get_redis()
    limit = utcnow() - timedelta(seconds=stale_seconds)
    closed = 0
    with write_now():
        rows = db.session.scalars(
            select(AttendanceInterval).where(
                AttendanceInterval.left_at.is_(None), AttendanceInterval.last_seen_at < limit
            )
        ).all()
        for interval in rows:
            if r.sismember(presence_keys(interval.class_id)[4], interval.user_id):
                continue
            interval.left_at = max(interval.joined_at, interval.last_seen_at)
            closed += 1
    return closed


def ms_to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


# --- the roster -----------------------------------------------------------------------------


def mark_roster_dirty(class_id: int) -> None:
    get_redis().sadd(ROSTER_DIRTY, class_id)


def roster(live_class: LiveClass) -> dict:
    """What the staff see live: seated and waiting students, who is here, hands raised."""
    seats = seats_for(live_class)
    presence = presence_for(live_class)
    snap = seats.snapshot()
    present = presence.present()
    hands = presence.hands()
    ids = set(snap.seated) | set(snap.waitlist) | set(snap.offers) | present
    names: dict[int, str] = {}
    if ids:
        for row in db.session.execute(select(User.id, User.name).where(User.id.in_(ids))):
            names[row.id] = row.name

    def person(user_id: int) -> dict:
        return {
            "id": user_id,
            "name": names.get(user_id, "?"),
            "present": user_id in present,
            "hand": user_id in hands,
        }

    return {
        "class_id": live_class.id,
        "seats": live_class.seats,
        "seated": [person(u) for u in sorted(snap.seated, key=lambda u: names.get(u, ""))],
        "offered": [person(u) for u in snap.offers],
        "waitlist": [person(u) for u in snap.waitlist],
        "hands": sorted(hands),
    }


def broadcast_roster(live_class: LiveClass) -> None:
    import time

    payload = roster(live_class)
    payload["sent_at"] = time.time()  # lets a client (and the bench) see the delivery time
    emit("roster", payload, room=staff_room(live_class.id), namespace=NAMESPACE)
