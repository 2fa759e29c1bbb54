"""Background jobs on RQ: declared with @job, recorded as a Task row, pushed after commit.

A job is a function in a plugin's ``tasks.py`` (or a core module) that takes
ids, reloads what it needs and is safe to run twice::

    @job(queue="media", timeout=2 * 3600, retries=2)
    def transcode(video_id: int) -> dict: ...

    enqueue(transcode, video.id, user_id=current_user.id)   # in a request; it commits

The app registers every declared job when its plugin loads, so ``enqueue`` and
periodic jobs refuse a name no plugin declares, at once. The Task row is the
record: it is written in the caller's transaction and handed to Redis only
after the commit (``lms.commit.on_commit``). A row that could not be handed
over (Redis down) stays "queued, not pushed" and the outbox sweep
(``lms.task_recovery``) pushes it later. A worker runs a task only after
claiming its row (queued -> running), so a task pushed twice runs once.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import inspect
import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from types import ModuleType
from typing import Any, TypeVar

from flask import Flask, current_app, g
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from lms.commit import on_commit
from lms.db import DatabaseBusy
from lms.extensions import db
from lms.models.task import Task, TaskStatus
from lms.models.types import utcnow
from lms.redis_store import get_redis
from lms.state import lms_state

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

# Seconds to wait before each retry: a short hiccup first, then longer.
RETRY_BACKOFF = [10, 60, 300]
# Modules of the core that declare jobs (plugins declare theirs in <package>.tasks).
CORE_JOB_MODULES = ("lms.mail",)
# The Socket.IO event that tells a task's owner how it is going.
PROGRESS_EVENT = "task_progress"
_ATTR = "__lms_job__"


class UnknownJobError(ValueError):
    """A job name (or function) that no loaded plugin declares with @job."""


@dataclass(frozen=True)
class JobSpec:
    """What @job declared about a job function."""

    name: str
    func: Callable[..., Any]
    queue: str = "default"
    timeout: int | None = None
    retries: int = 0
    unique: bool = False


def job(
    queue: str = "default", *, timeout: int | None = None, retries: int = 0, unique: bool = False
) -> Callable[[F], F]:
    """Declare a job: its queue, timeout (seconds), retries and whether it is unique.

    A unique job is queued once per arguments while a copy still waits to run.
    The function is returned unchanged; tests may call it directly.
    """

    def mark(func: F) -> F:
        name = f"{func.__module__}.{func.__qualname__}"
        spec = JobSpec(name, func, queue, timeout, max(0, retries), unique)
        setattr(func, _ATTR, spec)
        return func

    return mark


def declared_jobs(module: ModuleType) -> list[JobSpec]:
    """Return the jobs declared in `module` (those defined there, not imported)."""
    found = []
    for value in vars(module).values():
        if not inspect.isfunction(value):  # skips proxies such as current_app
            continue
        spec = getattr(value, _ATTR, None)
        if isinstance(spec, JobSpec) and spec.func.__module__ == module.__name__:
            found.append(spec)
    return found


def register_job_module(app: Flask, module_name: str, *, optional: bool = False) -> None:
    """Register the jobs of `module_name` for `app`; refuse a job on an unknown queue."""
    from lms.plugins import PluginLoadError

    if optional and importlib.util.find_spec(module_name) is None:
        return
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise PluginLoadError(f"jobs module {module_name} failed to import: {exc}") from exc
    jobs = lms_state(app).jobs
    for spec in declared_jobs(module):
        if spec.queue not in app.config["LMS_QUEUES"]:
            raise PluginLoadError(
                f"job {spec.name} uses queue {spec.queue!r}; "
                f"queues are {', '.join(app.config['LMS_QUEUES'])}"
            )
        jobs[spec.name] = spec


def check_periodic_jobs(app: Flask) -> None:
    """Refuse to start when a periodic job names a job nobody declares."""
    from lms.plugins import PluginLoadError

    for periodic in lms_state(app).periodic_jobs:
        try:
            get_job(periodic.func, app)
        except UnknownJobError as exc:
            raise PluginLoadError(f"periodic job {periodic.name!r}: {exc}") from exc


def get_job(job: str | Callable[..., Any], app: Flask | None = None) -> JobSpec:
    """Return the declared job named `job` (a dotted name or the function itself)."""
    jobs = lms_state(app).jobs
    if callable(job):
        spec = getattr(job, _ATTR, None)
        if spec is None:
            name = f"{job.__module__}.{getattr(job, '__qualname__', job)}"
            raise UnknownJobError(f"{name} is not a job: declare it with @job(...)")
        name = spec.name
    else:
        name = job
    if name in jobs:
        return jobs[name]
    close = difflib.get_close_matches(name, list(jobs), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise UnknownJobError(
        f"unknown job {name!r}{hint} (declare it with @job in a loaded plugin's tasks.py)"
    )


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


# --- enqueueing -------------------------------------------------------------------------


def _derived_key(args: tuple[Any, ...]) -> str:
    return hashlib.sha256(json.dumps(args, sort_keys=True, default=str).encode()).hexdigest()


def _pending_with_key(name: str, key: str) -> Task | None:
    return db.session.scalar(select(Task).where(Task.name == name, Task.unique_key == key))


def enqueue(
    job: str | Callable[..., Any],
    *args: Any,
    user_id: int | None = None,
    unique_key: str | None = None,
    run_at: datetime | None = None,
) -> Task:
    """Record a task for `job(*args)` now; push it to its queue once the transaction commits.

    The caller commits (a request does at its end). A rollback drops the row and
    nothing is queued. `user_id` is the owner who sees its progress live.
    `unique_key`: while a task of this job with this key waits to run, return it
    instead of queuing another (jobs declared ``unique=True`` key on their args).
    """
    spec = get_job(job)
    if unique_key is None and spec.unique:
        unique_key = _derived_key(args)
    if unique_key is not None:
        if len(unique_key) > 200:
            raise ValueError("unique_key is longer than 200 characters")
        existing = _pending_with_key(spec.name, unique_key)
        if existing is not None:
            return existing
    task = Task(
        name=spec.name,
        args=list(args),
        queue=spec.queue,
        max_retries=spec.retries,
        user_id=user_id,
        unique_key=unique_key,
        run_at=run_at,
    )
    if unique_key is None:
        db.session.add(task)
        db.session.flush()
    else:
        try:
            with db.session.begin_nested():
                db.session.add(task)
        except IntegrityError:
            # Another transaction queued the same key between our look and our insert.
            existing = _pending_with_key(spec.name, unique_key)
            if existing is None:
                raise
            return existing
    on_commit(partial(_push_quietly, task.id, spec.name, spec.queue, run_at))
    return task


def enqueue_in(
    delay: timedelta | float, job: str | Callable[..., Any], *args: Any, **options: Any
) -> Task:
    """Like enqueue(), but run the job `delay` (seconds or a timedelta) from now."""
    if not isinstance(delay, timedelta):
        delay = timedelta(seconds=delay)
    return enqueue(job, *args, run_at=utcnow() + delay, **options)


def enqueue_at(when: datetime, job: str | Callable[..., Any], *args: Any, **options: Any) -> Task:
    """Like enqueue(), but run the job at `when` (a timezone-aware datetime)."""
    if when.tzinfo is None:
        raise ValueError("enqueue_at needs a timezone-aware datetime")
    return enqueue(job, *args, run_at=when, **options)


def push(task_id: int, name: str, queue: str, run_at: datetime | None = None) -> None:
    """Hand a committed task to Redis and mark it pushed (raises when Redis is down)."""
    spec = lms_state().jobs.get(name)
    q = get_queue(queue)
    options = {
        "job_timeout": (spec.timeout if spec else None) or current_app.config["LMS_JOB_TIMEOUT"],
        "description": f"task {task_id} ({name})",
    }
    if run_at is not None and run_at > utcnow():
        # RQ keeps due times in whole seconds, rounded down: round up, never early.
        if run_at.microsecond:
            run_at = run_at.replace(microsecond=0) + timedelta(seconds=1)
        rq_job = q.enqueue_at(run_at, run_task, task_id, **options)
    else:
        rq_job = q.enqueue(run_task, task_id, **options)
    # Its own connection: this runs in after-commit hooks, where the session
    # cannot execute SQL.
    with db.engine.begin() as conn:
        conn.execute(
            update(Task)
            .where(Task.id == task_id, Task.status == TaskStatus.QUEUED)
            .values(pushed_at=utcnow(), rq_job_id=rq_job.id)
        )
    log.info("queued task %s on %s as %s", task_id, queue, rq_job.id)


def _push_quietly(task_id: int, name: str, queue: str, run_at: datetime | None) -> None:
    try:
        push(task_id, name, queue, run_at)
    except Exception:
        # The row is committed and not marked pushed: the outbox sweep pushes it.
        log.warning("task %s stays in the outbox until Redis answers", task_id, exc_info=True)


# --- inside the worker ---------------------------------------------------------------------

_worker_app: Flask | None = None


def set_worker_app(app: Flask) -> None:
    """Tell run_task which app to run jobs in (worker.py does this once)."""
    global _worker_app
    _worker_app = app


def current_task_id() -> int | None:
    """Return the id of the Task row the running job belongs to (None outside a job)."""
    return g.get("lms_task_id")


def _emit_state(task_id: int, user_id: int | None, **fields: Any) -> None:
    if user_id is None:
        return
    from lms.realtime import emit

    emit(PROGRESS_EVENT, {"task_id": task_id, **fields}, user_id=user_id)


def _write_progress(task_id: int, values: dict[str, Any]) -> None:
    # The job's own session may hold SQLite's only write lock: give up
    # quickly rather than wait for a lock the job itself holds.
    with db.engine.connect().execution_options(lms_lock_wait=0.2) as conn, conn.begin():
        conn.execute(
            update(Task)
            .where(Task.id == task_id, Task.status == TaskStatus.RUNNING)
            .values(**values)
        )


def report_progress(
    percent: float, message: str = "", eta: float | timedelta | None = None
) -> None:
    """Record the running job's progress and push it to its owner's Socket.IO room.

    Written on a connection of its own, so the job's unfinished changes are
    never committed with it. `eta`: seconds (or a timedelta) until it is done.
    On SQLite, while the job holds a write transaction the row cannot be
    written: the owner still gets the event, and the row catches up later.
    """
    task_id = current_task_id()
    if task_id is None:
        raise RuntimeError("report_progress() is for jobs run by the worker")
    if eta is not None and not isinstance(eta, timedelta):
        eta = timedelta(seconds=float(eta))
    percent = max(0, min(100, int(percent)))
    eta_at = utcnow() + eta if eta is not None else None
    values: dict[str, Any] = {"progress": percent, "message": message[:500], "eta_at": eta_at}
    try:
        _write_progress(task_id, values)
    except (OperationalError, DatabaseBusy):
        log.debug("progress of task %s not written: database busy", task_id)
    _emit_state(
        task_id,
        g.get("lms_task_owner"),
        status=TaskStatus.RUNNING.value,
        progress=percent,
        message=message[:500],
        eta=eta.total_seconds() if eta is not None else None,
    )


def _claim(task_id: int, rq_job_id: str | None) -> bool:
    """Mark the task running if it is queued; False when another run has it (or had it)."""
    now = utcnow()
    claimed = db.session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == TaskStatus.QUEUED)
        .values(
            status=TaskStatus.RUNNING,
            attempts=Task.attempts + 1,
            started_at=now,
            error=None,
            traceback=None,
            rq_job_id=rq_job_id,
            unique_key=None,
            pushed_at=db.func.coalesce(Task.pushed_at, now),
        )
    ).rowcount
    db.session.commit()
    return bool(claimed)


def retry_delay(attempt: int) -> int:
    """Seconds before the retry that follows failed attempt number `attempt` (1-based)."""
    return RETRY_BACKOFF[min(attempt, len(RETRY_BACKOFF)) - 1]


def requeue(task: Task, *, delay: float = 0) -> None:
    """Put a task back in its queue (pushed after the caller's commit)."""
    task.status = TaskStatus.QUEUED
    task.pushed_at = None
    task.finished_at = None
    task.run_at = utcnow() + timedelta(seconds=delay) if delay else None
    db.session.flush()
    on_commit(partial(_push_quietly, task.id, task.name, task.queue, task.run_at))


def _record_failure(task_id: int, exc: BaseException) -> Task | None:
    from lms.signals import task_failed

    task = db.session.get(Task, task_id)
    if task is None:
        return None
    task.error = "".join(traceback.format_exception_only(exc)).strip()[:4000]
    task.traceback = "".join(traceback.format_exception(exc))[-20000:]
    if task.attempts <= task.max_retries:
        requeue(task, delay=retry_delay(task.attempts))
    else:
        task.status = TaskStatus.FAILED
        task.finished_at = utcnow()
        task_failed.send(task)
    return task


def run_task(task_id: int) -> Any:
    """Run the Task row `task_id` in an app context and record how it went."""
    from rq import get_current_job

    from lms.signals import task_finished

    app = _worker_app or current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        rq_job = get_current_job()
        if not _claim(task_id, rq_job.id if rq_job else None):
            log.info("task %s is not waiting to run (gone, running or done); skipped", task_id)
            return None
        name, args, owner, progress = db.session.execute(
            select(Task.name, Task.args, Task.user_id, Task.progress).where(Task.id == task_id)
        ).one()
        # The job starts without an open transaction: on SQLite a job's
        # transaction holds the write lock, which report_progress needs.
        db.session.commit()
        g.lms_task_id = task_id  # for current_task_id() inside the job
        g.lms_task_owner = owner
        _emit_state(task_id, owner, status=TaskStatus.RUNNING.value, progress=progress)
        try:
            spec = get_job(name, app)
            result = spec.func(*args)
        except Exception as exc:
            db.session.rollback()
            failed = _record_failure(task_id, exc)
            db.session.commit()
            if failed is not None:
                _emit_state(task_id, owner, status=failed.status.value, error=failed.error)
            if isinstance(exc, DatabaseBusy):
                # A moment of contention, not a bug: one line, not a traceback in the
                # terminal (the row holds the retry, or the failure).
                log.warning("task %s (%s) gave up: the database stayed busy", task_id, name)
                return None
            raise
        task = db.session.get(Task, task_id)
        if task is None:
            return None
        task.status = TaskStatus.FINISHED
        task.progress = 100
        task.eta_at = None
        task.result = result if _is_jsonable(result) else None
        task.finished_at = utcnow()
        task_finished.send(task)
        db.session.commit()
        _emit_state(task_id, owner, status=TaskStatus.FINISHED.value, progress=100)
        return task.result


def _is_jsonable(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)
