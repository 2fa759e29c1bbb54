"""Password hashing: argon2id with the library's current recommended cost."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from flask import current_app, has_app_context

T = TypeVar("T")

_hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
# Used only when the test configuration asks for it (LMS_PASSWORD_HASH_FAST).
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _current() -> PasswordHasher:
    if has_app_context() and current_app.config.get("LMS_PASSWORD_HASH_FAST"):
        return _fast_hasher
    return _hasher


def _off_the_event_loop(work: Callable[[], T]) -> T:
    """Run slow CPU work (hashing) without holding SQLite's write lock or the event loop.

    Under gevent a long C call stops every request of the process; argon2
    releases the GIL, so gevent's thread pool runs it while the others go on.
    """
    from lms.db import release_unused_write_lock

    if has_app_context():
        release_unused_write_lock()
    if "gevent" in sys.modules:
        from gevent import get_hub
        from gevent.monkey import is_module_patched

        if is_module_patched("threading"):
            return get_hub().threadpool.apply(work)
    return work()


def hash_password(password: str) -> str:
    hasher = _current()
    return _off_the_event_loop(lambda: hasher.hash(password))


def verify_password(password_hash: str, password: str) -> tuple[bool, str | None]:
    """Return (matches, new hash if the stored one should be upgraded)."""
    hasher = _current()

    def check() -> tuple[bool, str | None]:
        try:
            hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False, None
        return True, hasher.hash(password) if hasher.check_needs_rehash(password_hash) else None

    return _off_the_event_loop(check)


def burn_password_time(password: str) -> None:
    """Spend the time a verification takes, so unknown accounts answer as slowly."""
    verify_password(_DUMMY_HASH(), password)


_dummy_cache: dict[int, str] = {}


def _DUMMY_HASH() -> str:  # noqa: N802 - reads as a constant, computed once per hasher
    hasher = _current()
    key = id(hasher)
    if key not in _dummy_cache:
        _dummy_cache[key] = hasher.hash("not-a-real-password")
    return _dummy_cache[key]
