"""A small per-process cache for data every page reads and that rarely changes.

Values live in the app's state for `ttl` seconds. The process that changes the
data calls ``forget(key)`` and sees the change at once; other processes see it
within `ttl`. Store plain values (tuples, strings), never ORM objects: they
would outlive their database session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app

from lms.commit import on_commit
from lms.state import lms_state

T = TypeVar("T")


def remember(key: str, ttl: float, compute: Callable[[], T]) -> T:
    """Return the cached value of `key`, computing and keeping it when missing or old."""
    store = lms_state().cache
    hit = store.get(key)
    now = time.monotonic()
    if hit is not None and hit[1] > now:
        return hit[0]  # type: ignore[no-any-return]
    value = compute()
    if ttl > 0:
        store[key] = (value, now + ttl)
    return value


def forget(key: str) -> None:
    lms_state().cache.pop(key, None)


def clear(app: Flask | None = None) -> None:
    """Forget everything (the test suite empties the database under the cache)."""
    lms_state(app).cache.clear()


def forget_after_commit(key: str) -> None:
    """Forget `key` now and again once the current transaction commits.

    Between the change and its commit, another request of this process could
    cache the old value again; the second forget drops it. A rollback skips it.
    """
    forget(key)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    on_commit(lambda: lms_state(app).cache.pop(key, None), key=("lms.cache.forget", key))
