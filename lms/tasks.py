"""Background jobs on RQ: queues by purpose, a Task row per job, after-commit enqueue.

A job is a plain function in a plugin's ``tasks.py`` that takes ids and
reloads what it needs. Enqueue it by dotted path::

    enqueue_after_commit("lms_uploads.tasks.transcode", video.id, queue="media",
                         retries=3, user_id=current_user.id)

The worker runs every job through ``run_task()``, which opens an app context,
records progress and outcome on the Task row and retries with backoff.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g
from rq import Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.extensions import db
from lms.models.task import Task, TaskStatus
from lms.models.types import utcnow
from lms.redis_store import get_redis

log = logging.getLogger(__name__)

# Seconds to wait before each retry: a short hiccup first, then longer.
RETRY_BACKOFF = [10, 60, 300]
_PENDING_KEY = "lms_pending_jobs"


def get_queue(name: str, app: Flask | None = None) -> Queue:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if name not in app.config["LMS_QUEUES"]:
        raise ValueError(f"unknown queue {name!r}; queues are {app.config['LMS_QUEUES']}")
    return Queue(
        name,
        connection=get_redis(app),
        serializer=JSONSerializer,
        default_timeout=app.config["LMS_JOB_TIMEOUT"],
    )


def _create_task(
    func: str, args: tuple[Any, ...], queue: str, retries: int, user_id: int | None
) -> Task:
    # Check the queue now: enqueue_after_commit only pushes after the commit,
    # where a misspelt queue would leave a row "queued" that no worker runs.
    if queue not in current_app.config["LMS_QUEUES"]:
        raise ValueError(f"unknown queue {queue!r}; queues are {current_app.config['LMS_QUEUES']}")
    task = Task(name=func, args=list(args), queue=queue, max_retries=retries, user_id=user_id)
    db.session.add(task)
    db.session.flush()
    return task


def _push(task_id: int, queue: str, retries: int) -> None:
    retry = Retry(max=retries, interval=RETRY_BACKOFF[:retries]) if retries else None
    job = get_queue(queue).enqueue(run_task, task_id, retry=retry)
    log.info("queued task %s on %s as %s", task_id, queue, job.id)


def enqueue(
    func: str, *args: Any, queue: str = "default", retries: int = 0, user_id: int | None = None
) -> Task:
    """Record a task and queue it now, committing the record first.

    Use this outside a transaction that may still roll back (CLI, jobs). In a
    request that changes data, use ``enqueue_after_commit``.
    """
    task = _create_task(func, args, queue, retries, user_id)
    db.session.commit()
    _push(task.id, queue, retries)
    return task


def enqueue_after_commit(
    func: str, *args: Any, queue: str = "default", retries: int = 0, user_id: int | None = None
) -> Task:
    """Record a task now and queue it only when the current transaction commits.

    If the transaction rolls back, the task row vanishes with it and no job
    is ever queued, so a worker never looks for a row that does not exist.
    """
    task = _create_task(func, args, queue, retries, user_id)
    session = db.session()
    session.info.setdefault(_PENDING_KEY, []).append((task.id, queue, retries))
    return task


@event.listens_for(Session, "after_commit")
def _release_pending_jobs(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, [])
    for task_id, queue, retries in pending:
        try:
            _push(task_id, queue, retries)
        except Exception:
            # The row is saved with status queued; the admin jobs page can retry it.
            log.exception("could not queue task %s", task_id)


@event.listens_for(Session, "after_rollback")
def _drop_pending_jobs(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


# --- inside the worker ---------------------------------------------------------

_worker_app: Flask | None = None


def set_worker_app(app: Flask) -> None:
    """Tell run_task which app to run jobs in (worker.py does this once)."""
    global _worker_app
    _worker_app = app


def resolve(func_path: str) -> Callable[..., Any]:
    module_name, _, attr = func_path.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def current_task_id() -> int | None:
    """Return the id of the Task row the running job belongs to (None outside a job).

    Jobs receive only their own arguments, so without this a job could not
    find the row that ``report_progress`` updates.
    """
    return g.get("lms_task_id")


def report_progress(task_id: int, percent: int, message: str = "") -> None:
    """Record a running task's progress (committed at once so pages can show it)."""
    db.session.execute(
        db.update(Task)
        .where(Task.id == task_id)
        .values(progress=max(0, min(100, int(percent))), message=message[:500])
    )
    db.session.commit()


def _is_last_attempt(job: Job | None, task: Task) -> bool:
    return job is None or not job.retries_left


def run_task(task_id: int) -> Any:
    """Run the Task row `task_id` in an app context and record how it went."""
    from rq import get_current_job

    from lms.signals import task_failed, task_finished

    app = _worker_app or current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        g.lms_task_id = task_id  # for current_task_id() inside the job
        task = db.session.get(Task, task_id)
        if task is None:
            log.warning("task %s no longer exists; nothing to do", task_id)
            return None
        task.status = TaskStatus.RUNNING
        task.attempts += 1
        task.started_at = utcnow()
        task.error = None
        job = get_current_job()
        task.rq_job_id = job.id if job else None
        db.session.commit()
        try:
            result = resolve(task.name)(*task.args)
        except Exception as exc:
            db.session.rollback()
            task = db.session.get(Task, task_id)
            last = _is_last_attempt(job, task)
            task.status = TaskStatus.FAILED if last else TaskStatus.QUEUED
            task.error = "".join(traceback.format_exception_only(exc)).strip()[:4000]
            task.finished_at = utcnow()
            if last:
                task_failed.send(task)
            db.session.commit()
            raise
        task = db.session.get(Task, task_id)
        task.status = TaskStatus.FINISHED
        task.progress = 100
        task.result = result if _is_jsonable(result) else None
        task.finished_at = utcnow()
        task_finished.send(task)
        db.session.commit()
        return task.result


def _is_jsonable(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)


def retry_task(task: Task) -> None:
    """Queue a failed task again (admin action); the caller commits."""
    task.status = TaskStatus.QUEUED
    task.error = None
    session = db.session()
    session.info.setdefault(_PENDING_KEY, []).append((task.id, task.queue, 0))
