"""The outbox and the sweeper: no task is lost between the database and Redis."""

from __future__ import annotations

from datetime import timedelta

from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from lms.extensions import db
from lms.models import Setting, Task, TaskStatus
from lms.models.types import utcnow
from lms.redis_store import get_redis
from lms.task_recovery import LOST_ERROR, sweep
from lms.tasks import get_queue
from lms.testing import jobs


def _add_task(**fields) -> int:
    values = {"name": "lms.testing.jobs.write_setting", "queue": "default", "args": ["k", 1]}
    values.update(fields)
    task = Task(**values)
    db.session.add(task)
    db.session.commit()
    return task.id


def _row(app, task_id: int) -> Task:
    with app.app_context():
        task = db.session.get(Task, task_id)
        db.session.expunge(task)
        return task


def test_a_task_never_handed_to_redis_is_pushed_by_the_sweep_once(app, worker):
    with app.app_context():
        # As enqueue leaves it when Redis was down at the commit.
        task_id = _add_task(args=["outbox", 1])
        assert get_queue("default").count == 0
        assert sweep().pushed == [task_id]
        assert sweep().pushed == []  # handed over: the next sweep leaves it
    assert worker.run() == 1
    assert _row(app, task_id).status == TaskStatus.FINISHED
    with app.app_context():
        assert sweep().pushed == []
        assert db.session.scalar(db.select(db.func.count()).select_from(Setting)) == 1


def test_a_queued_task_whose_job_redis_lost_is_pushed_again(app, worker):
    with app.app_context():
        from lms.tasks import enqueue

        task_id = enqueue(jobs.add, 2, 2).id
        db.session.commit()
        get_redis().flushdb()  # Redis restarted without its data
        assert sweep().pushed == [task_id]
    assert worker.run() == 1
    assert _row(app, task_id).result == 4


def test_a_running_task_whose_job_is_gone_is_queued_again_and_completes(app, worker):
    with app.app_context():
        task_id = _add_task(
            args=["resumed", 1],
            status=TaskStatus.RUNNING,
            attempts=1,
            max_retries=1,
            started_at=utcnow() - timedelta(hours=1),
            rq_job_id="killed-with-its-worker",
        )
        report = sweep()
        assert report.requeued == [task_id] and report.pushed == []
    task = _row(app, task_id)
    assert (task.status, task.error) == (TaskStatus.QUEUED, LOST_ERROR)
    assert worker.run() == 1
    task = _row(app, task_id)
    assert (task.status, task.attempts) == (TaskStatus.FINISHED, 2)


def test_a_lost_task_without_retries_left_is_failed(app, worker):
    with app.app_context():
        task_id = _add_task(
            status=TaskStatus.RUNNING,
            attempts=1,
            max_retries=0,
            started_at=utcnow() - timedelta(hours=1),
            rq_job_id=None,
        )
        assert sweep().failed == [task_id]
    task = _row(app, task_id)
    assert (task.status, task.error) == (TaskStatus.FAILED, LOST_ERROR)
    assert task.finished_at is not None
    assert worker.run() == 0


def test_a_running_task_whose_worker_still_reports_is_left_alone(app):
    with app.app_context():
        job = Job.create(
            "lms.tasks.run_task", args=[0], connection=get_redis(), serializer=JSONSerializer
        )
        job.save()
        job.set_status(JobStatus.STARTED)
        job.heartbeat(utcnow(), ttl=60)
        task_id = _add_task(
            status=TaskStatus.RUNNING,
            attempts=1,
            started_at=utcnow() - timedelta(hours=1),
            rq_job_id=job.id,
        )
        report = sweep()
        assert report.requeued == [] and report.failed == []
        # Silent for longer than the grace: its worker is gone.
        job.heartbeat(
            utcnow() - timedelta(seconds=app.config["LMS_WORKER_HEARTBEAT_GRACE"] + 1), ttl=60
        )
        assert sweep().failed == [task_id]
