"""Exact seats of a live class, with a waitlist in arrival order, kept in Redis.

Every change is one Lua script, so it is atomic across every web process and
worker sharing the Redis server: the seat count cannot be overshot by
simultaneous joins ("count, then insert" could). Redis also keeps the state
through a web process restart.

Per class (keys share the hash tag ``{live:<id>}``):

- ``holders``  hash   user id -> time seated (ms)      the seated students
- ``offers``   hash   user id -> offer deadline (ms)   a freed seat held for them
- ``wait``     zset   user id scored by arrival number  the waitlist, in arrival order
- ``seq``      string the arrival counter

An offer reserves its seat: holders + offers never exceed the capacity. After
every change, expired offers are dropped (the seat passes on) and free seats
are offered to the head of the waitlist; so a free seat and a waiting student
never coexist for longer than one script. Time is Redis's clock (``TIME``),
the same for every process. Staff never call these: they take no seat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis

# How long a class's keys live after their last change: a class nobody
# touches for two days is over, and its state must not stay in Redis forever.
KEY_TTL_SECONDS = 2 * 24 * 3600


def key_prefix(class_id: int) -> str:
    return f"lms:live:{{live:{class_id}}}:"


def seat_keys(class_id: int) -> list[str]:
    p = key_prefix(class_id)
    return [p + "holders", p + "offers", p + "wait", p + "seq"]


# Shared Lua: the clock, key expiry, and "expire offers, then offer free seats".
LUA_COMMON = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function touch(keys, ttl)
  for _, k in ipairs(keys) do redis.call('EXPIRE', k, ttl) end
end

-- Drop offers past their deadline, then offer each free seat to the head of the waitlist.
local function expire_and_fill(holders, offers, wait, capacity, now, offer_ms)
  local expired = {}
  local all = redis.call('HGETALL', offers)
  for i = 1, #all, 2 do
    if tonumber(all[i + 1]) <= now then
      redis.call('HDEL', offers, all[i])
      table.insert(expired, all[i])
    end
  end
  local offered = {}
  while redis.call('HLEN', holders) + redis.call('HLEN', offers) < capacity do
    local head = redis.call('ZRANGE', wait, 0, 0)
    if #head == 0 then break end
    redis.call('ZREM', wait, head[1])
    redis.call('HSET', offers, head[1], now + offer_ms)
    table.insert(offered, head[1])
  end
  return expired, offered
end
"""

# KEYS: holders offers wait seq; ARGV: user, capacity, offer_ms, ttl
# -> {state, position, offer deadline, expired, offered}
CLAIM = (
    LUA_COMMON
    + """
local holders, offers, wait, seq = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local user, capacity, offer_ms = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = now_ms()
local expired, offered = expire_and_fill(holders, offers, wait, capacity, now, offer_ms)
touch(KEYS, tonumber(ARGV[4]))
if redis.call('HEXISTS', holders, user) == 1 then
  return {'seated', 0, 0, expired, offered}
end
if redis.call('HEXISTS', offers, user) == 1 then
  -- Taking the seat offered to them.
  redis.call('HDEL', offers, user)
  redis.call('HSET', holders, user, now)
  return {'seated', 0, 0, expired, offered}
end
if redis.call('HLEN', holders) + redis.call('HLEN', offers) < capacity then
  -- A free seat here means the waitlist is empty (expire_and_fill just ran).
  redis.call('HSET', holders, user, now)
  return {'seated', 0, 0, expired, offered}
end
local rank = redis.call('ZRANK', wait, user)
if not rank then
  redis.call('ZADD', wait, redis.call('INCR', seq), user)
  rank = redis.call('ZRANK', wait, user)
end
return {'waiting', rank + 1, 0, expired, offered}
"""
)

# KEYS: holders offers wait seq; ARGV: user, capacity, offer_ms, ttl
# -> {had a seat (0/1), expired, offered}
RELEASE = (
    LUA_COMMON
    + """
local holders, offers, wait = KEYS[1], KEYS[2], KEYS[3]
local user, capacity, offer_ms = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local had = redis.call('HDEL', holders, user)
redis.call('HDEL', offers, user)
redis.call('ZREM', wait, user)
local expired, offered = expire_and_fill(holders, offers, wait, capacity, now_ms(), offer_ms)
touch(KEYS, tonumber(ARGV[4]))
return {had, expired, offered}
"""
)

