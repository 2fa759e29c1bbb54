"""GET /health: the site's status and each dependency's, every check time-boxed."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable
from typing import Any

import redis
from flask import Flask, current_app
from rq import Worker
from sqlalchemy import text

import lms
from lms.extensions import db
from lms.redis_store import redis_url_for
from lms.state import lms_state

# The site cannot serve pages without these; the others only degrade it.
CRITICAL = ("database",)
_pool = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")


def check_database() -> str:
    db.session.execute(text("SELECT 1"))
    db.session.rollback()
    return db.engine.dialect.name


def _quick_redis() -> redis.Redis:
    # Its own client with short timeouts: a hung Redis must not hang /health.
    return redis.Redis.from_url(
        redis_url_for(current_app), socket_connect_timeout=0.8, socket_timeout=0.8
    )


def check_redis() -> str:
    r = _quick_redis()
    r.ping()
    return str(r.info("server").get("redis_version", "ok"))


def check_worker() -> str:
    workers = Worker.all(connection=_quick_redis())
    if not workers:
        raise RuntimeError("no worker is running")
    now = time.time()
    ages = [now - w.last_heartbeat.timestamp() for w in workers if w.last_heartbeat]
    if not ages:
        raise RuntimeError("no worker has reported yet")
    youngest = min(ages)
    if youngest > current_app.config["LMS_WORKER_HEARTBEAT_GRACE"]:
        raise RuntimeError(f"last worker report {youngest:.0f}s ago")
    return f"{len(workers)} worker(s), last report {youngest:.0f}s ago"


def check_storage() -> str:
    return lms_state().storage.check()


def check_ffmpeg() -> str:
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()  # raises if neither the wheel nor PATH has one
    return exe


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "redis": check_redis,
    "worker": check_worker,
    "storage": check_storage,
    "ffmpeg": check_ffmpeg,
}


def _run_in_app(app: Flask, check: Callable[[], str]) -> str:
    with app.app_context():
        return check()


def run_checks(app: Flask) -> dict[str, Any]:
    """Run every check in parallel; a check that takes too long counts as failed."""
    timeout = app.config["LMS_HEALTH_TIMEOUT"]
    started = time.monotonic()
    futures = {name: _pool.submit(_run_in_app, app, fn) for name, fn in CHECKS.items()}
    results: dict[str, dict[str, Any]] = {}
    for name, future in futures.items():
        remaining = max(0.0, timeout - (time.monotonic() - started))
        try:
            results[name] = {"ok": True, "detail": future.result(timeout=remaining)}
        except concurrent.futures.TimeoutError:
            future.cancel()
            results[name] = {"ok": False, "detail": f"no answer within {timeout:g}s"}
        except Exception as exc:
            results[name] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:300]}
    if any(not results[n]["ok"] for n in CRITICAL):
        status = "unhealthy"
    elif all(r["ok"] for r in results.values()):
        status = "healthy"
    else:
        status = "degraded"
    return {"status": status, "version": lms.__version__, "checks": results}
