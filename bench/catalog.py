"""Benchmark: the catalog page served the production way against a bare Flask baseline.

    .venv/bin/python bench/catalog.py            (or `make bench`)

Seeds a fresh database with 1,000 published courses (instructors, enrolments),
serves the full app with gunicorn sync workers (as the README recommends) and,
in the same run, a baseline: a bare Flask + SQLAlchemy app rendering the same
24 course rows from the same database with a minimal template. Both get the
same load from wrk on loopback. Prints req/s and p50/p99 for each; the last
line is ``catalog_vs_baseline_ratio=<ours / baseline req/s>``.

Each target is warmed up, then measured in ROUNDS alternating rounds (catalog,
baseline, catalog, ...); the median round of each is reported.

Environment: BENCH_WORKERS (2), BENCH_DURATION (10s a round), BENCH_ROUNDS (3),
BENCH_CONNECTIONS (32),
BENCH_DATABASE_URL (default: an SQLite file in a temporary folder),
REDIS_URL (default: an embedded Redis in that folder).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COURSES = 1000
ROWS = 24
WORKERS = os.environ.get("BENCH_WORKERS", "2")
DURATION = os.environ.get("BENCH_DURATION", "10s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WARMUP = "3s"
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "32")

BASELINE_SQL = (
    "SELECT id, slug, title, subtitle, level, language, price_cents, enrollment_count "
    "FROM catalog_courses WHERE status = 'published' AND deleted_at IS NULL "
    "ORDER BY published_at DESC, id DESC LIMIT 24"
)
BASELINE_TEMPLATE = """<!doctype html><html><head><title>Courses</title></head><body>
<h1>Courses</h1><ul>{% for c in courses %}
<li><a href="/courses/{{ c.slug }}">{{ c.title }}</a> {{ c.subtitle }} · {{ c.level }} ·
{{ c.language }} · {{ 'Free' if c.price_cents == 0 else c.price_cents / 100 }} ·
{{ c.enrollment_count }} enrolled</li>{% endfor %}</ul></body></html>"""


def baseline_app() -> Any:
    """The baseline: Flask, Flask-SQLAlchemy, one query, a minimal template."""
    from flask import Flask, render_template_string
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import text

    app = Flask("baseline")
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_SQLALCHEMY_URL"]
    db = SQLAlchemy(app)

    @app.route("/courses")
    def courses() -> str:
        rows = db.session.execute(text(BASELINE_SQL)).mappings().all()
        return render_template_string(BASELINE_TEMPLATE, courses=rows)

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(env: dict[str, str], courses: int = COURSES) -> str:
    """Migrate and fill the database with `courses`; return the SQLAlchemy URL the app uses."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from lms_catalog import Category, Course, CourseInstructor, Enrollment
    from sqlalchemy import insert

    from lms.app import create_app
    from lms.db import write_now
    from lms.extensions import db
    from lms.migrations import upgrade_all
    from lms.models import Role, User, utcnow
    from lms.settings import set_setting

    app = create_app()
    with app.app_context():
        upgrade_all(app, echo=lambda _m: None)
        with app.test_request_context(), write_now():
            set_setting("core", "setup_done", True)
        now = utcnow()
        categories = [Category(name=f"Subject {i}", slug=f"subject-{i}") for i in range(8)]
        teachers = [
            User(email=f"teacher{i}@bench.test", name=f"Teacher {i}", role=Role.INSTRUCTOR)
            for i in range(20)
        ]
        students = [User(email=f"student{i}@bench.test", name=f"Student {i}") for i in range(50)]
        db.session.add_all([*categories, *teachers, *students])
        db.session.flush()
        db.session.execute(
            insert(Course),
            [
                {
                    "slug": f"course-{n}",
                    "title": f"Course {n}: a practical introduction",
                    "subtitle": "Short lessons, real exercises",
                    "description_md": f"Course {n} teaches **useful things** step by step.",
                    "outcomes_md": "- One thing\n- Another thing",
                    "category_id": categories[n % 8].id,
                    "level": ("beginner", "intermediate", "advanced")[n % 3],
                    "language": ("en", "fr", "es")[n % 3],
                    "price_cents": 0 if n % 5 else 1900,
                    "status": "published",
                    "is_featured": n % 100 == 0,
                    "created_at": now,
                    "updated_at": now,
                    "published_at": now - timedelta(minutes=n),
                    "enrollment_count": 5,
                    "rating_average": 0.0,
                    "rating_count": 0,
                    "owner_id": teachers[n % 20].id,
                }
                for n in range(courses)
            ],
        )
        ids = [cid for (cid,) in db.session.execute(db.select(Course.id))]
        db.session.execute(
            insert(CourseInstructor),
            [{"course_id": cid, "user_id": teachers[cid % 20].id, "position": 0} for cid in ids],
        )
        db.session.execute(
            insert(Enrollment),
            [
                {
                    "user_id": students[(cid + k) % 50].id,
                    "course_id": cid,
                    "enrolled_at": now,
                    "progress": 20,
                    "status": "active",
                }
                for cid in ids
                for k in range(5)
            ],
        )
        db.session.commit()
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        db.engine.dispose()
    return url


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout}s")


