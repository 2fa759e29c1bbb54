"""The RQ worker: JSON jobs, queues by purpose, niced media jobs, periodic jobs."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from flask import Flask
from rq import Queue, Worker
from rq.serializers import JSONSerializer

from lms.extensions import db
from lms.redis_store import get_redis
from lms.state import lms_state
from lms.tasks import enqueue, set_worker_app

log = logging.getLogger(__name__)


class LmsWorker(Worker):
    """Fork per job (RQ's default); the child resets DB connections and nices media work."""

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


def _schedule_periodic(app: Flask, stop: threading.Event) -> None:
    """Enqueue each periodic job once per interval across all workers (Redis lock)."""
    jobs = lms_state(app).periodic_jobs
    if not jobs:
        return
    redis = get_redis(app)
    while not stop.wait(5):
        for job in jobs:
            try:
                if redis.set(f"lms:periodic:{job.name}", "1", nx=True, ex=job.every):
                    with app.app_context():
                        enqueue(job.func, queue=job.queue)
            except Exception:
                log.exception("could not schedule periodic job %s", job.name)


def run_worker(app: Flask, queues: list[str] | None = None, burst: bool = False) -> None:
    """Run a worker on `queues` (default: all, mail first) until stopped."""
    set_worker_app(app)
    names = queues or app.config["LMS_QUEUES"]
    connection = get_redis(app)
    worker = LmsWorker(
        [Queue(n, connection=connection, serializer=JSONSerializer) for n in names],
        connection=connection,
        serializer=JSONSerializer,
    )
    worker.lms_app = app
    worker.parent_pid = os.getpid()
    stop = threading.Event()
    threading.Thread(target=_schedule_periodic, args=(app, stop), daemon=True).start()
    try:
        worker.work(burst=burst, logging_level="INFO", with_scheduler=True)
    finally:
        stop.set()
