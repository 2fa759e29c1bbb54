"""The site as `make run` serves it holds a school's ordinary concurrent load.

The launcher runs against the test database (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set) with its own instance folder, embedded Redis and a
free port. For LOAD_SECONDS, people sign in, edit their profiles, enrol and
leave, mark lessons complete and browse the catalog, all at once, while one
client sends its request body one byte a second.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from lms.testing.load import SLOW_BODY, MixedLoad, School, add_lessons, seed_school
from lms.testing.servers import free_port
from lms.testing.site import kill, start_site, stop_with_ctrl_c, wait_for_health

pytestmark = pytest.mark.slow

LOAD_SECONDS = 20
SLOWEST_ALLOWED = 5.0  # seconds, for any request but the slow client's own
# People pause between clicks; without it, a dozen looping clients measure the
# CPU (each sign-in hashes a password at full cost) rather than the design.
THINK_SECONDS = 0.5


@pytest.fixture
def running_site(app: Flask, database_url: str, tmp_path: Path) -> Iterator[tuple[str, School]]:
    """The launcher serving the test database, with a school in it; stopped afterwards."""
    school = seed_school(app)
    port = free_port()
    log = (tmp_path / "site.log").open("w")
    proc = start_site(tmp_path / "instance", port, env={"DATABASE_URL": database_url}, output=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(f"{base}/health", proc, timeout=180)
        add_lessons(base, school)
        yield base, school
        assert stop_with_ctrl_c(proc) == []
    finally:
        kill(proc)
        log.close()
        print((tmp_path / "site.log").read_text()[-5000:])


def _during(samples: list[Any], start: float, end: float, kind: str) -> list[Any]:
    return [
        s for s in samples if s.kind == kind and start <= s.started and s.started + s.seconds <= end
    ]


def test_concurrent_school_load_is_served_without_errors_or_stalls(running_site):
    base, school = running_site
    load = MixedLoad(base, school, LOAD_SECONDS, think_seconds=THINK_SECONDS)
    report = load.run(signing_in=2, slow_client=True)
    print(report.summary())

    assert report.errors == [], f"{len(report.errors)} requests failed:\n{report.summary()}"
    slowest = max(report.samples, key=lambda s: s.seconds)
    assert slowest.seconds < SLOWEST_ALLOWED, (
        f"a {slowest.kind} request took {slowest.seconds:.1f}s\n{report.summary()}"
    )
    # Writes keep going: the frozen site managed 2 in 20 s.
    assert report.writes_per_second > 1, report.summary()

    # The slow client is served in the end, and delays nobody while its body trickles in.
    slow = report.slow_client
    assert slow is not None and slow.status == 200, report.summary()
    assert slow.seconds >= len(SLOW_BODY) - 1
    trickle_end = slow.started + len(SLOW_BODY) - 1
    for kind in ("catalog", "profile", "me"):
        during = _during(report.samples, slow.started + 1, trickle_end, kind)
        assert len(during) >= 3, f"too few {kind} requests while the body trickled in"
        assert statistics.median(s.seconds for s in during) < 1.0, report.summary()