def serve(target: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "gunicorn", "-k", "sync", "-w", WORKERS,
        "-b", f"127.0.0.1:{port}", "--log-level", "warning", target,
    ]  # fmt: skip
    return subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def run_wrk(url: str, duration: str = DURATION) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    latency = {
        pct: float(value) * _UNITS_MS[unit]
        for pct, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    }
    if rps is None or "50" not in latency or "99" not in latency:
        raise RuntimeError(f"could not read wrk's report:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"Socket errors: .*timeout (\d+)", out)
    return {
        "rps": float(rps.group(1)),
        "p50": latency["50"],
        "p99": latency["99"],
        "errors": float(errors.group(1)) if errors else 0.0,
        "timeouts": float(timeouts.group(1)) if timeouts else 0.0,
    }


def _rps(runs: list[dict[str, float]]) -> list[float]:
    return [run["rps"] for run in runs]


def _median_round(runs: list[dict[str, float]]) -> dict[str, float]:
    """The round with the median throughput (its latencies come with it)."""
    return sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]


def stop_servers_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so a stopped benchmark's `finally` stops its servers."""
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))


def main() -> None:
    stop_servers_on_sigterm()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="lms-bench-"))
    redis_server = None
    env = {
        "LMS_ENV": "production",
        "SITE_URL": "http://127.0.0.1",
        "LMS_INSTANCE_PATH": str(workdir),
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL")
        or f"sqlite:///{workdir / 'bench.sqlite3'}",
    }
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    else:
        from lms.redis_store import EmbeddedRedis

        redis_server = EmbeddedRedis(workdir)
        redis_server.start()
        env["REDIS_URL"] = redis_server.url
    servers: list[subprocess.Popen[bytes]] = []
    try:
        print(f"seeding {COURSES} courses into {env['DATABASE_URL']} ...", flush=True)
        env["BENCH_SQLALCHEMY_URL"] = seed(env)
        ours_port, base_port = free_port(), free_port()
        servers.append(serve("wsgi:app", env, ours_port))
        servers.append(serve("bench.catalog:baseline_app()", env, base_port))
        ours_url = f"http://127.0.0.1:{ours_port}/courses"
        base_url = f"http://127.0.0.1:{base_port}/courses"
        wait_for(ours_url)
        wait_for(base_url)
        with urllib.request.urlopen(ours_url) as response:
            page = response.read().decode()
        shown = page.count('class="card course-card"')
        if shown != ROWS:
            raise RuntimeError(f"the catalog page shows {shown} courses, expected {ROWS}")
        targets = (("catalog", ours_url), ("baseline", base_url))
        for _name, url in targets:  # warm both up: imports, caches, compiled SQL
            run_wrk(url, WARMUP)
        # Alternate the rounds (catalog, baseline, catalog, ...): a burst of
        # noise from elsewhere on the machine then hits both, not just one.
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name, _ in targets}
        for number in range(1, ROUNDS + 1):
            for name, url in targets:
                print(f"round {number}: wrk -t2 -c{CONNECTIONS} -d{DURATION} {url}", flush=True)
                rounds[name].append(run_wrk(url))
        results = {name: _median_round(runs) for name, runs in rounds.items()}
        for name, r in results.items():
            print(
                f"{name:<9} {r['rps']:9.1f} req/s   p50 {r['p50']:7.2f} ms   "
                f"p99 {r['p99']:7.2f} ms   non-2xx {int(r['errors'])}   "
                f"(median round of {', '.join(f'{run:.0f}' for run in _rps(rounds[name]))})"
            )
        ratio = results["catalog"]["rps"] / results["baseline"]["rps"]
        print(f"catalog_vs_baseline_ratio={ratio:.3f}")
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)
        if redis_server is not None:
            redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
