"""One database and one Redis database per pytest-xdist worker.

``make test`` runs the suite in several worker processes (``pytest -n``). Each
test empties the database and flushes Redis after itself, so two workers must
never share either:

- SQLite and the embedded Redis live in the session's temporary folder, which
  pytest already makes per worker.
- PostgreSQL (TEST_DATABASE_URL): worker ``gwN`` gets its own database
  ``<name>_gwN`` on the same server, created at the start and dropped at the end.
- A Redis server (REDIS_URL, database B): worker ``gw0`` uses B, the others the
  highest-numbered databases counting down (15, 14, ...), so the workers of two
  runs with different B (a developer's and CI's) share only those spare ones.
- Socket.IO's Redis pub/sub channel is server-wide (not per database): each
  worker gets its own channel name.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flask import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

DEFAULT_REDIS_DATABASES = 16
SOCKETIO_CHANNEL = "lms-socketio"  # config/defaults.py's SOCKETIO_CHANNEL


def worker_id() -> str | None:
    """Return this process's xdist worker id ("gw0", "gw1", ...), or None outside xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER") or None


def worker_index() -> int:
    """Return this worker's number (0 for gw0 and outside xdist)."""
    wid = worker_id()
    return int(wid.removeprefix("gw")) if wid else 0


def socketio_channel(base: str = SOCKETIO_CHANNEL) -> str:
    """Return the Socket.IO pub/sub channel for this worker (the base name outside xdist)."""
    wid = worker_id()
    return f"{base}-{wid}" if wid else base


# --- PostgreSQL -------------------------------------------------------------------------


def _engine(url: str) -> Engine:
    from lms.config import database_url

    cfg = Config(".")
    cfg["DATABASE_URL"] = url
    return create_engine(database_url(cfg, Path(".")), isolation_level="AUTOCOMMIT")


def postgres_worker_url(url: str) -> str:
    """Return the URL of this worker's own database on `url`'s server (`url` outside xdist)."""
    wid = worker_id()
    if not wid:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{wid}").render_as_string(hide_password=False)


def create_postgres_database(base_url: str, url: str) -> None:
    """Create `url`'s database afresh (dropping a leftover one), connected through `base_url`."""
    name = make_url(url).database
    engine = _engine(base_url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def drop_postgres_database(base_url: str, url: str) -> None:
    """Drop `url`'s database, closing whatever connections are still open to it."""
    name = make_url(url).database
    engine = _engine(base_url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def reset_postgres_schema(url: str) -> None:
    """Empty `url`'s database: drop and recreate its public schema."""
    engine = _engine(url)
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


# --- Redis ----------------------------------------------------------------------------------


def redis_database_for_worker(base: int, index: int, databases: int) -> int:
    """Return worker `index`'s Redis database: `base` for the first, then from the top down."""
    if index == 0:
        return base
    db = databases - index
    if db <= base:
        raise RuntimeError(
            f"REDIS_URL's database {base} leaves no spare database for xdist worker gw{index} "
            f"(the server has {databases}): use a lower database number or fewer workers (-n)"
        )
    return db


def redis_worker_url(url: str) -> str:
    """Return the REDIS_URL this worker uses (`url` itself outside xdist and for gw0)."""
    index = worker_index()
    if index == 0:
        return url
    import redis

    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    try:
        with redis.Redis.from_url(url) as server:
            databases = int(server.config_get("databases")["databases"])
    except (redis.RedisError, KeyError, ValueError):
        databases = DEFAULT_REDIS_DATABASES  # CONFIG may be disabled on managed servers
    db = redis_database_for_worker(base, index, databases)
    return urlunsplit(parts._replace(path=f"/{db}"))
