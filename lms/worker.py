"""The RQ worker: JSON jobs, queues by purpose, niced media jobs, periodic jobs, sweeps."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from flask import Flask
from rq import Queue, Worker
from rq.serializers import JSONSerializer

from lms.extensions import db
from lms.redis_store import get_redis
from lms.state import lms_state
from lms.task_recovery import sweep
from lms.tasks import enqueue, set_worker_app

log = logging.getLogger(__name__)

_SWEEP_LOCK = "lms:sweep"

# Held by the maintenance thread while it uses the database, and by the worker
# while it forks a work horse. A fork copies a process with only the forking
# thread in it: had the maintenance thread been inside SQLite at that instant,
# the horse would inherit SQLite's internal mutexes locked, and its first
# connect() would wait forever (seen: a job stuck "running" until its timeout).
_DATABASE_THREADS = threading.Lock()


class LmsWorker(Worker):
    """Fork per job (RQ's default); the child resets DB connections and nices media work."""

    def fork_work_horse(self, job: Any, queue: Queue) -> None:
        with _DATABASE_THREADS:  # no other thread of ours is inside the database now
            super().fork_work_horse(job, queue)

    def perform_job(self, job: Any, queue: Queue) -> bool:
        # Runs in the forked work horse: sockets inherited from the parent
        # must not be shared, and a transcode must not starve the web pages.
        app = getattr(self, "lms_app", None)
        if app is not None:
            with app.app_context():
                db.engine.dispose(close=False)
        if queue.name == "media" and os.getpid() != getattr(self, "parent_pid", os.getpid()):
            os.nice(19)
        return super().perform_job(job, queue)


def sweep_once(app: Flask, *, force: bool = False) -> None:
    """Sweep lost tasks and the outbox, unless another worker swept within the interval."""
    try:
        every = int(app.config["LMS_SWEEP_INTERVAL"])
        if force or get_redis(app).set(_SWEEP_LOCK, "1", nx=True, ex=max(1, every)):
            with app.app_context():
                sweep()
    except Exception:
        # Redis or the database is away: the next sweep tries again.
        log.warning(
            "sweep failed; retrying in %ss", app.config["LMS_SWEEP_INTERVAL"], exc_info=True
        )


def _enqueue_periodic(app: Flask) -> None:
    redis = get_redis(app)
    for job in lms_state(app).periodic_jobs:
        try:
            if redis.set(f"lms:periodic:{job.name}", "1", nx=True, ex=job.every):
                with app.app_context():
                    # Keyed, so a periodic job never piles up behind a slow copy.
                    enqueue(job.func, unique_key=f"periodic:{job.name}")
                    db.session.commit()
        except Exception:
            log.exception("could not schedule periodic job %s", job.name)


def _maintain(app: Flask, stop: threading.Event) -> None:
    """Enqueue periodic jobs once per interval across all workers; sweep now and then."""
    every = float(app.config["LMS_SWEEP_INTERVAL"])
    next_sweep = time.monotonic() + every
    while not stop.wait(min(5.0, every)):
        with _DATABASE_THREADS:
            _enqueue_periodic(app)
            if time.monotonic() >= next_sweep:
                sweep_once(app)
                next_sweep = time.monotonic() + every


def run_worker(app: Flask, queues: list[str] | None = None, burst: bool = False) -> None:
    """Run a worker on `queues` (default: all, mail first) until stopped."""
    set_worker_app(app)
    names = queues or app.config["LMS_QUEUES"]
    connection = get_redis(app)
    worker = LmsWorker(
        [Queue(n, connection=connection, serializer=JSONSerializer) for n in names],
        connection=connection,
        serializer=JSONSerializer,
        job_monitoring_interval=int(app.config["LMS_WORKER_HEARTBEAT"]),
    )
    worker.lms_app = app
    worker.parent_pid = os.getpid()
    # Tasks committed while Redis was down wait in the outbox: push them first.
    sweep_once(app, force=True)
    stop = threading.Event()
    threading.Thread(target=_maintain, args=(app, stop), daemon=True).start()
    try:
        worker.work(burst=burst, logging_level=app.config["LMS_LOG_LEVEL"], with_scheduler=True)
    finally:
        stop.set()
