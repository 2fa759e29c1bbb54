"""The whole site run the way `make run` runs it (the launcher), for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import psutil
import requests

from lms.config import PROJECT_ROOT

# Settings of the test session that must not leak into the site under test
# (SOCKETIO_CHANNEL: an xdist worker's; the site has a Redis of its own).
_SESSION_ONLY = {
    "REDIS_URL",
    "DATABASE_URL",
    "TEST_DATABASE_URL",
    "LMS_ENV",
    "SITE_URL",
    "SOCKETIO_CHANNEL",
}


def start_site(
    instance: Path,
    port: int,
    *,
    command: list[str] | None = None,
    env: dict[str, str] | None = None,
    output: IO[Any] | int = subprocess.DEVNULL,
) -> subprocess.Popen[Any]:
    """Start `command` (default: the launcher `make run` starts) on 127.0.0.1:`port`."""
    full_env = {k: v for k, v in os.environ.items() if k not in _SESSION_ONLY}
    full_env.update(LMS_INSTANCE_PATH=str(instance), PORT=str(port), HOST="127.0.0.1")
    full_env.update(env or {})
    # Its own process group, like a terminal's foreground job, so that a
    # SIGINT to the group is what Ctrl-C would send.
    return subprocess.Popen(
        command or [sys.executable, "-m", "lms.launcher"],
        cwd=PROJECT_ROOT,
        env=full_env,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT if output is not subprocess.DEVNULL else subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for_health(url: str, proc: subprocess.Popen[Any], timeout: float) -> dict[str, Any]:
    """Poll /health until the site and a worker are up; return the report."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the site exited early with {proc.returncode}")
        try:
            response = requests.get(url, timeout=2)
            last = response.json()
            if response.status_code == 200 and last["checks"]["worker"]["ok"]:
                return last
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"/health not healthy within {timeout}s; last answer: {last}")


def stop_with_ctrl_c(proc: subprocess.Popen[Any]) -> list[psutil.Process]:
    """Send SIGINT like Ctrl-C; return the processes still alive afterwards."""
    tree = psutil.Process(proc.pid).children(recursive=True)
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=30)
    _gone, alive = psutil.wait_procs(tree, timeout=15)
    return alive


def kill(proc: subprocess.Popen[Any]) -> None:
    """Kill what is left of a site after a failed test (its whole process tree)."""
    if proc.poll() is None:
        tree = psutil.Process(proc.pid).children(recursive=True)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for child in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
