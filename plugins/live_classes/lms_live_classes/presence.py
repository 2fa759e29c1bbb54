"""Who is in a live class right now: connections, heartbeats, grace and ghosts, in Redis.

A student's seat is held while at least one of their connections (tabs) is
present. When the last one leaves, the student is "leaving" until the grace
period (``presence_grace_seconds``) ends: coming back cancels it, otherwise
the sweep frees the seat, in the same Lua script that checks they have not
come back (so a return and a sweep cannot both win). A connection whose
heartbeat stopped (its web process was killed, the network dropped) is a
ghost: the sweep treats it as a disconnect at its last heartbeat.

``inroom`` is the set of students seated AND present: entering it opens an
attendance interval, leaving it closes one. Redis decides (SADD/SREM answer
1 exactly once), so two web processes never open two intervals for one
student. Keys share the class's hash tag with the seats (seats.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import redis

from lms_live_classes.seats import KEY_TTL_SECONDS, LUA_COMMON, key_prefix, seat_keys

# Every web process sweeps each active class this often (seconds).
SWEEP_INTERVAL = 1.0
# A connection silent this long is a ghost (the page sends a heartbeat every 10 s).
# LMS_LIVE_GHOST_SECONDS shortens it for tests of a killed web process.
GHOST_SECONDS = float(os.environ.get("LMS_LIVE_GHOST_SECONDS") or 35.0)
ACTIVE_CLASSES = "lms:live:active"


def presence_keys(class_id: int) -> list[str]:
    p = key_prefix(class_id)
    return [p + "conns", p + "conn_user", p + "present", p + "leaving", p + "inroom", p + "hands"]


# Shared Lua: remove one connection; the user's tab set is KEYS-derived (same hash tag).
LUA_PRESENCE = """
local function user_set(prefix, user) return prefix .. 'u:' .. user end

-- Remove connection `sid` of `user`; returns 1 if it was their last (they are now absent).
local function drop_conn(prefix, conns, conn_user, present, leaving, sid, user, deadline)
  if redis.call('ZREM', conns, sid) == 0 then return -1 end
  redis.call('HDEL', conn_user, sid)
  local tabs = user_set(prefix, user)
  redis.call('SREM', tabs, sid)
  if redis.call('SCARD', tabs) == 0 then
    redis.call('SREM', present, user)
    redis.call('ZADD', leaving, deadline, user)
    return 1
  end
  return 0
end
"""

# KEYS: presence keys; ARGV: prefix, sid, user, ttl -> {first tab (0/1)}
CONNECT = (
    LUA_COMMON
    + LUA_PRESENCE
    + """
local conns, conn_user, present, leaving = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local prefix, sid, user, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
redis.call('ZADD', conns, now_ms(), sid)
redis.call('HSET', conn_user, sid, user)
local tabs = user_set(prefix, user)
redis.call('SADD', tabs, sid)
redis.call('EXPIRE', tabs, ttl)
redis.call('ZREM', leaving, user)
touch(KEYS, ttl)
return redis.call('SADD', present, user)
"""
)

# KEYS: presence keys; ARGV: prefix, sid, user, grace_ms
# -> {was last tab (1/0/-1 unknown), left the room (attendance closes) 0/1}
DISCONNECT = (
    LUA_COMMON
    + LUA_PRESENCE
    + """
local prefix, sid, user = ARGV[1], ARGV[2], ARGV[3]
local last = drop_conn(prefix, KEYS[1], KEYS[2], KEYS[3], KEYS[4], sid, user,
                       now_ms() + tonumber(ARGV[4]))
local left = 0
if last == 1 then left = redis.call('SREM', KEYS[5], user) end
return {last, left}
"""
)

# KEYS: presence keys; ARGV: sid -> 1 if the connection is still known (else swept as a ghost)
HEARTBEAT = (
    LUA_COMMON
    + """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now_ms(), ARGV[1])
