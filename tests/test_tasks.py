"""Background jobs: declared, a Task row per job, pushed after commit, run by a real RQ worker."""

from __future__ import annotations

import logging
import textwrap
import uuid
from datetime import timedelta
from importlib.metadata import EntryPoint

import pytest
from rq.registry import ScheduledJobRegistry

from lms.extensions import db
from lms.models import Setting, Task, TaskStatus
from lms.models.types import utcnow
from lms.plugins import PeriodicJob, PluginLoadError
from lms.tasks import (
    UnknownJobError,
    enqueue,
    enqueue_at,
    enqueue_in,
    get_queue,
    report_progress,
)
from lms.testing import jobs


def _queued(app, name: str = "default") -> int:
    with app.app_context():
        return get_queue(name).count


def _task(app, task_id: int) -> Task:
    with app.app_context():
        task = db.session.get(Task, task_id)
        db.session.expunge(task)
        return task


def _scheduled(app, name: str = "default") -> int:
    with app.app_context():
        return ScheduledJobRegistry(queue=get_queue(name)).count


def test_job_is_queued_only_after_commit_and_records_its_result(app, worker):
    with app.app_context():
        task = enqueue(jobs.add, 2, 3)
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
    assert task.rq_job_id and task.pushed_at is not None


def test_a_job_is_named_by_function_or_by_its_dotted_name(app, worker):
    with app.app_context():
        by_name = enqueue("lms.testing.jobs.add_media", 1, 2)
        assert by_name.queue == "media"  # the queue the job declares
        db.session.commit()
        task_id = by_name.id
    assert worker.run(["media"]) == 1
    assert _task(app, task_id).result == 3


def test_a_misspelt_job_is_refused_when_enqueuing_with_a_suggestion(app):
    with app.app_context():
        with pytest.raises(
            UnknownJobError, match=r"unknown job 'lms.testing.jobs.ad'.*'lms.testing.jobs.add'"
        ):
            enqueue("lms.testing.jobs.ad", 1, 1)

        def not_declared(a: int) -> int:
            return a

        with pytest.raises(UnknownJobError, match="declare it with @job"):
            enqueue(not_declared, 1)
        db.session.commit()
        # No row is left "queued" for a job no worker can run.
        assert db.session.scalar(db.select(db.func.count()).select_from(Task)) == 0


def _plugin_with_jobs(tmp_path, monkeypatch, tasks: str, periodic: str = "") -> EntryPoint:
    """Write a plugin package with a tasks.py; `{pkg}` in `periodic` becomes its name."""
    monkeypatch.syspath_prepend(str(tmp_path))
    package = f"lmsfake_jobs_{uuid.uuid4().hex[:8]}"
    root = tmp_path / package
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "tasks.py").write_text("from lms.tasks import job\n" + textwrap.dedent(tasks))
    (root / "plugin.py").write_text(
        "from lms.plugins import PeriodicJob, Plugin\n\n"
        "class Ticker(Plugin):\n"
        '    """Ticker"""\n\n'
        "    def get_periodic_jobs(self):\n"
        f"        return [{periodic.replace('{pkg}', package)}]\n"
    )
    return EntryPoint("ticker", f"{package}.plugin:Ticker", "lms.plugins")


TICK = """
@job(queue="media", retries=2)
def tick() -> str:
    return "tick"
"""


def test_a_plugins_declared_jobs_are_registered_when_it_loads(test_config, tmp_path, monkeypatch):
    from lms.app import create_app
    from lms.state import lms_state

    ep = _plugin_with_jobs(
        tmp_path, monkeypatch, TICK, 'PeriodicJob("tick", "{pkg}.tasks.tick", 60)'
    )
    other = create_app(dict(test_config, LMS_PLUGINS="ticker"), plugin_entry_points=[ep])
    (name,) = [n for n in lms_state(other).jobs if n.endswith(".tasks.tick")]
    spec = lms_state(other).jobs[name]
    assert (spec.queue, spec.retries) == ("media", 2)
    with other.app_context():
        db.engine.dispose()


def test_a_periodic_job_naming_a_misspelt_job_stops_start_up(test_config, tmp_path, monkeypatch):
    from lms.app import create_app

    ep = _plugin_with_jobs(
        tmp_path, monkeypatch, TICK, 'PeriodicJob("tick", "{pkg}.tasks.tock", 60)'
    )
    with pytest.raises(
        PluginLoadError, match=r"periodic job 'tick': unknown job '.*\.tasks\.tock'; did you mean"
    ):
        create_app(dict(test_config, LMS_PLUGINS="ticker"), plugin_entry_points=[ep])


