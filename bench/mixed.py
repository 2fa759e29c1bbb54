"""Benchmark: a school's mixed load on `make run`'s server, SQLite beside PostgreSQL.

    .venv/bin/python bench/mixed.py            (part of `make bench`)

For each database, the catalog data of bench/catalog.py plus a small school
(lms.testing.load) are seeded, the site is started by the launcher exactly
as `make run` starts it (gevent workers on every core, workers, Redis), and
lms.testing.load.MixedLoad drives it for BENCH_MIX_SECONDS: sign-ins, profile
writes, enrolments, "mark complete", catalog pages and one client sending its
body one byte a second, each person sending the next request at once. Prints
``<db>_writes_per_s=``, ``<db>_p99_ms=`` and ``<db>_errors=`` (5xx and requests
without an answer) for ``sqlite`` and ``postgresql``.

Then the catalog page (/courses, same data, bench/catalog.py's wrk settings
and rounds) under `make run`'s gunicorn command against bench/catalog.py's two
sync workers, both with the same settings: ``makerun_vs_bench_ratio=`` (req/s
of the first over the second) and ``wrk_timeouts=`` (under `make run`'s).

PostgreSQL: a database ``bench_mixed`` is created on BENCH_PG_URL (default
postgresql://postgres@127.0.0.1:5432) and dropped afterwards; without a
server there, the PostgreSQL part is skipped with the reason printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import catalog  # noqa: E402 - after the path is set
from lms.launcher import gunicorn_command  # noqa: E402
from lms.testing.load import MixedLoad, add_lessons, seed_school  # noqa: E402
from lms.testing.site import kill, start_site, stop_with_ctrl_c, wait_for_health  # noqa: E402

MIX_SECONDS = float(os.environ.get("BENCH_MIX_SECONDS", "20"))
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
PG_DATABASE = "bench_mixed"


def _pg_url(database: str) -> str:
    parts = urlsplit(PG_SERVER)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", "", ""))


def create_pg_database() -> str | None:
    """Create an empty bench database; return its URL, or None (with the reason printed)."""
    try:
        import psycopg

        with psycopg.connect(_pg_url("postgres"), autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    except Exception as exc:  # any reason at all: report it and go on with SQLite
        print(f"postgresql skipped: cannot create {PG_DATABASE} on {PG_SERVER}: {exc}")
        return None
    return _pg_url(PG_DATABASE)


def drop_pg_database() -> None:
    import psycopg

    with psycopg.connect(_pg_url("postgres"), autocommit=True, connect_timeout=3) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


def seed(env: dict[str, str]) -> Any:
    """Seed the catalog data and the load's school; return the school."""
    catalog.seed(env)
    from lms.app import create_app
    from lms.extensions import db

    app = create_app()
    school = seed_school(app, prefix="mix")
    with app.app_context():
        db.engine.dispose()
    return school


def run_mix(name: str, env: dict[str, str], workdir: Path) -> dict[str, float]:
    """Seed, start the site as `make run` does, drive the mix; return the figures."""
    print(f"{name}: seeding into {env['DATABASE_URL']} ...", flush=True)
    school = seed(env)
    port = catalog.free_port()
    site_env = {k: env[k] for k in ("DATABASE_URL", "SECRET_KEY")}
    proc = start_site(workdir / f"{name}-instance", port, env=site_env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(f"{base}/health", proc, timeout=180)
        add_lessons(base, school)
        print(f"{name}: mixed load for {MIX_SECONDS:.0f} s against {base}", flush=True)
        report = MixedLoad(base, school, MIX_SECONDS).run(slow_client=True)
        print(report.summary(), flush=True)
        stop_with_ctrl_c(proc)
    finally:
        kill(proc)
    return {
        "writes_per_s": report.writes_per_second,
        "p99_ms": report.percentile_ms(99),
        "errors": float(len(report.errors)),
    }


def compare_catalog(env: dict[str, str]) -> dict[str, float]:
    """/courses under make run's gunicorn command and under bench/catalog.py's sync workers."""
    makerun_port, bench_port = catalog.free_port(), catalog.free_port()
    workers = os.environ.get("LMS_WEB_WORKERS") or str(len(os.sched_getaffinity(0)))
    servers = [
        subprocess.Popen(
            gunicorn_command("127.0.0.1", str(makerun_port), int(workers)),
            cwd=ROOT,
            env={**os.environ, **env, "SOCKETIO_ASYNC_MODE": "gevent"},
        ),
        catalog.serve("wsgi:app", env, bench_port),
    ]
    targets = (
        ("makerun", f"http://127.0.0.1:{makerun_port}/courses"),
        ("bench", f"http://127.0.0.1:{bench_port}/courses"),
    )
    try:
        for _name, url in targets:
            catalog.wait_for(url)
            catalog.run_wrk(url, catalog.WARMUP)
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name, _ in targets}
        for number in range(1, catalog.ROUNDS + 1):
            for name, url in targets:
                print(f"round {number}: {name} {url}", flush=True)
                rounds[name].append(catalog.run_wrk(url))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)
    results = {name: catalog._median_round(runs) for name, runs in rounds.items()}
    for name, r in results.items():
        each = ", ".join(f"{run['rps']:.0f}" for run in rounds[name])
        print(
            f"{name:<8} {r['rps']:9.1f} req/s   p99 {r['p99']:7.2f} ms   "
            f"timeouts {int(r['timeouts'])}   (rounds {each})"
        )
    return {
        "makerun_rps": results["makerun"]["rps"],
        "bench_rps": results["bench"]["rps"],
        "ratio": results["makerun"]["rps"] / results["bench"]["rps"],
        "timeouts": sum(run["timeouts"] for run in rounds["makerun"]),
    }


def main() -> None:
    catalog.stop_servers_on_sigterm()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (scripts/check_system.py wrk installs it)")
    workdir = Path(tempfile.mkdtemp(prefix="lms-bench-mixed-"))
    from lms.redis_store import EmbeddedRedis

    redis_server = EmbeddedRedis(workdir)
    redis_server.start()
    base_env = {
        "LMS_ENV": "production",
        "LMS_INSTANCE_PATH": str(workdir),
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "REDIS_URL": redis_server.url,
        "SITE_URL": "http://127.0.0.1",
    }
    figures: dict[str, dict[str, float]] = {}
    try:
        sqlite_env = {**base_env, "DATABASE_URL": f"sqlite:///{workdir / 'mixed.sqlite3'}"}
        figures["sqlite"] = run_mix("sqlite", sqlite_env, workdir)
        pg_url = create_pg_database()
        if pg_url:
            try:
                figures["postgresql"] = run_mix(
                    "postgresql", {**base_env, "DATABASE_URL": pg_url}, workdir
                )
            finally:
                drop_pg_database()
        print("catalog page: make run's server against the benchmark's sync workers", flush=True)
        page = compare_catalog(sqlite_env)
    finally:
        redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    for name, result in figures.items():
        print(
            f"{name}_writes_per_s={result['writes_per_s']:.1f} "
            f"{name}_p99_ms={result['p99_ms']:.0f} {name}_errors={int(result['errors'])}"
        )
    print(f"makerun_rps={page['makerun_rps']:.1f} bench_rps={page['bench_rps']:.1f}")
    print(f"makerun_vs_bench_ratio={page['ratio']:.3f} wrk_timeouts={int(page['timeouts'])}")


if __name__ == "__main__":
    main()
