"""The per-process cache: values come back until they are forgotten, here or in any process."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from lms.cache import VERSION_KEY, flush_caches, forget_after_commit, remember
from lms.config import PROJECT_ROOT
from lms.extensions import db
from lms.redis_store import get_redis
from lms.settings import get_setting, set_setting
from lms.testing.servers import free_port


def test_a_value_is_computed_once_until_forgotten_after_commit(app) -> None:
    calls = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    with app.app_context():
        assert remember("k", 60, compute) == 1
        assert remember("k", 60, compute) == 1  # cached
        db.session.execute(select(1))  # a change under way in this transaction
        forget_after_commit("k")
        assert remember("k", 60, compute) == 2  # forgotten at once...
        assert remember("k", 60, compute) == 2
        db.session.commit()
        assert remember("k", 60, compute) == 3  # ...and again after the commit


def test_a_zero_lifetime_never_caches(app) -> None:
    with app.app_context():
        values = iter(range(5))
        assert [remember("z", 0, lambda: next(values)) for _ in range(3)] == [0, 1, 2]


# --- every process follows the Redis cache version ----------------------------------------


@pytest.fixture
def check_every_call(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Look at the cache version on every read (no clock in the way of these tests)."""
    monkeypatch.setitem(app.config, "LMS_CACHE_CHECK_SECONDS", 0)


def test_a_change_committed_by_another_process_empties_this_cache(app, check_every_call) -> None:
    values = iter(range(10))
    with app.app_context():
        assert remember("k", 60, lambda: next(values)) == 0
        assert remember("k", 60, lambda: next(values)) == 0
        # What another process's commit does: bump the shared version.
        get_redis(app).incr(VERSION_KEY)
        assert remember("k", 60, lambda: next(values)) == 1


def test_the_version_is_read_at_most_once_per_check_interval(app, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "LMS_CACHE_CHECK_SECONDS", 3600)
    values = iter(range(10))
    with app.app_context():
        assert remember("k", 60, lambda: next(values)) == 0
        get_redis(app).incr(VERSION_KEY)
        # Not looked at again before the interval is over.
        assert remember("k", 60, lambda: next(values)) == 0


def test_flush_caches_reaches_other_processes_through_the_version(app, check_every_call) -> None:
    with app.app_context():
        before = int(get_redis(app).get(VERSION_KEY) or 0)
        flush_caches()
        assert int(get_redis(app).get(VERSION_KEY)) == before + 1


def test_a_rolled_back_change_bumps_no_version(app) -> None:
    with app.app_context():
        before = int(get_redis(app).get(VERSION_KEY) or 0)
        set_setting("core", "site_name", "Never Stored")
        db.session.rollback()
        db.session.commit()
        assert get_setting("core", "site_name") == ""
        assert int(get_redis(app).get(VERSION_KEY) or 0) == before


def test_pages_keep_working_while_redis_cannot_be_reached(
    app, client, check_every_call, monkeypatch
) -> None:
    from lms.state import lms_state

    state = lms_state(app)
    dead = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    monkeypatch.setattr(state, "redis", dead)
    with app.app_context():
        values = iter(range(10))
        assert remember("k", 60, lambda: next(values)) == 0
        assert remember("k", 60, lambda: next(values)) == 0  # served from memory meanwhile
        flush_caches()  # logged, not raised
    assert client.get("/courses").status_code == 200


# --- acceptance: a setting changed in one process is seen by another within 5 s ---------------

READER = """
import sys, time
from lms.app import create_app
from lms.settings import get_setting
app = create_app()
last = object()
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    with app.app_context():
        value = get_setting("core", "site_name")
    if value != last:
        print(value, flush=True)
        last = value
    time.sleep(0.05)
"""


def _env(test_config: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LMS_ENV="testing",
        LMS_INSTANCE_PATH=test_config["LMS_INSTANCE_PATH"],
        DATABASE_URL=test_config["DATABASE_URL"],
        REDIS_URL=test_config["REDIS_URL"],
    )
    return env


def _next_line(proc: subprocess.Popen[str], timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    return lines.get(timeout=timeout).strip()


@pytest.mark.slow
def test_a_setting_written_here_is_seen_by_another_process_within_5_seconds(
    app, test_config
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", READER],
        env=_env(test_config),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert _next_line(proc, timeout=60) == ""  # its cache now holds the old value
        with app.app_context():
            set_setting("core", "site_name", "Hill School")
            db.session.commit()
        changed_at = time.monotonic()
        assert _next_line(proc, timeout=5) == "Hill School"
        print(f"seen by the other process after {time.monotonic() - changed_at:.2f} s")
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_a_setting_written_by_another_process_is_seen_here_within_5_seconds(
    app, test_config
) -> None:
    with app.app_context():
        assert get_setting("core", "site_name") == ""  # cached here from now on
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "lms",
            "settings",
            "set",
            "core.site_name",
            "Hill School",
        ],
        env=_env(test_config),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    changed_at = time.monotonic()
    seen = None
    while time.monotonic() - changed_at < 5:
        with app.app_context():
            seen = get_setting("core", "site_name")
        if seen == "Hill School":
            break
        time.sleep(0.05)
    assert seen == "Hill School"
    print(f"seen here after {time.monotonic() - changed_at:.2f} s")
