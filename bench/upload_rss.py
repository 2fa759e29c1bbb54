"""Benchmark: the web process's peak memory while a 2 GB file goes up through tus.

    .venv/bin/python bench/upload_rss.py         (bench/transcode.py calls it too)

Starts the web server the way `make run` does (gunicorn, gevent worker class,
lms.gunicorn_hooks; one worker, so one process takes every request), creates
an instructor with an API token, and uploads 2 GiB with the tuspy client in
64 MiB PATCH requests. The bytes are generated on the fly (a seekable stream
that computes them), never held whole in memory; the server writes them to
local storage in a temporary folder, deleted afterwards. A thread samples the
RSS of the web worker every 20 ms. Prints the idle RSS, the upload's speed,
and as its last line ``upload_peak_rss_mb=<peak RSS of the web worker in MB>``
(target < 150).

Environment: BENCH_UPLOAD_MB (2048), BENCH_UPLOAD_CHUNK_MB (64), REDIS_URL
(default: an embedded Redis in the temporary folder).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
UPLOAD_MB = int(os.environ.get("BENCH_UPLOAD_MB", "2048"))
CHUNK_MB = int(os.environ.get("BENCH_UPLOAD_CHUNK_MB", "64"))


class GeneratedFile(io.RawIOBase):
    """A read-only, seekable file of `size` bytes computed from their position.

    Each 64 KiB block is derived from its index, so any offset can be re-read
    (tuspy seeks to the server's offset) without keeping the file anywhere.
    """

    BLOCK = 64 * 1024

    def __init__(self, size: int) -> None:
        self.size = size
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = max(0, min(self.size, base + offset))
        return self.pos

    def _block(self, index: int) -> bytes:
        seed = hashlib.sha256(index.to_bytes(8, "big")).digest()
        return seed * (self.BLOCK // len(seed))

    def read(self, n: int = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.size, self.pos + n)
        out = bytearray()
        while self.pos < end:
            index, start = divmod(self.pos, self.BLOCK)
            piece = self._block(index)[start : start + (end - self.pos)]
            out += piece
            self.pos += len(piece)
        return bytes(out)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare(env: dict[str, str]) -> str:
    """Migrate a fresh database, add an instructor; return their API token."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from lms_auth.services import issue_api_token

    from lms.app import create_app
    from lms.db import write_now
    from lms.extensions import db
    from lms.migrations import upgrade_all
    from lms.models import Role, User
    from lms.settings import set_setting

    app = create_app()
    with app.app_context():
        upgrade_all(app, echo=lambda _m: None)
        with app.test_request_context(), write_now():
            set_setting("core", "setup_done", True)
        user = User(email="uploader@bench.test", name="Uploader", role=Role.INSTRUCTOR)
        db.session.add(user)
        db.session.flush()
        token, _row = issue_api_token(user, "bench")
        db.session.commit()
        db.engine.dispose()
    return token


def _wait_for(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the web server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


class RssSampler(threading.Thread):
    """Record the largest RSS of the gunicorn workers (children of the master)."""

    def __init__(self, master_pid: int) -> None:
        super().__init__(daemon=True)
        import psutil

        self.master = psutil.Process(master_pid)
        self.peak = 0
        self.running = True

    def current(self) -> int:
        import psutil

        total = 0
        try:
            children = self.master.children(recursive=True)
        except psutil.NoSuchProcess:
            return 0
        for child in children:
            try:
                total = max(total, child.memory_info().rss)
            except psutil.NoSuchProcess:
                continue
        return total

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.current())
            time.sleep(0.02)


def bench_upload_rss(size_mb: int = UPLOAD_MB, chunk_mb: int = CHUNK_MB) -> float:
    """Upload `size_mb` MiB through tus to a `make run`-style server; return peak RSS (MB)."""
    from tusclient import client as tus_client

    from lms.launcher import gunicorn_command

    workdir = Path(tempfile.mkdtemp(prefix="lms-bench-upload-"))
    redis_server = None
    env = {
        "LMS_ENV": "production",
        "SITE_URL": "http://127.0.0.1",
        "LMS_INSTANCE_PATH": str(workdir),
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "LMS_LOG_LEVEL": "WARNING",
    }
    server = None
    saved_env = dict(os.environ)
    try:
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = os.environ["REDIS_URL"]
        else:
            from lms.redis_store import EmbeddedRedis

            redis_server = EmbeddedRedis(workdir)
            redis_server.start()
            env["REDIS_URL"] = redis_server.url
        token = _prepare(env)
        port = _free_port()
        server = subprocess.Popen(
            gunicorn_command("127.0.0.1", str(port), 1),
            cwd=ROOT,
            env={**os.environ, **env, "SOCKETIO_ASYNC_MODE": "gevent"},
        )
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/health", server)
        sampler = RssSampler(server.pid)
        time.sleep(1)
        idle = sampler.current()
        print(f"web worker idle RSS: {idle / MIB:.1f} MB", flush=True)
        sampler.start()
        size = size_mb * MIB
        tus = tus_client.TusClient(
            base + "/api/v1/uploads/",
            headers={"Authorization": f"Bearer {token}"},
        )
        uploader = tus.uploader(
            file_stream=GeneratedFile(size),
            chunk_size=chunk_mb * MIB,
            metadata={"filename": "bench.bin", "filetype": "application/octet-stream"},
        )
        started = time.monotonic()
        uploader.upload()
        elapsed = time.monotonic() - started
        sampler.running = False
        sampler.join()
        stored = sum(p.stat().st_size for p in (workdir / "storage").rglob("*") if p.is_file())
        if stored != size:
            raise RuntimeError(f"the server stored {stored} bytes, expected {size}")
        print(
            f"uploaded {size_mb} MiB in {chunk_mb} MiB PATCH requests in {elapsed:.1f} s "
            f"({size_mb / elapsed:.0f} MiB/s); stored {stored} bytes",
            flush=True,
        )
        return sampler.peak / MIB
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if redis_server is not None:
            redis_server.stop()
        os.environ.clear()
        os.environ.update(saved_env)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> Any:
    peak = bench_upload_rss()
    print(f"upload_peak_rss_mb={peak:.1f}")


if __name__ == "__main__":
    main()
