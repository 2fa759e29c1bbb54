"""Database engine tuning: SQLite as a safe embedded default, even under concurrency.

SQLite allows one writer at a time. Three rules keep one slow request from
freezing a process that serves many requests at once (gevent greenlets):

- Waiting for the write lock is cooperative. SQLite's own busy handler is a
  blocking C loop that would stop every greenlet of the process, including
  the one holding the lock, so the busy timeout is 0 and `BEGIN IMMEDIATE` is
  retried from Python with `time.sleep` (which gevent makes cooperative), up
  to `SQLITE_LOCK_WAIT_SECONDS`; then the request answers 503 "busy, try again".
- Write transactions never wait on the network: the request body is read
  before any database work (`lms.request_body`), and jobs, mails and emits are
  released after the commit (`lms.tasks.enqueue_after_commit`).
- A safe request (GET) reads in a deferred transaction; when it must write
  (a token's last use, a lesson marked as started) it does so through
  `write_now()`, a short write transaction of its own. Upgrading a read
  snapshot to a write is what SQLite cannot do safely under concurrency.
"""

from __future__ import annotations

import contextvars
import logging
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.exceptions import ServiceUnavailable

log = logging.getLogger(__name__)

DEFAULT_LOCK_WAIT_SECONDS = 10.0
SLOW_WRITE_SECONDS = 1.0  # a write transaction held longer is logged
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_VIEW_WRITES = "lms_view_writes"  # flag in flask.g: the view of an unsafe request runs
_WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE")
# Set by write_now(): the next transaction of this request (or greenlet) writes.
_writing_now: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "lms_writing_now", default=False
)


class DatabaseBusy(ServiceUnavailable):
    """The write lock stayed taken for longer than the configured wait: try again shortly."""

    def __init__(self) -> None:
        super().__init__("The site is busy right now. Please try again in a moment.", retry_after=1)


def engine_options(url: str) -> dict[str, Any]:
    """Return SQLAlchemy engine options suited to the database in `url`."""
    if url.startswith("sqlite"):
        # isolation_level=None hands transaction control to us (see below);
        # timeout=0: no blocking busy wait inside the driver.
        return {"connect_args": {"timeout": 0, "check_same_thread": False, "isolation_level": None}}
    # No liveness ping on every checkout: it was a round trip on every request
    # (bench/catalog_scale.py). Connections are renewed after 30 minutes instead,
    # and a connection found dead (database restarted) makes SQLAlchemy drop the
    # whole pool, so one request per worker sees the 503 page, not every one.
    return {
        "pool_pre_ping": False,
        "pool_recycle": 1800,
        "pool_size": 10,
        "max_overflow": 10,
        "connect_args": {"connect_timeout": 5},
    }


def _starts_write_transaction() -> bool:
    # Jobs and commands begin IMMEDIATE: the write lock is taken up front, so
    # two connections never both hold a read snapshot and then fail to upgrade
    # it. In a request, the checks before the view (who is asking, rate
    # limits) and safe requests (GET) only read: deferred transactions, which
    # under WAL never wait. The view of an unsafe request (POST, PATCH, ...)
    # begins IMMEDIATE (see begin_view_writes).
    if _writing_now.get() or not has_request_context():
        return True
    return request.method not in _SAFE_METHODS and bool(g.get(_VIEW_WRITES))


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def retry_while_busy(action: Any, wait_seconds: float) -> Any:
    """Run `action()` until SQLite stops answering "busy"; raise DatabaseBusy after `wait_seconds`.

    Sleeps between tries with `time.sleep`, which yields to other greenlets
    under gevent: the request holding the lock keeps running meanwhile.
    """
    deadline = time.monotonic() + wait_seconds
    delay = 0.001
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            if time.monotonic() >= deadline:
                log.warning("SQLite write lock still taken after %.1f s", wait_seconds)
                raise DatabaseBusy() from exc
        # Jitter keeps waiting processes from retrying in lockstep.
        time.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(delay * 2, 0.025)