def test_a_job_on_an_unknown_queue_stops_start_up(test_config, tmp_path, monkeypatch):
    from lms.app import create_app

    ep = _plugin_with_jobs(tmp_path, monkeypatch, TICK.replace('"media"', '"mediaa"'))
    with pytest.raises(PluginLoadError, match=r"tick uses queue 'mediaa'; queues are mail"):
        create_app(dict(test_config, LMS_PLUGINS="ticker"), plugin_entry_points=[ep])


def test_a_plugin_whose_tasks_module_breaks_stops_start_up(test_config, tmp_path, monkeypatch):
    from lms.app import create_app

    ep = _plugin_with_jobs(tmp_path, monkeypatch, "raise RuntimeError('boom in tasks')\n")
    with pytest.raises(PluginLoadError, match=r"jobs module .*\.tasks failed to import: boom"):
        create_app(dict(test_config, LMS_PLUGINS="ticker"), plugin_entry_points=[ep])


def test_rolled_back_job_is_never_queued(app, worker):
    with app.app_context():
        enqueue(jobs.write_setting, "ghost", 1)
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
        task = enqueue(jobs.write_setting, "from-request", 42)
        task_id = task.id
        db.session.commit()
    assert worker.run() == 1
    with app.app_context():
        row = db.session.scalar(db.select(Setting).filter_by(namespace="tests", key="from-request"))
        assert row is not None and row.value == 42
    assert _task(app, task_id).status == TaskStatus.FINISHED


def test_failing_job_is_retried_then_marked_failed_with_its_traceback(app, worker):
    with app.app_context():
        task_id = enqueue(jobs.fail_with_retries, "disk full").id
        db.session.commit()

    worker.run()
    task = _task(app, task_id)
    # Not failed yet: a retry is scheduled with backoff.
    assert task.status == TaskStatus.QUEUED
    assert task.attempts == 1
    assert "RuntimeError: disk full" in task.error
    assert task.run_at > utcnow() + timedelta(seconds=5)
    assert _scheduled(app) == 1

    worker.run(include_scheduled=True)
    assert _task(app, task_id).status == TaskStatus.QUEUED
    assert _task(app, task_id).attempts == 2

    worker.run(include_scheduled=True)
    task = _task(app, task_id)
    assert task.status == TaskStatus.FAILED
    assert task.attempts == 3  # the first try and two retries
    assert task.error == "RuntimeError: disk full"
    assert "Traceback (most recent call last)" in task.traceback
    assert "in fail_with_retries" in task.traceback
    assert task.finished_at is not None
    assert _scheduled(app) == 0
    # Nothing left to run: no fourth attempt.
    assert worker.run(include_scheduled=True) == 0
    assert _task(app, task_id).attempts == 3


def test_failing_job_without_retries_fails_at_once(app, worker):
    with app.app_context():
        task_id = enqueue(jobs.fail, "bad input").id
        db.session.commit()
    worker.run()
    task = _task(app, task_id)
    assert task.status == TaskStatus.FAILED
    assert task.attempts == 1
    assert task.error == "RuntimeError: bad input"


def test_a_job_that_found_the_database_busy_fails_in_one_line(app, worker, caplog):
    with app.app_context():
        task_id = enqueue(jobs.database_busy).id
        db.session.commit()
    with caplog.at_level(logging.INFO):
        worker.run()
    assert _task(app, task_id).status == TaskStatus.FAILED
    assert f"task {task_id} (lms.testing.jobs.database_busy) gave up" in caplog.text
    # Contention is not a bug: no traceback in the terminal of `make run`.
    assert not any(record.exc_info for record in caplog.records)
    assert "Traceback" not in caplog.text


