"""A small per-process cache for data every page reads and that rarely changes.

Settings, permission grants and category lists are read by every page and
change a few times a year, so each process keeps them in memory. A change
must still reach every web process and worker within seconds: a Redis
counter (``lms:cache-version``) is bumped after each committed change, and
every process compares it with the version it last saw at most once per
LMS_CACHE_CHECK_SECONDS, dropping its whole cache when it moved. The process
that made the change sees it at once.

Entries also expire after their `ttl`, so a process that cannot reach Redis
serves values at most that old. Store plain values (tuples, strings, dicts),
never ORM objects: they would outlive their database session.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import redis
from flask import Flask, current_app

from lms.commit import on_commit
from lms.state import LmsState, lms_state

T = TypeVar("T")

log = logging.getLogger(__name__)

VERSION_KEY = "lms:cache-version"
# After a failed read of the version, wait this long before asking Redis again
# (each attempt may wait for a connection timeout).
_RETRY_AFTER_FAILURE = 5.0


def _now() -> float:
    return time.monotonic()


def remember(key: str, ttl: float, compute: Callable[[], T]) -> T:
    """Return the cached value of `key`, computing and keeping it when missing or old."""
    state = lms_state()
    _follow_version(state)
    hit = state.cache.get(key)
    now = _now()
    if hit is not None and hit[1] > now:
        return hit[0]  # type: ignore[no-any-return]
    value = compute()
    if ttl > 0:
        state.cache[key] = (value, now + ttl)
    return value


def _follow_version(state: LmsState) -> None:
    """Drop this process's cache if another process changed cached data since the last look."""
    now = _now()
    if now < state.cache_next_check:
        return
    state.cache_next_check = now + current_app.config["LMS_CACHE_CHECK_SECONDS"]
    from lms.redis_store import get_redis

    try:
        raw = get_redis().get(VERSION_KEY)
    except redis.RedisError as exc:
        # Entries still expire after their ttl; pages keep working meanwhile.
        log.warning("cache version unreadable (%s); cached values live out their ttl", exc)
        state.cache_next_check = now + _RETRY_AFTER_FAILURE
        return
    version = int(raw or 0)
    if version != state.cache_version:
        state.cache.clear()
        state.cache_version = version


def forget(key: str) -> None:
    """Drop `key` from this process's cache only (see `forget_after_commit`)."""
    lms_state().cache.pop(key, None)


def clear(app: Flask | None = None) -> None:
    """Forget everything in this process (the test suite empties the database under the cache)."""
    state = lms_state(app)
    state.cache.clear()
    state.cache_version = None
    state.cache_next_check = 0.0


def invalidate_everywhere(app: Flask | None = None) -> None:
    """Make every process drop its cache at its next look (within LMS_CACHE_CHECK_SECONDS)."""
    from lms.redis_store import get_redis

    state = lms_state(app)
    state.cache.clear()
    try:
        version = int(get_redis(app).incr(VERSION_KEY))
    except redis.RedisError as exc:
        log.warning(
            "cache version not bumped (%s): other processes keep old values up to their ttl", exc
        )
        return
    # Our own cache is already empty: no need to empty it again at the next look,
    # unless another process bumped in between (then its change is ours to see).
    if state.cache_version is not None and version == state.cache_version + 1:
        state.cache_version = version


def flush_caches(app: Flask | None = None) -> None:
    """Empty the cache of every web process and worker ("flush caches")."""
    invalidate_everywhere(app)


def forget_after_commit(key: str) -> None:
    """Forget `key` now, and in every process once the current transaction commits.

    Between the change and its commit, another request of this process could
    cache the old value again; the second forget drops it. A rollback skips it.
    """
    forget(key)
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def forget_everywhere() -> None:
        lms_state(app).cache.pop(key, None)
        invalidate_everywhere(app)

    on_commit(forget_everywhere, key=("lms.cache.forget", key))
