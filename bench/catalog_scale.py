"""Benchmark: the catalog's cost as it grows from 1,000 to 50,000 courses, on SQLite and PostgreSQL.

    .venv/bin/python bench/catalog_scale.py          (part of `make bench`)

For each database and size it seeds a fresh database with bench/catalog.py's
data generator (published courses, instructors, enrolments; bulk inserts),
analyses it as a running database would be, serves the app with gunicorn (2
sync workers) and loads each page below with ``wrk -t2 -c32`` on loopback: a
2 s warm-up, then 8 s measured. The four servers run at once and each page is
measured on each in turn, so that load from elsewhere on the machine falls on
every size and database alike. Prints req/s, p50 and p99 per page, then:

- ``catalog_50k_vs_1k_ratio_<db>=`` and ``search_50k_vs_1k_ratio_<db>=``
  (req/s at 50,000 courses over 1,000; targets 0.8 and 0.7),
- ``pg_vs_sqlite_catalog_ratio=`` and ``pg_vs_sqlite_search_ratio=`` at 1,000
  courses (target 0.9),
- ``p99_max_50k_ms_<db>=``: the slowest page's p99 at 50,000 (target < 250).

PostgreSQL: a database of its own is created (and dropped at the end) on the
server of BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432; when that
server cannot be reached the PostgreSQL runs are skipped, saying why.

Environment: BENCH_SIZES (1000,50000), BENCH_DURATION (8s), BENCH_WORKERS (2),
BENCH_PG_URL, REDIS_URL (default: an embedded Redis).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalog import (  # noqa: E402
    free_port,
    run_wrk,
    serve,
    stop_servers_on_sigterm,
    wait_for,
)

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,50000").split(",")]
DURATION = os.environ.get("BENCH_DURATION", "8s")
WARMUP = "2s"
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
PG_DATABASE = f"lms_bench_scale_{os.getpid()}"
# The pages: the catalog, searches (a word every course has, a slug-like
# word), a sorted and filtered listing, and the API's search.
PAGES = {
    "catalog": "/courses",
    "search": "/courses?q=practical",
    "search_slug": "/courses?q=course-777",
    "popular_advanced": "/courses?sort=popular&level=advanced",
    "api_search": "/api/v1/courses?q=useful",
}
TARGETS = {"catalog": 0.8, "search": 0.7, "pg_vs_sqlite": 0.9, "p99_ms": 250.0}


def _server_url(url: str) -> str:
    """Return the server part of a PostgreSQL URL (its path is ours to choose)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _pg_admin(sql: str) -> None:
    import psycopg

    server = _server_url(PG_SERVER).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


def postgres_unavailable() -> str | None:
    """Return why PostgreSQL cannot be used, or None when it can."""
    try:
        _pg_admin("SELECT 1")
    except Exception as error:  # any failure to connect means: skip, and say why
        return f"{_server_url(PG_SERVER)}: {str(error).strip().splitlines()[0]}"
    return None


