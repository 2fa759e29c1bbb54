"""Background jobs: a Task row per job, released after commit, run by a real RQ worker."""

from __future__ import annotations

import pytest
from rq.registry import ScheduledJobRegistry

from lms.extensions import db
from lms.models import Setting, Task, TaskStatus
from lms.tasks import enqueue, enqueue_after_commit, get_queue, report_progress


def _queued(app, name: str = "default") -> int:
    with app.app_context():
        return get_queue(name).count


def _task(app, task_id: int) -> Task:
    with app.app_context():
        task = db.session.get(Task, task_id)
        db.session.expunge(task)
        return task


def test_job_is_queued_only_after_commit_and_records_its_result(app, worker):
    with app.app_context():
        task = enqueue_after_commit("lms.testing.jobs.add", 2, 3)
        task_id = task.id
        assert task.status == TaskStatus.QUEUED
        # Recorded in the transaction, but nothing a worker could pick up yet.
        assert get_queue("default").count == 0
        assert worker.run() == 0
        db.session.commit()
        assert get_queue("default").count == 1

    assert worker.run() == 1
    task = _task(app, task_id)
    assert task.status == TaskStatus.FINISHED
    assert task.progress == 100
    assert task.result == 5
    assert task.attempts == 1
    assert task.error is None
    assert task.started_at is not None and task.finished_at >= task.started_at
    assert task.rq_job_id


def test_rolled_back_job_is_never_queued(app, worker):
    with app.app_context():
        enqueue_after_commit("lms.testing.jobs.write_setting", "ghost", 1)
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count()).select_from(Task)) == 0
        # A later commit in the same session must not release the dropped job.
        db.session.add(Setting(namespace="tests", key="other", value=1))
        db.session.commit()
    assert _queued(app) == 0
    assert worker.run() == 0
    with app.app_context():
        assert db.session.scalar(db.select(Setting).filter_by(key="ghost")) is None


def test_job_in_a_request_runs_after_the_request_commits(app, worker):
    with app.test_request_context("/anything", method="POST"):
        task = enqueue_after_commit("lms.testing.jobs.write_setting", "from-request", 42)
        task_id = task.id
        db.session.commit()
    assert worker.run() == 1
    with app.app_context():
        row = db.session.scalar(db.select(Setting).filter_by(namespace="tests", key="from-request"))
        assert row is not None and row.value == 42
    assert _task(app, task_id).status == TaskStatus.FINISHED


def test_enqueue_outside_a_transaction_queues_at_once(app, worker):
    with app.app_context():
        task_id = enqueue("lms.testing.jobs.add", 40, 2, queue="media").id
    assert _queued(app, "media") == 1
    assert worker.run(["media"]) == 1
    assert _task(app, task_id).result == 42


def test_misspelt_queue_is_refused_when_enqueuing_not_at_commit(app, worker):
    with app.app_context():
        with pytest.raises(ValueError, match="unknown queue 'mial'"):
            enqueue_after_commit("lms.testing.jobs.add", 1, 1, queue="mial")
        db.session.commit()
        # No row is left "queued" forever for a queue no worker listens to.
        assert db.session.scalar(db.select(db.func.count()).select_from(Task)) == 0


def test_failing_job_is_retried_then_marked_failed(app, worker):
    with app.app_context():
        task_id = enqueue_after_commit("lms.testing.jobs.fail", "disk full", retries=2).id
        db.session.commit()

    worker.run()
    task = _task(app, task_id)
    # Not failed yet: a retry is scheduled with backoff.
    assert task.status == TaskStatus.QUEUED
    assert task.attempts == 1
    assert "RuntimeError: disk full" in task.error
    with app.app_context():
        assert ScheduledJobRegistry(queue=get_queue("default")).count == 1

    worker.run(include_scheduled=True)
    assert _task(app, task_id).status == TaskStatus.QUEUED
    assert _task(app, task_id).attempts == 2

    worker.run(include_scheduled=True)
    task = _task(app, task_id)
    assert task.status == TaskStatus.FAILED
    assert task.attempts == 3  # the first try and two retries
    assert task.error == "RuntimeError: disk full"
    assert task.finished_at is not None
    with app.app_context():
        assert ScheduledJobRegistry(queue=get_queue("default")).count == 0
    # Nothing left to run: no fourth attempt.
    assert worker.run(include_scheduled=True) == 0
    assert _task(app, task_id).attempts == 3


def test_failing_job_without_retries_fails_at_once(app, worker):
    with app.app_context():
        task_id = enqueue_after_commit("lms.testing.jobs.fail", "bad input").id
        db.session.commit()
    worker.run()
    task = _task(app, task_id)
    assert task.status == TaskStatus.FAILED
    assert task.attempts == 1
    assert task.error == "RuntimeError: bad input"


def test_job_reports_progress_that_other_connections_see(app, worker):
    with app.app_context():
        task_id = enqueue_after_commit("lms.testing.jobs.report_half", "transcoding 720p").id
        db.session.commit()
    worker.run()
    task = _task(app, task_id)
    assert task.status == TaskStatus.FINISHED
    # While it ran, another connection read the progress the job reported.
    assert task.result == {"task_id": task_id, "progress": 50, "message": "transcoding 720p"}
    assert task.progress == 100


def test_report_progress_updates_the_row_and_clamps(app):
    with app.app_context():
        task_id = enqueue_after_commit("lms.testing.jobs.add", 1, 1).id
        db.session.commit()
        report_progress(task_id, 37, "step 2 of 5")
    task = _task(app, task_id)
    assert (task.progress, task.message) == (37, "step 2 of 5")
    with app.app_context():
        report_progress(task_id, 250)
    assert _task(app, task_id).progress == 100
    with app.app_context():
        report_progress(task_id, -5)
    assert _task(app, task_id).progress == 0


def test_job_for_a_deleted_task_row_does_nothing(app, worker):
    with app.app_context():
        task_id = enqueue_after_commit("lms.testing.jobs.write_setting", "orphan", 1).id
        db.session.commit()
        db.session.execute(db.delete(Task).where(Task.id == task_id))
        db.session.commit()
    assert worker.run() == 1
    with app.app_context():
        assert db.session.scalar(db.select(Setting).filter_by(key="orphan")) is None
