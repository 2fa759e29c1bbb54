"""Benchmark: the attendance table (and its CSV) of a finished class, as its course grows.

    .venv/bin/python bench/live_attendance.py

Seeds a fresh SQLite database (or BENCH_DATABASE_URL) with one course of N
enrolled students and an ended class in which each student has three join/leave
intervals (overlapping ones included), then times, in process, the median of 7
runs of:

- ``attendance``: ``class_attendance(class)`` plus ``to_csv`` (what the CSV
  export does: every enrolled student with minutes and status);
- ``fetch``: the baseline, reading the same intervals and users with two plain
  SELECTs and nothing else.

Prints ``attendance_ms_<N>=`` and ``fetch_ms_<N>=`` per size, then
``attendance_vs_fetch_ratio=`` at the largest size (the computation's cost over
bare reading; target <= 3). Environment: BENCH_SIZES (200,2000), REDIS_URL
(default: an embedded Redis).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "200,2000").split(",")]
RUNS = 7
TARGET_RATIO = 3.0


def _median_ms(fn) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(size: int, workdir: Path, redis_url: str) -> tuple[float, float]:
    os.environ.update(
        {
            "LMS_ENV": "production",
            "SITE_URL": "http://127.0.0.1",
            "LMS_INSTANCE_PATH": str(workdir / f"n{size}"),
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL")
            or f"sqlite:///{workdir / f'live-{size}.sqlite3'}",
            "REDIS_URL": redis_url,
        }
    )
    from lms_catalog import Course, Enrollment
    from lms_live_classes import class_attendance
    from lms_live_classes.attendance import to_csv
    from lms_live_classes.models import AttendanceInterval, LiveClass
    from sqlalchemy import insert, select

    from lms.app import create_app
    from lms.extensions import db
    from lms.migrations import upgrade_all
    from lms.models import Role, User, utcnow

    app = create_app()
    rng = random.Random(size)
    with app.app_context():
        upgrade_all(app, echo=lambda _m: None)
        now = utcnow()
        teacher = User(email="teacher@bench.test", name="Teacher", role=Role.INSTRUCTOR)
        db.session.add(teacher)
        db.session.flush()
        course = Course(slug="live-bench", title="Live bench", owner_id=teacher.id,
                        status="published")  # fmt: skip
        db.session.add(course)
        db.session.flush()
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"s{i}@bench.test",
                    "name": f"Student {i:05d}",
                    "role": Role.STUDENT,
                    "created_at": now,
                }
                for i in range(size)
            ],  # fmt: skip
        )
        ids = list(db.session.scalars(select(User.id).where(User.role == Role.STUDENT)))
        db.session.execute(
            insert(Enrollment),
            [
                {
                    "user_id": uid,
                    "course_id": course.id,
                    "enrolled_at": now,
                    "status": "active",
                    "progress": 0,
                }
                for uid in ids
            ],  # fmt: skip
        )
        begin = now - timedelta(hours=2)
        live_class = LiveClass(
            course_id=course.id, title="Bench class", starts_at=begin, duration_minutes=60,
            seats=size, status="ended", started_at=begin, ended_at=begin + timedelta(minutes=60),
        )  # fmt: skip
        db.session.add(live_class)
        db.session.flush()
        rows = []
        for uid in ids:
            for _ in range(3):
                joined = begin + timedelta(minutes=rng.randint(-5, 50))
                left = joined + timedelta(minutes=rng.randint(1, 30))
                rows.append({"class_id": live_class.id, "user_id": uid, "joined_at": joined,
                             "left_at": left, "last_seen_at": left})  # fmt: skip
        db.session.execute(insert(AttendanceInterval), rows)
        db.session.commit()
        class_id = live_class.id

        def attendance() -> None:
            db.session.expire_all()
            live = db.session.get(LiveClass, class_id)
            table = class_attendance(live)
            assert len(table) == size
            to_csv(live, table)

        def fetch() -> None:
            db.session.expire_all()
            list(
                db.session.scalars(
                    select(AttendanceInterval).where(AttendanceInterval.class_id == class_id)
                )
            )
            list(db.session.scalars(select(User).where(User.id.in_(ids))))  # fmt: skip

        attendance()
        fetch()  # warm both up
        result = (_median_ms(attendance), _median_ms(fetch))
        db.session.remove()
        db.engine.dispose()
    return result


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="lms-bench-live-"))
    redis_server = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        from lms.redis_store import EmbeddedRedis

        redis_server = EmbeddedRedis(workdir)
        redis_server.start()
        redis_url = redis_server.url
    try:
        ratio = 0.0
        for size in SIZES:
            attendance_ms, fetch_ms = measure(size, workdir, redis_url)
            print(f"attendance_ms_{size}={attendance_ms:.1f}")
            print(f"fetch_ms_{size}={fetch_ms:.1f}")
            ratio = attendance_ms / fetch_ms if fetch_ms else 0.0
        print(f"attendance_vs_fetch_ratio={ratio:.2f} (target <= {TARGET_RATIO})")
    finally:
        if redis_server is not None:
            redis_server.stop()


if __name__ == "__main__":
    main()
