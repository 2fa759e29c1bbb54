"""Processes a test starts beside itself (job workers, a web process), on its database and Redis.

The ``start_process`` and ``start_worker`` fixtures (lms.testing.plugin) use
these; a test that kills a process on purpose uses ``kill_family``.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import psutil

from lms.config import PROJECT_ROOT


def process_env(test_config: dict[str, Any], **extra: Any) -> dict[str, str]:
    """The environment of a process that shares this test's database, Redis and channel.

    Heartbeats and the lost-task sweep are fast, so that a killed worker is
    noticed in seconds rather than minutes.
    """
    env = dict(os.environ)
    env.update(
        LMS_ENV="testing",
        LMS_INSTANCE_PATH=test_config["LMS_INSTANCE_PATH"],
        DATABASE_URL=test_config["DATABASE_URL"],
        REDIS_URL=test_config["REDIS_URL"],
        SOCKETIO_CHANNEL=test_config["SOCKETIO_CHANNEL"],
        SOCKETIO_ASYNC_MODE="threading",
        LMS_WORKER_HEARTBEAT="1",
        LMS_WORKER_HEARTBEAT_GRACE="3",
        LMS_SWEEP_INTERVAL="1",
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `command` from the project folder in a session of its own, output to `log`."""
    with log.open("wb") as output:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and scripts
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def process_family(pid: int) -> list[psutil.Process]:
    """The process `pid` and all its descendants (empty once it is gone)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def kill_family(
    proc: subprocess.Popen[bytes], spare: Callable[[psutil.Process], bool] = lambda _p: False
) -> None:
    """SIGKILL `proc` and its descendants (RQ's work horse has a process group of its
    own, so killing the group would miss it), except those `spare` keeps; wait for it."""
    for member in process_family(proc.pid):
        with suppress(psutil.Error):
            if not spare(member):
                member.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