def test_enqueue_in_waits_in_the_scheduler_until_due(app, worker):
    with app.app_context():
        task = enqueue_in(timedelta(minutes=5), jobs.add, 1, 2)
        db.session.commit()
        task_id = task.id
    assert _queued(app) == 0
    assert _scheduled(app) == 1
    assert worker.run() == 0  # not due: nothing runs
    with app.app_context():
        registry = ScheduledJobRegistry(queue=get_queue("default"))
        (job_id,) = registry.get_job_ids()
        due = registry.get_scheduled_time(job_id)
        # RQ keeps whole seconds: the due time is rounded up, never early.
        assert timedelta(minutes=4) < due - utcnow() <= timedelta(minutes=5, seconds=1)
    assert worker.run(include_scheduled=True) == 1
    assert _task(app, task_id).result == 3


def test_enqueue_at_needs_an_aware_datetime(app):
    with app.app_context():
        with pytest.raises(ValueError, match="timezone-aware"):
            enqueue_at(utcnow().replace(tzinfo=None), jobs.add, 1, 2)
        task = enqueue_at(utcnow() + timedelta(hours=1), jobs.add, 1, 2)
        db.session.commit()
        assert task.run_at is not None
    assert _scheduled(app) == 1


def test_the_same_unique_job_is_queued_once_while_it_waits(app, worker):
    with app.app_context():
        first = enqueue(jobs.unique_add, 1, 2)
        again = enqueue(jobs.unique_add, 1, 2)  # same transaction
        other = enqueue(jobs.unique_add, 2, 2)  # other arguments: another task
        db.session.commit()
        later = enqueue(jobs.unique_add, 1, 2)  # another transaction
        keyed = enqueue(jobs.add, 5, 5, unique_key="course:5")
        keyed_again = enqueue(jobs.add, 6, 6, unique_key="course:5")
        db.session.commit()
        assert again.id == first.id == later.id
        assert other.id != first.id
        assert keyed_again.id == keyed.id
        assert db.session.scalar(db.select(db.func.count()).select_from(Task)) == 3
    assert _queued(app) == 3
    assert worker.run() == 3
    # Once it has started, the same key queues a fresh task (the data may have changed).
    with app.app_context():
        fresh = enqueue(jobs.unique_add, 1, 2)
        db.session.commit()
        assert fresh.id != first.id


def test_job_reports_progress_that_other_connections_see(app, worker):
    with app.app_context():
        task_id = enqueue(jobs.report_half, "transcoding 720p").id
        db.session.commit()
    worker.run()
    task = _task(app, task_id)
    assert task.status == TaskStatus.FINISHED
    # While it ran, another connection read the progress the job reported.
    assert task.result == {"task_id": task_id, "progress": 50, "message": "transcoding 720p"}
    assert task.progress == 100


def test_reporting_progress_never_commits_the_jobs_half_done_work(app, worker):
    with app.app_context():
        task_id = enqueue(jobs.half_done_then_fail, "half-done").id
        db.session.commit()
    worker.run()
    task = _task(app, task_id)
    assert task.status == TaskStatus.FAILED
    with app.app_context():
        assert db.session.scalar(db.select(Setting).filter_by(key="half-done")) is None


def test_report_progress_outside_a_job_is_refused(app):
    with app.app_context(), pytest.raises(RuntimeError, match="for jobs"):
        report_progress(10)


def test_job_for_a_deleted_task_row_does_nothing(app, worker):
    with app.app_context():
        task_id = enqueue(jobs.write_setting, "orphan", 1).id
        db.session.commit()
        db.session.execute(db.delete(Task).where(Task.id == task_id))
        db.session.commit()
    assert worker.run() == 1
    with app.app_context():
        assert db.session.scalar(db.select(Setting).filter_by(key="orphan")) is None


def test_a_task_pushed_twice_runs_once(app, worker):
    from lms.tasks import push

    with app.app_context():
        task = enqueue(jobs.write_setting, "once", 1)
        task_id, name = task.id, task.name
        db.session.commit()
        push(task_id, name, "default")  # as a sweep racing the commit hook might
    assert _queued(app) == 2
    assert worker.run() == 2
    task = _task(app, task_id)
    assert task.status == TaskStatus.FINISHED and task.attempts == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Setting)) == 1


def test_periodic_jobs_declared_by_function_pass_the_start_up_check(app):
    from lms.state import lms_state
    from lms.tasks import check_periodic_jobs

    state = lms_state(app)
    saved = list(state.periodic_jobs)
    state.periodic_jobs.append(PeriodicJob("adder", jobs.add, every=60))
    try:
        check_periodic_jobs(app)
    finally:
        state.periodic_jobs[:] = saved