def configure_sqlite(engine: Engine, lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS) -> None:
    """Turn on WAL and foreign keys; make waiting for the write lock cooperative."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Switching to WAL needs a lock the first time; the mode then persists.
        retry_while_busy(
            lambda: dbapi_connection.execute("PRAGMA journal_mode=WAL").fetchall(),
            lock_wait_seconds,
        )
        dbapi_connection.execute("PRAGMA busy_timeout=0")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        driver = connection.connection.driver_connection
        immediate = _starts_write_transaction()
        connection.info["lms_read_only"] = not immediate
        connection.info["lms_wrote"] = False
        if immediate:
            # A connection may wait less: `.execution_options(lms_lock_wait=seconds)`.
            wait = connection.get_execution_options().get("lms_lock_wait", lock_wait_seconds)
            retry_while_busy(lambda: driver.execute("BEGIN IMMEDIATE"), wait)
            connection.info["lms_locked_at"] = time.monotonic()
        else:
            driver.execute("BEGIN")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Any) -> None:
        connection.info.pop("lms_read_only", None)  # the flags describe one transaction
        locked_at = connection.info.pop("lms_locked_at", None)
        if locked_at is not None and time.monotonic() - locked_at > SLOW_WRITE_SECONDS:
            # Everyone else's writes waited meanwhile: worth finding and shortening.
            log.warning(
                "the SQLite write lock was held for %.1f s (%s)",
                time.monotonic() - locked_at,
                f"{request.method} {request.path}" if has_request_context() else "no request",
            )

    @event.listens_for(engine, "before_cursor_execute")
    def _note_writes(
        connection: Any, _cursor: Any, statement: str, *_args: Any, **_kwargs: Any
    ) -> None:
        if not statement.lstrip().upper().startswith(_WRITE_STATEMENTS):
            return
        connection.info["lms_wrote"] = True
        if connection.info.get("lms_read_only"):
            # It may fail with "database is locked" under load: use write_now().
            log.warning(
                "write inside a read transaction (%s %s): use lms.db.write_now()",
                request.method if has_request_context() else "-",
                request.path if has_request_context() else "-",
            )


@contextmanager
def write_now() -> Iterator[None]:
    """Run the block's writes in a short write transaction of their own, committed at its end.

    For requests with a safe method (GET) that must write, e.g. noting a
    token's last use. The session's current transaction is committed first:
    it only read, and SQLite cannot safely turn a read snapshot into a write.
    Objects already loaded are not expired by these commits. On an error the
    block's writes are rolled back and the error propagates.
    """
    from lms.extensions import db

    session = db.session()
    # What the request already loaded stays loaded (no reload of every object
    # on its next use); it is this request's consistent read.
    expire, session.expire_on_commit = session.expire_on_commit, False
    token = _writing_now.set(True)
    try:
        session.commit()
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _writing_now.reset(token)
        session.expire_on_commit = expire


def release_unused_write_lock() -> None:
    """End the session's SQLite write transaction if it has written nothing yet.

    Call before slow work that needs no database (password hashing): the
    write lock is then free meanwhile, and the next query takes it again.
    Objects already loaded stay loaded. Does nothing on other databases, or
    once the transaction has written something (it must stay atomic).
    """
    _end_transaction_if(lambda info: not info.get("lms_read_only", True))


def begin_view_writes() -> None:
    """Let the view of an unsafe request write (the app's last before_request handler).

    The checks before it read in a deferred transaction; that transaction
    ends here, so the view's first query begins IMMEDIATE.
    """
    if request.method in _SAFE_METHODS:
        return
    setattr(g, _VIEW_WRITES, True)
    _end_transaction_if(lambda info: bool(info.get("lms_read_only")))


def _end_transaction_if(matches: Any) -> None:
    """Commit the session's SQLite transaction if it wrote nothing and `matches(info)`."""
    from lms.extensions import db

    session = db.session()
    connection = session.info.get(_CONNECTION_KEY)
    if connection is None or session.new or session.dirty or session.deleted:
        return
    if connection.dialect.name != "sqlite" or connection.info.get("lms_wrote"):
        return
    if not matches(connection.info):
        return
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


_CONNECTION_KEY = "lms_connection"


@event.listens_for(Session, "after_begin")
def _remember_connection(session: Session, _transaction: Any, connection: Any) -> None:
    session.info[_CONNECTION_KEY] = connection


@event.listens_for(Session, "after_transaction_end")
def _forget_connection(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(_CONNECTION_KEY, None)