return 1
"""
)

# KEYS: presence keys; ARGV: user -> 1 if they just entered the room (open an interval)
ENTER_ROOM = """
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 0 then return 0 end
return redis.call('SADD', KEYS[5], ARGV[1])
"""

# KEYS: presence keys; ARGV: user, grace_ms -> 1 if the user is not here (their grace starts)
EXPECT = (
    LUA_COMMON
    + """
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return 0 end
redis.call('ZADD', KEYS[4], 'NX', now_ms() + tonumber(ARGV[2]), ARGV[1])
return 1
"""
)

# KEYS: presence keys + seat keys; ARGV: prefix, ghost_ms, grace_ms, capacity, offer_ms
# -> {ghosts left the room (flat user, last seen), seats freed, offers expired, offered}
SWEEP = (
    LUA_COMMON
    + LUA_PRESENCE
    + """
local conns, conn_user, present, leaving, inroom = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local holders, offers, wait = KEYS[7], KEYS[8], KEYS[9]
local prefix, ghost_ms, grace_ms = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = now_ms()
local gone = {}
local ghosts = redis.call('ZRANGEBYSCORE', conns, '-inf', now - ghost_ms, 'WITHSCORES')
for i = 1, #ghosts, 2 do
  local sid, seen = ghosts[i], ghosts[i + 1]
  local user = redis.call('HGET', conn_user, sid)
  if user then
    -- Their grace counts from the last sign of life, not from now.
    if drop_conn(prefix, conns, conn_user, present, leaving, sid, user,
                 tonumber(seen) + grace_ms) == 1 and redis.call('SREM', inroom, user) == 1 then
      table.insert(gone, user)
      table.insert(gone, seen)
    end
  else
    redis.call('ZREM', conns, sid)
  end
end
local freed = {}
for _, user in ipairs(redis.call('ZRANGEBYSCORE', leaving, '-inf', now)) do
  redis.call('ZREM', leaving, user)
  if redis.call('SCARD', user_set(prefix, user)) == 0 then
    if redis.call('HDEL', holders, user) == 1 then table.insert(freed, user) end
    redis.call('HDEL', offers, user)
    redis.call('ZREM', wait, user)
    redis.call('SREM', KEYS[6], user)
  end
end
local expired, offered = expire_and_fill(holders, offers, wait, tonumber(ARGV[4]), now,
                                         tonumber(ARGV[5]))
return {gone, freed, expired, offered}
"""
)

# KEYS: presence keys + seat keys; ARGV: prefix, user, capacity, offer_ms
# -> {sids closed, left the room 0/1, offered}: remove a user at once (unenrolled, revoked)
EVICT = (
    LUA_COMMON
    + LUA_PRESENCE
    + """
local prefix, user = ARGV[1], ARGV[2]
local tabs = user_set(prefix, user)
local sids = redis.call('SMEMBERS', tabs)
for _, sid in ipairs(sids) do
  redis.call('ZREM', KEYS[1], sid)
  redis.call('HDEL', KEYS[2], sid)
end
redis.call('DEL', tabs)
redis.call('SREM', KEYS[3], user)
redis.call('ZREM', KEYS[4], user)
redis.call('SREM', KEYS[6], user)
local left = redis.call('SREM', KEYS[5], user)
redis.call('HDEL', KEYS[7], user)
redis.call('HDEL', KEYS[8], user)
redis.call('ZREM', KEYS[9], user)
local expired, offered = expire_and_fill(KEYS[7], KEYS[8], KEYS[9], tonumber(ARGV[3]), now_ms(),
                                         tonumber(ARGV[4]))
