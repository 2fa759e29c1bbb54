"""A read (and repair) view over the jobs: queues, workers, task rows, for a job monitor page.

Queue and worker figures come from Redis (RQ's own registries); what ran and
how it ended comes from the Task rows, which outlive Redis. The actions
(``retry``, ``delete``) change rows in the caller's transaction: the caller
commits, and a retried task is pushed after that commit.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from rq import Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from lms.errors import ServiceError
from lms.extensions import db
from lms.i18n import _
from lms.models.task import Task, TaskStatus
from lms.redis_store import get_redis
from lms.tasks import get_queue, requeue


class TaskActionError(ServiceError):
    """A refused retry or delete (unknown task, or not in a state that allows it)."""


@dataclass(frozen=True)
class QueueInfo:
    name: str
    waiting: int  # ready to run now
    scheduled: int  # delayed jobs and retries not due yet
    running: int
    failed: int  # RQ's failed registry (each failed attempt)


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    queues: list[str]
    state: str
    current_job_id: str | None
    last_heartbeat: datetime | None
    hostname: str | None
    pid: int | None


def queues() -> list[QueueInfo]:
    """Return each configured queue's figures, in the configured order."""
    found = []
    for name in current_app.config["LMS_QUEUES"]:
        q = get_queue(name)
        found.append(
            QueueInfo(
                name=name,
                waiting=q.count,
                scheduled=ScheduledJobRegistry(queue=q).count,
                running=StartedJobRegistry(queue=q).count,
                failed=FailedJobRegistry(queue=q).count,
            )
        )
    return found


def workers() -> list[WorkerInfo]:
    """Return the workers that reported to Redis, with what each is doing."""
    found = []
    for w in Worker.all(connection=get_redis(), serializer=JSONSerializer):
        found.append(
            WorkerInfo(
                name=w.name,
                queues=w.queue_names(),
                state=str(w.get_state()),
                current_job_id=w.get_current_job_id(),
                last_heartbeat=w.last_heartbeat,
                hostname=w.hostname,
                pid=w.pid,
            )
        )
    return sorted(found, key=lambda info: info.name)


def task_counts() -> dict[str, int]:
    """Return the number of task rows in each status (every status present, maybe 0)."""
    counts = dict.fromkeys((s.value for s in TaskStatus), 0)
    for status, count in db.session.execute(
        select(Task.status, func.count()).group_by(Task.status)
    ):
        counts[TaskStatus(status).value] = count
    return counts


def tasks(
    status: TaskStatus | str | None = None,
    *,
    queue: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Task]:
    """Return task rows, newest first; failed ones carry `error` and `traceback`."""
    stmt = select(Task).order_by(Task.id.desc()).limit(max(1, min(limit, 500))).offset(offset)
    if status is not None:
        stmt = stmt.where(Task.status == TaskStatus(status))
    if queue is not None:
        stmt = stmt.where(Task.queue == queue)
    return list(db.session.scalars(stmt))


def _get(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        raise TaskActionError(_("There is no such task."), code="not_found", status=404)
    return task


def retry(task_id: int) -> Task:
    """Give a failed task one more attempt (pushed after the caller's commit)."""
    task = _get(task_id)
    if task.status != TaskStatus.FAILED:
        raise TaskActionError(
            _(
                "Only a failed task can be retried; this one is %(status)s.",
                status=task.status.value,
            ),
            code="not_failed",
            status=409,
        )
    task.max_retries = task.attempts  # exactly one more attempt
    requeue(task)
    return task


def delete(task_id: int) -> None:
    """Delete a task that is not running, and its waiting RQ job if any."""
    task = _get(task_id)
    if task.status == TaskStatus.RUNNING:
        raise TaskActionError(
            _("A running task cannot be deleted; wait for it to finish or fail."),
            code="running",
            status=409,
        )
    if task.rq_job_id and task.status == TaskStatus.QUEUED:
        with suppress(NoSuchJobError):
            Job.fetch(task.rq_job_id, connection=get_redis(), serializer=JSONSerializer).delete()
    # Even if a copy of the job were still in Redis, it finds no row and does nothing.
    db.session.delete(task)
    db.session.flush()
