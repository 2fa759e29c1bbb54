"""Jobs for tests only, registered through LMS_JOB_MODULES in config/testing.py.

Test modules are imported with ``--import-mode=importlib`` and are not
importable by a worker, so the jobs that tests enqueue live here. Nothing in
the product enqueues these.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from lms.db import DatabaseBusy
from lms.extensions import db
from lms.models.setting import Setting
from lms.tasks import current_task_id, job, report_progress


@job()
def add(a: int, b: int) -> int:
    """Return a + b (a job that succeeds with a result)."""
    return a + b


@job(queue="media")
def add_media(a: int, b: int) -> int:
    """Return a + b on the media queue."""
    return a + b


@job()
def fail(message: str) -> None:
    """Raise RuntimeError(message) on every attempt."""
    raise RuntimeError(message)


@job()
def database_busy() -> None:
    """Raise what a write raises after waiting too long for SQLite's lock."""
    raise DatabaseBusy()


@job(retries=2)
def fail_with_retries(message: str) -> None:
    """Raise RuntimeError(message) on every attempt; two retries."""
    raise RuntimeError(message)


@job()
def report_half(message: str) -> dict[str, Any]:
    """Record 50% progress on this job's Task row; return what another connection reads."""
    task_id = current_task_id()
    report_progress(50, message, eta=30)
    # A separate connection, as the web process showing the progress bar would use.
    with db.engine.connect() as conn:
        row = conn.execute(
            text("SELECT progress, message FROM tasks WHERE id = :id"), {"id": task_id}
        ).one()
    return {"task_id": task_id, "progress": row.progress, "message": row.message}


@job()
def half_done_then_fail(key: str) -> None:
    """Write a Setting (not committed), report progress, then fail."""
    db.session.add(Setting(namespace="tests", key=key, value=1))
    db.session.flush()
    report_progress(40, "half-way")
    raise RuntimeError("failed after half the work")


@job()
def write_setting(key: str, value: Any) -> None:
    """Write a `tests` namespace Setting row and commit (a job with a side effect)."""
    db.session.add(Setting(namespace="tests", key=key, value=value))
    db.session.commit()


@job(unique=True)
def unique_add(a: int, b: int) -> int:
    """Return a + b; queued once per arguments while a copy waits."""
    return a + b


@job(retries=1, timeout=120)
def hang_on_first_attempt(marker: str) -> str:
    """First attempt: report 10% and hang (to be killed); later attempts finish.

    `marker` is a file path shared with the test: it exists once an attempt started.
    """
    path = Path(marker)
    if not path.exists():
        path.write_text("started")
        report_progress(10, "first attempt")
        deadline = time.monotonic() + 110
        while time.monotonic() < deadline:  # until the test kills the worker
            time.sleep(0.1)
        raise RuntimeError("the test should have killed this attempt")
    report_progress(90, "second attempt")
    return "finished"


@job(queue="media", timeout=120)
def long_media(seconds: float) -> str:
    """Stand in for a transcode: report progress, then sleep `seconds`."""
    report_progress(1, "transcoding")
    time.sleep(seconds)
    return "transcoded"