# KEYS: holders offers wait seq; ARGV: capacity, offer_ms -> {expired, offered}
TICK = (
    LUA_COMMON
    + """
local capacity, offer_ms = tonumber(ARGV[1]), tonumber(ARGV[2])
local expired, offered = expire_and_fill(KEYS[1], KEYS[2], KEYS[3], capacity, now_ms(), offer_ms)
return {expired, offered}
"""
)

# KEYS: holders offers wait seq; ARGV: user -> {state, position, offer deadline, now}
STATUS = (
    LUA_COMMON
    + """
local user = ARGV[1]
local now = now_ms()
if redis.call('HEXISTS', KEYS[1], user) == 1 then return {'seated', 0, 0, now} end
local deadline = redis.call('HGET', KEYS[2], user)
if deadline and tonumber(deadline) > now then return {'offered', 0, tonumber(deadline), now} end
local rank = redis.call('ZRANK', KEYS[3], user)
if rank then return {'waiting', rank + 1, 0, now} end
return {'none', 0, 0, now}
"""
)

# KEYS: holders offers wait seq -> {holders, offers (flat user/deadline), waitlist, now}
SNAPSHOT = (
    LUA_COMMON
    + """
return {redis.call('HKEYS', KEYS[1]), redis.call('HGETALL', KEYS[2]),
        redis.call('ZRANGE', KEYS[3], 0, -1), now_ms()}
"""
)


@dataclass(frozen=True)
class SeatStatus:
    """Where a student stands: "seated", "offered", "waiting" (with position) or "none"."""

    state: str
    position: int = 0
    offer_expires_ms: int = 0
    # Students whose offer ran out, and students newly offered a seat, by this change.
    expired: list[int] = field(default_factory=list)
    offered: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Release:
    had_seat: bool
    expired: list[int]
    offered: list[int]


@dataclass(frozen=True)
class Snapshot:
    seated: list[int]
    offers: dict[int, int]  # user id -> deadline (ms, Redis clock)
    waitlist: list[int]  # in arrival order
    now_ms: int


def _ids(values: list[Any]) -> list[int]:
    return [int(v) for v in values]


class Seats:
    """The seats of one class. `capacity` comes from the class (it may be edited)."""

    def __init__(
        self, client: redis.Redis, class_id: int, capacity: int, offer_seconds: float = 60
    ) -> None:
        self.client = client
        self.class_id = class_id
        self.capacity = max(0, int(capacity))
        self.offer_ms = int(offer_seconds * 1000)
        self.keys = seat_keys(class_id)
        self._claim = client.register_script(CLAIM)
        self._release = client.register_script(RELEASE)
        self._tick = client.register_script(TICK)
        self._status = client.register_script(STATUS)
        self._snapshot = client.register_script(SNAPSHOT)

    def claim(self, user_id: int) -> SeatStatus:
        """Take a free seat (or the one offered), else join the waitlist; idempotent."""
        state, position, _deadline, expired, offered = self._claim(
            keys=self.keys, args=[user_id, self.capacity, self.offer_ms, KEY_TTL_SECONDS]
        )
        return SeatStatus(
            _str(state), int(position), 0, expired=_ids(expired), offered=_ids(offered)
        )

    def release(self, user_id: int) -> Release:
        """Give up the seat, the offer or the waitlist place; free seats pass on."""
        had, expired, offered = self._release(
            keys=self.keys, args=[user_id, self.capacity, self.offer_ms, KEY_TTL_SECONDS]
        )
        return Release(bool(had), _ids(expired), _ids(offered))

    def tick(self) -> tuple[list[int], list[int]]:
        """Pass on expired offers; return (expired, newly offered) students."""
        expired, offered = self._tick(keys=self.keys, args=[self.capacity, self.offer_ms])
        return _ids(expired), _ids(offered)

    def status(self, user_id: int) -> SeatStatus:
        state, position, deadline, _now = self._status(keys=self.keys, args=[user_id])
        return SeatStatus(_str(state), int(position), int(deadline))

    def snapshot(self) -> Snapshot:
        holders, offers, wait, now = self._snapshot(keys=self.keys)
        pairs = dict(zip(offers[::2], offers[1::2], strict=True))
        return Snapshot(
            seated=sorted(_ids(holders)),
            offers={int(k): int(v) for k, v in pairs.items()},
            waitlist=_ids(wait),
            now_ms=int(now),
        )

    def clear(self) -> None:
        """Forget every seat, offer and waitlist place (the class ended)."""
        self.client.delete(*self.keys)


def _str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
