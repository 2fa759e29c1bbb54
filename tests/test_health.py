"""GET /health: the shape operators script against, a real worker, dependencies down."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

import lms
from lms.config import PROJECT_ROOT
from lms.redis_store import EmbeddedRedis

CHECKS = {"database", "redis", "worker", "storage", "ffmpeg"}


def _health(client) -> tuple[int, dict, float]:
    started = time.monotonic()
    response = client.get("/health")
    elapsed = time.monotonic() - started
    assert response.is_json, response.data[:200]
    return response.status_code, response.get_json(), elapsed


def _build_app(test_config: dict, **overrides):
    from lms.app import create_app

    return create_app({**test_config, **overrides})


def _dispose(app) -> None:
    from lms.extensions import db

    with app.app_context():
        db.engine.dispose()


def test_health_reports_each_dependency(client):
    status, body, _ = _health(client)
    assert set(body) == {"status", "version", "checks"}
    assert body["version"] == lms.__version__
    assert set(body["checks"]) == CHECKS
    for name, check in body["checks"].items():
        assert isinstance(check["ok"], bool), name
        assert isinstance(check["detail"], str) and check["detail"], name
    checks = body["checks"]
    assert checks["database"]["ok"] and checks["database"]["detail"] in {"sqlite", "postgresql"}
    assert checks["redis"]["ok"]
    assert checks["storage"]["ok"] and "free" in checks["storage"]["detail"]
    assert checks["ffmpeg"]["ok"] and "ffmpeg" in checks["ffmpeg"]["detail"]
    # No worker runs in this test: the site works but is degraded, and says why.
    assert checks["worker"] == {"ok": False, "detail": "RuntimeError: no worker is running"}
    assert body["status"] == "degraded"
    assert status == 200


def test_health_needs_no_login_and_no_setup(client):
    # Before any admin exists every page redirects to /setup; /health must not.
    response = client.get("/health")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"


# --- a real worker process ----------------------------------------------------------------


def _worker_env(test_config: dict) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LMS_ENV="testing",
        LMS_INSTANCE_PATH=test_config["LMS_INSTANCE_PATH"],
        DATABASE_URL=test_config["DATABASE_URL"],
        REDIS_URL=test_config["REDIS_URL"],
        SOCKETIO_ASYNC_MODE="threading",
    )
    return env


@pytest.fixture
def worker_process(app, test_config) -> Iterator[subprocess.Popen]:
    """`flask --app wsgi lms worker`, as `make run` starts it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "worker"],
        cwd=PROJECT_ROOT,
        env=_worker_env(test_config),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield proc
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_worker_process_reports_to_health_and_runs_jobs(app, client, worker_process):
    from lms.extensions import db
    from lms.models import Task, TaskStatus
    from lms.tasks import enqueue

    with app.app_context():
        task_id = enqueue("lms.testing.jobs.add_media", 20, 22).id
        db.session.commit()

    def worker_ok() -> bool:
        assert worker_process.poll() is None, worker_process.stdout.read().decode()
        return _health(client)[1]["checks"]["worker"]["ok"]

    _wait_for(worker_ok, 30, "the worker check to turn ok")
    status, body, _ = _health(client)
    assert status == 200
    assert body["checks"]["worker"]["detail"].startswith("1 worker(s), last report")

    def task_finished() -> bool:
        with app.app_context():
            return db.session.get(Task, task_id).status == TaskStatus.FINISHED

    # The job ran in the worker's forked work horse (niced: it is on "media").
    _wait_for(task_finished, 30, "the worker to run the queued job")
    with app.app_context():
        assert db.session.get(Task, task_id).result == 42

    # A worker that stops cleanly says goodbye: health no longer counts it.
    worker_process.send_signal(signal.SIGTERM)
    assert worker_process.wait(timeout=20) == 0, worker_process.stdout.read().decode()
    _, body, _ = _health(client)
    assert body["checks"]["worker"]["ok"] is False


# --- dependencies down ---------------------------------------------------------------------


