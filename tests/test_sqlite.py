"""SQLite as the embedded default: WAL, busy timeout, write transactions safe across processes.

These tests use their own SQLite file, so they run whatever TEST_DATABASE_URL says.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lms.config import PROJECT_ROOT
from lms.extensions import db
from lms.models import Setting


@pytest.fixture
def sqlite_config(test_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return {
        **test_config,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'lms.sqlite3'}",
        "LMS_INSTANCE_PATH": str(tmp_path),
    }


@pytest.fixture
def sqlite_app(sqlite_config: dict[str, Any]) -> Iterator[Flask]:
    from lms.app import create_app

    app = create_app(dict(sqlite_config))
    with app.app_context():
        Setting.__table__.create(db.engine)
        db.session.add(Setting(namespace="tests", key="counter", value=0))
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_app):
    with sqlite_app.app_context():
        assert db.engine.dialect.name == "sqlite"
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db_file = Path(sqlite_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    assert db_file.with_name(db_file.name + "-wal").exists()


def test_default_database_is_sqlite_in_the_instance_folder(test_config, tmp_path):
    from lms.app import create_app

    app = create_app({**test_config, "DATABASE_URL": None, "LMS_INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'lms.sqlite3'}"


@pytest.fixture
def writer_holding_the_lock(sqlite_app) -> Iterator[sqlite3.Connection]:
    """Another process's write transaction, open (as a long job or a form post would hold it)."""
    path = sqlite_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    conn = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE settings SET value = '100' WHERE key = 'counter'")
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


def test_page_views_read_while_another_process_writes(sqlite_app, writer_holding_the_lock):
    # A GET request takes a deferred (read) transaction: WAL lets it read at once.
    with sqlite_app.test_request_context("/courses", method="GET"):
        started = time.monotonic()
        value = db.session.scalar(select(Setting.value).where(Setting.key == "counter"))
        assert time.monotonic() - started < 1
        assert value == 0  # the snapshot before the uncommitted write
        db.session.rollback()


def test_writers_wait_for_the_lock_instead_of_failing(sqlite_app, writer_holding_the_lock):
    def finish_the_other_write() -> None:
        time.sleep(0.5)
        writer_holding_the_lock.execute("COMMIT")

    threading.Thread(target=finish_the_other_write).start()
    with sqlite_app.test_request_context("/settings", method="POST"):
        started = time.monotonic()
        row = db.session.scalar(select(Setting).where(Setting.key == "counter"))
        waited = time.monotonic() - started
        # The write lock is taken when the transaction begins, so the read
        # that precedes the write already sees the other process's commit.
        assert row.value == 100
        row.value = row.value + 1
        db.session.commit()
    assert waited >= 0.4
    with sqlite_app.app_context():
        assert db.session.scalar(select(Setting.value).where(Setting.key == "counter")) == 101


_INCREMENTER = """
import json, sys, time
from pathlib import Path
from sqlalchemy import select
from lms.app import create_app
from lms.extensions import db
from lms.models import Setting

config, times, go = json.loads(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
app = create_app(config)
while not go.exists():  # start together with the other process
    time.sleep(0.005)
for _ in range(times):
    # As a form post would: read the row, change it, commit.
    with app.test_request_context("/counter", method="POST"):
        row = db.session.scalar(select(Setting).where(Setting.key == "counter"))
        row.value = row.value + 1
        db.session.commit()
print("done")
"""


@pytest.mark.slow
def test_two_processes_incrementing_one_row_lose_no_update(sqlite_app, sqlite_config, tmp_path):
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _INCREMENTER, json.dumps(sqlite_config), "200", str(go)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(0.2)
    go.touch()
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert "database is locked" not in err
        assert proc.returncode == 0, err[-2000:]
        assert out.strip() == "done"
    with sqlite_app.app_context():
        assert db.session.scalar(select(Setting.value).where(Setting.key == "counter")) == 400