return {sids, left, offered}
"""
)


@dataclass(frozen=True)
class SweepResult:
    ghosts: list[tuple[int, int]] = field(default_factory=list)  # (user, last seen ms)
    freed: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    offered: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.ghosts or self.freed or self.expired or self.offered)


class Presence:
    """Presence of one class's connections; `capacity`/`offer_seconds` for seats passing on."""

    def __init__(
        self,
        client: redis.Redis,
        class_id: int,
        *,
        capacity: int = 0,
        offer_seconds: float = 60,
        grace_seconds: float = 30,
        ghost_seconds: float = GHOST_SECONDS,
    ) -> None:
        self.client = client
        self.class_id = class_id
        self.prefix = key_prefix(class_id)
        self.keys = presence_keys(class_id)
        self.all_keys = self.keys + seat_keys(class_id)
        self.capacity = capacity
        self.offer_ms = int(offer_seconds * 1000)
        self.grace_ms = int(grace_seconds * 1000)
        self.ghost_ms = int(ghost_seconds * 1000)
        self._connect = client.register_script(CONNECT)
        self._disconnect = client.register_script(DISCONNECT)
        self._heartbeat = client.register_script(HEARTBEAT)
        self._enter = client.register_script(ENTER_ROOM)
        self._sweep = client.register_script(SWEEP)
        self._evict = client.register_script(EVICT)
        self._expect = client.register_script(EXPECT)

    def connect(self, sid: str, user_id: int) -> bool:
        """Record a connection; return True if it is the user's first (they arrived)."""
        self.client.sadd(ACTIVE_CLASSES, self.class_id)
        return bool(
            self._connect(keys=self.keys, args=[self.prefix, sid, user_id, KEY_TTL_SECONDS])
        )

    def disconnect(self, sid: str, user_id: int) -> tuple[bool, bool]:
        """Forget a connection; return (it was their last tab, they left the room)."""
        last, left = self._disconnect(
            keys=self.keys, args=[self.prefix, sid, user_id, self.grace_ms]
        )
        return last == 1, left == 1

    def heartbeat(self, sid: str) -> bool:
        return bool(self._heartbeat(keys=self.keys, args=[sid]))

    def enter_room(self, user_id: int) -> bool:
        """A present student got a seat: True if this opens their attendance interval."""
        return bool(self._enter(keys=self.keys, args=[user_id]))

    def expect(self, user_id: int) -> bool:
        """A seat taken without a connection (the REST API): held for the grace period only."""
        return bool(self._expect(keys=self.keys, args=[user_id, self.grace_ms]))

    def sweep(self) -> SweepResult:
        gone, freed, expired, offered = self._sweep(
            keys=self.all_keys,
            args=[self.prefix, self.ghost_ms, self.grace_ms, self.capacity, self.offer_ms],
        )
        return SweepResult(
            ghosts=[(int(u), int(s)) for u, s in zip(gone[::2], gone[1::2], strict=True)],
            freed=[int(u) for u in freed],
            expired=[int(u) for u in expired],
            offered=[int(u) for u in offered],
        )

    def evict(self, user_id: int) -> tuple[list[str], bool, list[int]]:
        """Remove a user from the class at once; return (their sids, left the room, offered)."""
        sids, left, offered = self._evict(
            keys=self.all_keys, args=[self.prefix, user_id, self.capacity, self.offer_ms]
        )
        return [_str(s) for s in sids], left == 1, [int(u) for u in offered]

    def present(self) -> set[int]:
        return {int(u) for u in self.client.smembers(self.keys[2])}

    def in_room(self) -> set[int]:
        return {int(u) for u in self.client.smembers(self.keys[4])}

    def set_hand(self, user_id: int, raised: bool) -> None:
        if raised:
            self.client.sadd(self.keys[5], user_id)
        else:
            self.client.srem(self.keys[5], user_id)

    def hands(self) -> set[int]:
        return {int(u) for u in self.client.smembers(self.keys[5])}

    def clear(self) -> None:
        """Forget everything about the class (it ended)."""
        users = self.client.smembers(self.keys[2]) | set(self.client.hvals(self.keys[1]))
        self.client.delete(*self.keys, *(self.prefix + "u:" + _str(u) for u in users))
        self.client.srem(ACTIVE_CLASSES, self.class_id)


def active_classes(client: redis.Redis) -> list[int]:
    return sorted(int(c) for c in client.smembers(ACTIVE_CLASSES))


def _str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