@pytest.fixture
def private_redis(tmp_path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path / "redis-instance")
    server.start()
    yield server
    if server.process and server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.stop()


def test_health_with_redis_stopped_answers_fast_and_names_redis(
    test_config, private_redis, tmp_path
):
    other = _build_app(
        test_config, REDIS_URL=private_redis.url, LMS_INSTANCE_PATH=str(tmp_path / "inst")
    )
    try:
        client = other.test_client()
        _, body, _ = _health(client)
        assert body["checks"]["redis"]["ok"] is True

        private_redis.stop()
        status, body, elapsed = _health(client)
        assert elapsed < 2, f"/health took {elapsed:.2f}s with Redis stopped"
        assert status == 200
        assert body["status"] == "degraded"
        assert body["checks"]["redis"]["ok"] is False
        assert "Error" in body["checks"]["redis"]["detail"]
        assert body["checks"]["worker"]["ok"] is False
        assert body["checks"]["database"]["ok"] is True
    finally:
        _dispose(other)


def test_health_with_redis_hung_answers_fast(test_config, private_redis, tmp_path):
    """A Redis that accepts connections but never answers must not hang /health."""
    other = _build_app(
        test_config, REDIS_URL=private_redis.url, LMS_INSTANCE_PATH=str(tmp_path / "inst")
    )
    try:
        client = other.test_client()
        os.kill(private_redis.process.pid, signal.SIGSTOP)
        for _ in range(3):  # again and again: abandoned checks must not pile up
            status, body, elapsed = _health(client)
            assert elapsed < 2, f"/health took {elapsed:.2f}s with Redis hung"
            assert status == 200
            assert body["status"] == "degraded"
            assert body["checks"]["redis"]["ok"] is False
            assert body["checks"]["database"]["ok"] is True
    finally:
        os.kill(private_redis.process.pid, signal.SIGCONT)
        _dispose(other)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_health_with_database_unreachable_is_unhealthy(test_config, tmp_path):
    other = _build_app(
        test_config,
        DATABASE_URL=f"postgresql://lms@127.0.0.1:{_closed_port()}/lms",
        LMS_INSTANCE_PATH=str(tmp_path / "inst"),
    )
    try:
        status, body, elapsed = _health(other.test_client())
        assert elapsed < 2
        assert status == 503
        assert body["status"] == "unhealthy"
        assert body["checks"]["database"]["ok"] is False
        assert "OperationalError" in body["checks"]["database"]["detail"]
        assert body["checks"]["redis"]["ok"] is True
    finally:
        _dispose(other)


def test_health_with_database_not_answering_is_time_boxed(test_config, tmp_path):
    """A database host that accepts TCP but never speaks: answered within the time box."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel completes handshakes; nobody ever replies
        port = silent.getsockname()[1]
        other = _build_app(
            test_config,
            DATABASE_URL=f"postgresql://lms@127.0.0.1:{port}/lms",
            LMS_INSTANCE_PATH=str(tmp_path / "inst"),
        )
        try:
            status, body, elapsed = _health(other.test_client())
            assert elapsed < 2, f"/health took {elapsed:.2f}s"
            assert status == 503
            assert body["status"] == "unhealthy"
            assert body["checks"]["database"] == {"ok": False, "detail": "no answer within 1s"}
        finally:
            _dispose(other)


def test_health_with_storage_gone_is_degraded(test_config, tmp_path):
    storage_root = tmp_path / "storage"
    other = _build_app(
        test_config, STORAGE_LOCAL_PATH=str(storage_root), LMS_INSTANCE_PATH=str(tmp_path / "i")
    )
    try:
        # The storage volume is gone (unmounted): its path is no longer a folder.
        storage_root.rmdir()
        storage_root.write_text("not a folder")
        status, body, _ = _health(other.test_client())
        assert status == 200
        assert body["status"] == "degraded"
        assert body["checks"]["storage"]["ok"] is False
        assert body["checks"]["database"]["ok"] is True
    finally:
        _dispose(other)