def fresh_database(kind: str, workdir: Path, size: int) -> str:
    """Return the URL of an empty database for one run."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / f'scale-{size}.sqlite3'}"
    name = f"{PG_DATABASE}_{size}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    _pg_admin(f'CREATE DATABASE "{name}"')
    return f"{_server_url(PG_SERVER)}/{name}"


def seed_in_child(env: dict[str, str], size: int) -> float:
    """Seed `size` courses in a child process (a fresh app each time); return seconds."""
    started = time.monotonic()
    code = (
        "import os, sys; sys.path.insert(0, os.getcwd()); "
        "from bench.catalog import seed; from bench.catalog_scale import analyse; "
        f"analyse(seed(dict(os.environ), {size}))"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, check=True)
    return time.monotonic() - started


def analyse(url: str) -> None:
    """Give the query planner its statistics, as a live database has them.

    PostgreSQL's autovacuum analyses a table after bulk changes; SQLite keeps
    statistics only when told to (`PRAGMA optimize`, which the README advises).
    """
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
    engine.dispose()


def measure(targets: dict[tuple[str, int], str]) -> dict[tuple[str, int], dict[str, Any]]:
    """Load each page on every target in turn, so a burst of load elsewhere hits all alike."""
    runs: dict[tuple[str, int], dict[str, Any]] = {target: {} for target in targets}
    for name, path in PAGES.items():
        for (kind, size), base in targets.items():
            run_wrk(base + path, WARMUP)
            result = run_wrk(base + path, DURATION)
            runs[kind, size][name] = result
            print(
                f"{kind:<10} {size:>6} {name:<17} {result['rps']:8.1f} req/s  "
                f"p50 {result['p50']:7.1f} ms  p99 {result['p99']:7.1f} ms  "
                f"non-2xx {int(result['errors'])}  timed out {int(result['timeouts'])}",
                flush=True,
            )
    return runs


def main() -> None:
    stop_servers_on_sigterm()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="lms-bench-scale-"))
    env = {
        "LMS_ENV": "production",
        "SITE_URL": "http://127.0.0.1",
        "LMS_INSTANCE_PATH": str(workdir),
        "SECRET_KEY": "bench-secret-key-not-for-production",
    }
    redis_server = None
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    else:
        from lms.redis_store import EmbeddedRedis

        redis_server = EmbeddedRedis(workdir)
        redis_server.start()
        env["REDIS_URL"] = redis_server.url
    kinds = ["sqlite"]
    why_not = postgres_unavailable()
    if why_not:
        print(f"postgresql skipped: {why_not}", flush=True)
    else:
        kinds.append("postgresql")
    servers: list[subprocess.Popen[bytes]] = []
    try:
        targets: dict[tuple[str, int], str] = {}
        for kind in kinds:
            for size in SIZES:
                run_env = {**env, "DATABASE_URL": fresh_database(kind, workdir, size)}
                seconds = seed_in_child(run_env, size)
                print(f"{kind} {size}: seeded in {seconds:.1f} s", flush=True)
                port = free_port()
                servers.append(serve("wsgi:app", run_env, port))
                targets[kind, size] = f"http://127.0.0.1:{port}"
        for base in targets.values():
            wait_for(base + PAGES["catalog"], timeout=60)
        runs = measure(targets)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        if "postgresql" in kinds:
            for size in SIZES:
                _pg_admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}_{size}"')
        if redis_server is not None:
            redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    report(runs, kinds)


def report(runs: dict[tuple[str, int], dict[str, Any]], kinds: list[str]) -> None:
    """Print the ratios and worst p99 with their targets."""
    small, large = min(SIZES), max(SIZES)

    def line(name: str, value: float, ok: bool, target: str) -> None:
        print(f"{name}={value:.3f}   (target {target}: {'met' if ok else 'MISSED'})")

    for kind in kinds:
        if small == large:
            break
        for page, target in (("catalog", TARGETS["catalog"]), ("search", TARGETS["search"])):
            ratio = runs[kind, large][page]["rps"] / runs[kind, small][page]["rps"]
            line(f"{page}_{large // 1000}k_vs_{small // 1000}k_ratio_{kind}", ratio,
                 ratio >= target, f">= {target}")  # fmt: skip
        # A request wrk gave up on (2 s) counts as slower than any p99 measured.
        worst = max(r["p99"] if not r["timeouts"] else 2000.0 for r in runs[kind, large].values())
        line(f"p99_max_{large // 1000}k_ms_{kind}", worst, worst < TARGETS["p99_ms"], "< 250")
    if "postgresql" in kinds:
        for page in ("catalog", "search"):
            ratio = runs["postgresql", small][page]["rps"] / runs["sqlite", small][page]["rps"]
            line(f"pg_vs_sqlite_{page}_ratio", ratio, ratio >= TARGETS["pg_vs_sqlite"], ">= 0.9")


if __name__ == "__main__":
    main()
