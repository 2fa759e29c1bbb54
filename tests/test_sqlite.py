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


def test_sqlite_runs_in_wal_mode_without_a_blocking_busy_wait(sqlite_app):
    with sqlite_app.app_context():
        assert db.engine.dialect.name == "sqlite"
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            # Waiting for the lock is done in Python (cooperative), never in C.
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 0
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


def _add_counter_routes(app: Flask) -> None:
    """POST /counter adds one (a form post); GET /visit reads, then notes a visit (write_now)."""
    from lms.db import write_now
    from lms.extensions import csrf

    @app.post("/counter")
    @csrf.exempt
    def increment() -> dict[str, int]:
        row = db.session.scalar(select(Setting).where(Setting.key == "counter"))
        row.value = row.value + 1
        db.session.commit()
        return {"value": row.value}

    @app.get("/visit")
    def visit() -> dict[str, int]:
        seen = db.session.scalar(select(Setting.value).where(Setting.key == "counter"))
        app.config["between_read_and_write"]()
        with write_now():
            row = db.session.scalar(select(Setting).where(Setting.key == "counter"))
            row.value = row.value + 1000
        return {"seen": seen, "value": row.value}


def test_writers_wait_for_the_lock_instead_of_failing(sqlite_app, writer_holding_the_lock):
    _add_counter_routes(sqlite_app)

    def finish_the_other_write() -> None:
        time.sleep(0.5)
        writer_holding_the_lock.execute("COMMIT")

    threading.Thread(target=finish_the_other_write).start()
    response = sqlite_app.test_client().post("/counter")
    # The view's transaction takes the write lock when it begins, so its read
    # already sees the other process's commit: no update is lost.
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json == {"value": 101}


def test_a_write_that_waits_too_long_answers_busy_and_changes_nothing(
    sqlite_config, writer_holding_the_lock
):
    from lms.app import create_app

    app = create_app({**sqlite_config, "SQLITE_LOCK_WAIT_SECONDS": 0.3})
    _add_counter_routes(app)
    response = app.test_client().post("/counter", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json["error"]["code"] == "unavailable"
    assert "busy" in response.json["error"]["message"]
    writer_holding_the_lock.execute("ROLLBACK")
    with app.app_context():
        assert db.session.scalar(select(Setting.value).where(Setting.key == "counter")) == 0
        db.engine.dispose()


def test_a_page_view_that_must_write_does_so_after_another_commit(sqlite_app):
    """A GET's read snapshot is older than another process's commit; write_now still writes."""
    path = sqlite_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")

    def another_process_writes() -> None:
        other = sqlite3.connect(path, isolation_level=None, timeout=5)
        other.execute("UPDATE settings SET value = '7' WHERE key = 'counter'")
        other.close()

    sqlite_app.config["between_read_and_write"] = another_process_writes
    _add_counter_routes(sqlite_app)
    response = sqlite_app.test_client().get("/visit")
    # Upgrading the GET's own read transaction would fail ("database is locked").
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json == {"seen": 0, "value": 1007}


_WAITER_UNDER_GEVENT = """
from gevent import monkey

monkey.patch_all()
import json, sys, time
import gevent
from sqlalchemy import select, update
from lms.app import create_app
from lms.extensions import db
from lms.models import Setting

app = create_app(json.loads(sys.argv[1]))
ticks = []

def holder():
    # A request holding the write lock that yields (network, Redis) before committing.
    with app.app_context():
        db.session.execute(update(Setting).values(value=1))
        gevent.sleep(0.3)
        db.session.commit()

def waiter():
    with app.app_context():
        row = db.session.scalar(select(Setting).where(Setting.key == "counter"))
        row.value = row.value + 1
        db.session.commit()

def ticker():
    for _ in range(30):
        ticks.append(1)
        gevent.sleep(0.01)

first = gevent.spawn(holder)
gevent.sleep(0.05)  # the holder has the lock now
gevent.joinall([first, gevent.spawn(waiter), gevent.spawn(ticker)], raise_error=True)
with app.app_context():
    print(json.dumps({"value": db.session.scalar(select(Setting.value)), "ticks": len(ticks)}))
"""


@pytest.mark.slow
def test_waiting_for_the_lock_lets_the_other_greenlets_run(sqlite_app, sqlite_config):
    """Under gevent, the holder of the lock finishes while another request waits for it.

    SQLite's own busy wait is a blocking C call: the holder would never get to
    commit, and the waiter would fail after the timeout with nothing served.
    """
    result = subprocess.run(
        [sys.executable, "-c", _WAITER_UNDER_GEVENT, json.dumps(sqlite_config)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"value": 2, "ticks": 30}


_INCREMENTER = """
import json, sys, time
from pathlib import Path
from sqlalchemy import select
from lms.app import create_app
from lms.extensions import csrf, db
from lms.models import Setting

config, times = json.loads(sys.argv[1]), int(sys.argv[2])
go, ready = Path(sys.argv[3]), Path(sys.argv[4])
app = create_app(config)

@app.post("/counter")
@csrf.exempt
def increment():
    # As a form post would: read the row, change it, commit.
    row = db.session.scalar(select(Setting).where(Setting.key == "counter"))
    row.value = row.value + 1
    db.session.commit()
    return "ok"

client = app.test_client()
ready.touch()
while not go.exists():  # start together with the other process
    time.sleep(0.005)
for _ in range(times):
    response = client.post("/counter")
    assert response.status_code == 200, response.get_data(as_text=True)
print("done")
"""


@pytest.mark.slow
def test_two_processes_incrementing_one_row_lose_no_update(sqlite_app, sqlite_config, tmp_path):
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{n}" for n in range(2)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _INCREMENTER, json.dumps(sqlite_config), "200", str(go), str(r)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for r in ready
    ]
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in ready):  # both have built their app
        assert all(p.poll() is None for p in procs), "an incrementer exited early"
        assert time.monotonic() < deadline, "the incrementers did not start"
        time.sleep(0.01)
    go.touch()
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert "database is locked" not in err
        assert proc.returncode == 0, err[-2000:]
        assert out.strip() == "done"
    with sqlite_app.app_context():
        assert db.session.scalar(select(Setting.value).where(Setting.key == "counter")) == 400
