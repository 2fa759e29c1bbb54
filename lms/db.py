"""Database engine tuning: SQLite as a safe embedded default."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 15000
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def engine_options(url: str) -> dict[str, Any]:
    """Return SQLAlchemy engine options suited to the database in `url`."""
    if url.startswith("sqlite"):
        # isolation_level=None hands transaction control to us (see below).
        return {
            "connect_args": {
                "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                "check_same_thread": False,
                "isolation_level": None,
            }
        }
    return {
        "pool_pre_ping": True,
        "pool_size": 10,
        "max_overflow": 10,
        "connect_args": {"connect_timeout": 5},
    }


def _starts_write_transaction() -> bool:
    # Page views (GET) only read: they take a deferred transaction so readers
    # never queue behind writers. Everything else (forms, API writes, jobs,
    # CLI) begins IMMEDIATE: the write lock is taken up front, so two
    # processes can never both hold a read snapshot and then deadlock trying
    # to upgrade it; the busy timeout makes the second one wait instead.
    return not (has_request_context() and request.method in _SAFE_METHODS)


def configure_sqlite(engine: Engine) -> None:
    """Turn on WAL, a busy timeout, foreign keys, and lock-safe transactions."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _starts_write_transaction() else "BEGIN")
