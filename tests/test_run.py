"""`make run` brings the site up with its worker and embedded Redis; Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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


def start_make_run(
    instance: Path, port: int, command: list[str] | None = None
) -> subprocess.Popen[bytes]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "DATABASE_URL", "TEST_DATABASE_URL"}
    }
    env.update(LMS_INSTANCE_PATH=str(instance), PORT=str(port), HOST="127.0.0.1")
    # Its own process group, like a terminal's foreground job, so that a
    # SIGINT to the group is what Ctrl-C would send.
    return subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_with_ctrl_c(proc: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """Send SIGINT like Ctrl-C; return the processes still alive afterwards."""
    tree = psutil.Process(proc.pid).children(recursive=True)
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=30)
    _gone, alive = psutil.wait_procs(tree, timeout=15)
    return alive


@pytest.mark.slow
def test_make_run_serves_and_stops_without_leftovers(tmp_path: Path) -> None:
    port = free_port()
    proc = start_make_run(tmp_path / "instance", port)
    try:
        report = wait_for_health(f"http://127.0.0.1:{port}/health", proc, timeout=180)
        assert report["status"] == "healthy", report
        assert report["checks"]["redis"]["ok"]  # the embedded Redis
        tree = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in tree)
        assert "gunicorn" in names and "worker.py" in names and "redis-server" in names
        assert (tmp_path / "instance" / "lms.sqlite3").exists()

        alive = stop_with_ctrl_c(proc)
        assert alive == [], f"left behind: {[p.cmdline() for p in alive]}"
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.slow
def test_two_copies_run_side_by_side(tmp_path: Path) -> None:
    """A second school on the same machine: its own instance folder and port."""
    ports = [free_port(), free_port()]
    # The supervisor `make run` starts, called directly: two makes at once
    # would race to refresh the same virtualenv if requirements had changed.
    launcher = [sys.executable, "-m", "lms.launcher"]
    procs = [
        start_make_run(tmp_path / f"school{i}", port, launcher) for i, port in enumerate(ports)
    ]
    try:
        for proc, port in zip(procs, ports, strict=True):
            assert wait_for_health(f"http://127.0.0.1:{port}/health", proc, 180)["status"] == (
                "healthy"
            )
        for i in range(2):
            assert (tmp_path / f"school{i}" / "lms.sqlite3").exists()
            assert (tmp_path / f"school{i}" / "redis.sock").exists()
        for proc in procs:
            assert stop_with_ctrl_c(proc) == []
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
