"""`make run` brings the site up with its worker and embedded Redis; Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
import requests

from lms.config import PROJECT_ROOT
from lms.testing.servers import free_port


def wait_for_health(url: str, proc: subprocess.Popen[bytes], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"make run exited early with {proc.returncode}")
        try:
            response = requests.get(url, timeout=2)
            last = response.json()
            if response.status_code == 200 and last["checks"]["worker"]["ok"]:
                return last
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"/health not healthy within {timeout}s; last answer: {last}")


@pytest.mark.slow
def test_make_run_serves_and_stops_without_leftovers(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"REDIS_URL", "DATABASE_URL", "TEST_DATABASE_URL"}}
    env.update(LMS_INSTANCE_PATH=str(tmp_path / "instance"), PORT=str(port), HOST="127.0.0.1")
    # Its own process group, like a terminal's foreground job, so that the
    # SIGINT below is what Ctrl-C would send.
    proc = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        report = wait_for_health(f"http://127.0.0.1:{port}/health", proc, timeout=180)
        assert report["status"] == "healthy", report
        assert report["checks"]["redis"]["ok"]  # the embedded Redis
        tree = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in tree)
        assert "gunicorn" in names and "worker.py" in names and "redis-server" in names
        assert (tmp_path / "instance" / "lms.sqlite3").exists()

        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
        gone, alive = psutil.wait_procs(tree, timeout=15)
        assert alive == [], f"left behind: {[p.cmdline() for p in alive]}"
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
