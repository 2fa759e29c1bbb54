"""Job functions for tests only: the worker resolves jobs by dotted path.

Test modules are imported with ``--import-mode=importlib`` and are not on
``sys.path``, so jobs that tests enqueue live here, where ``lms.tasks.resolve``
can import them. Nothing in the product enqueues these.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from lms.extensions import db
from lms.models.setting import Setting
from lms.tasks import current_task_id, report_progress


def add(a: int, b: int) -> int:
    """Return a + b (a job that succeeds with a result)."""
    return a + b


def fail(message: str) -> None:
    """Raise RuntimeError(message) on every attempt."""
    raise RuntimeError(message)


def report_half(message: str) -> dict[str, Any]:
    """Record 50% progress on this job's Task row; return what another connection reads."""
    task_id = current_task_id()
    report_progress(task_id, 50, message)
    # A separate connection, as the web process showing the progress bar would use.
    with db.engine.connect() as conn:
        row = conn.execute(
            text("SELECT progress, message FROM tasks WHERE id = :id"), {"id": task_id}
        ).one()
    return {"task_id": task_id, "progress": row.progress, "message": row.message}


def write_setting(key: str, value: Any) -> None:
    """Write a `tests` namespace Setting row and commit (a job with a side effect)."""
    db.session.add(Setting(namespace="tests", key=key, value=value))
    db.session.commit()
