"""The job monitor's read API: queues, workers, task rows, retry and delete."""

from __future__ import annotations

import pytest

from lms import jobs_monitor
from lms.extensions import db
from lms.models import Task, TaskStatus
from lms.tasks import enqueue, enqueue_in
from lms.testing import jobs


def test_queue_figures_follow_what_is_queued_scheduled_and_failed(app, worker):
    with app.app_context():
        enqueue(jobs.add, 1, 1)
        enqueue(jobs.add_media, 1, 1)
        enqueue(jobs.add_media, 2, 2)
        enqueue_in(3600, jobs.add, 1, 2)
        enqueue(jobs.fail, "broken")
        db.session.commit()
        figures = {q.name: q for q in jobs_monitor.queues()}
        assert list(figures) == app.config["LMS_QUEUES"]
        assert (figures["default"].waiting, figures["default"].scheduled) == (2, 1)
        assert figures["media"].waiting == 2
        assert figures["mail"].waiting == 0
    worker.run(["default"])
    with app.app_context():
        figures = {q.name: q for q in jobs_monitor.queues()}
        assert (figures["default"].waiting, figures["default"].failed) == (0, 1)
        assert jobs_monitor.task_counts() == {
            "queued": 3,
            "running": 0,
            "finished": 1,
            "failed": 1,
        }


def test_failed_tasks_are_listed_with_their_traceback_and_can_be_retried(app, worker):
    with app.app_context():
        task_id = enqueue(jobs.fail, "disk full").id
        enqueue(jobs.add, 1, 1)
        db.session.commit()
    worker.run()
    with app.app_context():
        (failed,) = jobs_monitor.tasks(TaskStatus.FAILED)
        assert failed.id == task_id
        assert failed.error == "RuntimeError: disk full"
        assert "raise RuntimeError(message)" in failed.traceback
        assert [t.status for t in jobs_monitor.tasks("finished")] == [TaskStatus.FINISHED]
        assert len(jobs_monitor.tasks()) == 2
        jobs_monitor.retry(task_id)
        db.session.commit()
    assert worker.run() == 1  # pushed again after the commit, and run once more
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert (task.status, task.attempts) == (TaskStatus.FAILED, 2)


def test_only_failed_tasks_can_be_retried_and_running_ones_not_deleted(app):
    with app.app_context():
        task = enqueue(jobs.add, 1, 1)
        db.session.commit()
        with pytest.raises(jobs_monitor.TaskActionError, match="Only a failed task") as refused:
            jobs_monitor.retry(task.id)
        assert (refused.value.code, refused.value.status) == ("not_failed", 409)
        task.status = TaskStatus.RUNNING
        db.session.commit()
        with pytest.raises(jobs_monitor.TaskActionError, match="running task cannot"):
            jobs_monitor.delete(task.id)
        with pytest.raises(jobs_monitor.TaskActionError) as missing:
            jobs_monitor.retry(999_999)
        assert missing.value.status == 404


def test_deleting_a_queued_task_removes_its_job(app, worker):
    with app.app_context():
        task = enqueue(jobs.write_setting, "never", 1)
        db.session.commit()
        jobs_monitor.delete(task.id)
        db.session.commit()
        assert jobs_monitor.queues()[1].waiting == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Task)) == 0
    assert worker.run() == 0


def test_workers_are_listed_with_their_queues(app):
    from rq import Queue, Worker
    from rq.serializers import JSONSerializer

    from lms.redis_store import get_redis

    with app.app_context():
        assert jobs_monitor.workers() == []
        redis = get_redis()
        w = Worker(
            [Queue("media", connection=redis, serializer=JSONSerializer)],
            connection=redis,
            serializer=JSONSerializer,
            name="media-1",
        )
        w.register_birth()
        try:
            (info,) = jobs_monitor.workers()
            assert (info.name, info.queues) == ("media-1", ["media"])
            assert info.last_heartbeat is not None
        finally:
            w.register_death()
