"""Keeping Task rows and Redis in step: the outbox and the sweeper of lost tasks.

Workers call ``sweep()`` when they start and every ``LMS_SWEEP_INTERVAL``
seconds (one worker at a time, under a Redis lock):

- the outbox: tasks committed but never handed to Redis (Redis was down at
  the commit), or handed over and then lost with Redis's memory, are pushed;
- lost runs: a task "running" whose RQ job is no longer running, or whose
  worker has stopped reporting (killed, machine gone) for
  ``LMS_WORKER_HEARTBEAT_GRACE`` seconds, is queued again while it has
  retries left, and failed otherwise.

Pushing a task twice is harmless: a worker runs a task only after claiming
its row (see ``lms.tasks.run_task``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import select

from lms.extensions import db
from lms.models.task import Task, TaskStatus
from lms.models.types import utcnow
from lms.redis_store import get_redis
from lms.tasks import push, requeue

log = logging.getLogger(__name__)

# Rows looked at per sweep; the next sweep takes the rest.
BATCH = 500
_WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED}
LOST_ERROR = "The worker running this task stopped (killed or lost) before it finished."


@dataclass
class SweepReport:
    pushed: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _rq_job(job_id: str | None) -> Job | None:
    if not job_id:
        return None
    try:
        return Job.fetch(job_id, connection=get_redis(), serializer=JSONSerializer)
    except NoSuchJobError:
        return None


def push_outbox(report: SweepReport | None = None) -> SweepReport:
    """Push queued tasks that Redis does not hold; stop at the first Redis error."""
    report = report or SweepReport()
    rows = db.session.execute(
        select(Task.id, Task.name, Task.queue, Task.run_at, Task.pushed_at, Task.rq_job_id)
        .where(Task.status == TaskStatus.QUEUED)
        .order_by(Task.id)
        .limit(BATCH)
    ).all()
    db.session.rollback()  # end the read before talking to Redis
    for row in rows:
        if row.pushed_at is not None:
            job = _rq_job(row.rq_job_id)
            if job is not None and job.get_status() in _WAITING:
                continue
        push(row.id, row.name, row.queue, row.run_at)
        report.pushed.append(row.id)
    return report


def _is_alive(task: Task, grace: float) -> bool:
    job = _rq_job(task.rq_job_id)
    if job is None or job.get_status() != JobStatus.STARTED:
        return False
    beat = job.last_heartbeat or job.started_at
    return beat is not None and (utcnow() - beat).total_seconds() < grace


def recover_lost(report: SweepReport | None = None) -> SweepReport:
    """Queue again (retries left) or fail the running tasks whose worker is gone."""
    report = report or SweepReport()
    grace = float(current_app.config["LMS_WORKER_HEARTBEAT_GRACE"])
    # A run that started moments ago may not have its first heartbeat yet.
    started_before = utcnow() - timedelta(seconds=grace)
    running = db.session.scalars(
        select(Task)
        .where(Task.status == TaskStatus.RUNNING, Task.started_at < started_before)
        .order_by(Task.id)
        .limit(BATCH)
    ).all()
    for task in running:
        if _is_alive(task, grace):
            continue
        task.error = LOST_ERROR
        if task.attempts <= task.max_retries:
            log.warning("task %s lost its worker; queued again", task.id)
            requeue(task)
            report.requeued.append(task.id)
        else:
            from lms.signals import task_failed

            log.warning("task %s lost its worker and has no retries left; failed", task.id)
            task.status = TaskStatus.FAILED
            task.finished_at = utcnow()
            task_failed.send(task)
            report.failed.append(task.id)
    db.session.commit()
    return report


def sweep() -> SweepReport:
    """Recover lost tasks, then push the outbox (in the current app context)."""
    report = recover_lost()
    push_outbox(report)
    if report.pushed or report.requeued or report.failed:
        log.info(
            "sweep: %d pushed, %d requeued, %d failed",
            len(report.pushed),
            len(report.requeued),
            len(report.failed),
        )
    return report
