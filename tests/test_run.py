"""`make run` brings the site up with its workers and embedded Redis; Ctrl-C stops them all."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import requests

from lms.config import PROJECT_ROOT
from lms.testing.servers import free_port
from lms.testing.site import kill, start_site, stop_with_ctrl_c, wait_for_health


def _processes(proc: subprocess.Popen[bytes]) -> list[list[str]]:
    return [p.cmdline() for p in psutil.Process(proc.pid).children(recursive=True)]


@pytest.mark.slow
def test_make_run_serves_and_stops_without_leftovers(tmp_path: Path) -> None:
    port = free_port()
    out = (tmp_path / "terminal.txt").open("w")
    proc = start_site(
        tmp_path / "instance",
        port,
        command=["make", "--no-print-directory", "run"],
        env={"LMS_WEB_WORKERS": "2"},
        output=out,
    )
    try:
        report = wait_for_health(f"http://127.0.0.1:{port}/health", proc, timeout=180)
        assert report["status"] == "healthy", report
        assert report["checks"]["redis"]["ok"]  # the embedded Redis
        commands = _processes(proc)
        names = " ".join(" ".join(c) for c in commands)
        assert "gunicorn" in names and "redis-server" in names
        assert (tmp_path / "instance" / "lms.sqlite3").exists()
        # Pages on two processes; the media queue in a worker of its own.
        web = [
            p
            for p in psutil.Process(proc.pid).children(recursive=True)
            if "gunicorn" in p.cmdline()
        ]
        assert len(web) == 3  # the master and its two workers
        # (RQ forks a scheduler and work horses with the same command line.)
        workers = {tuple(c[c.index("worker.py") + 1 :]) for c in commands if "worker.py" in c}
        assert workers == {("mail", "default"), ("media",)}
        assert web[0].environ()["SITE_URL"] == f"http://127.0.0.1:{port}"
        requests.get(f"http://127.0.0.1:{port}/courses", timeout=10)

        alive = stop_with_ctrl_c(proc)
        assert alive == [], f"left behind: {[p.cmdline() for p in alive]}"
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
    finally:
        kill(proc)
        out.close()
    terminal = (tmp_path / "terminal.txt").read_text()
    # Quiet by default: the banner, no warnings, migrations, access log or traceback.
    assert "The school site is starting" in terminal
    for noise in ("Traceback", "Error", "Warning", "!!", "upgrading ", "GET /courses", "INFO"):
        assert noise not in terminal, f"{noise!r} in the terminal:\n{terminal}"


@pytest.mark.slow
def test_verbose_run_shows_migrations_and_the_access_log(tmp_path: Path) -> None:
    port = free_port()
    out = (tmp_path / "terminal.txt").open("w")
    launcher = [sys.executable, "-m", "lms.launcher"]
    proc = start_site(
        tmp_path / "instance", port, command=launcher, env={"LMS_VERBOSE": "1"}, output=out
    )
    try:
        wait_for_health(f"http://127.0.0.1:{port}/health", proc, timeout=180)
        requests.get(f"http://127.0.0.1:{port}/courses", timeout=10)
        assert stop_with_ctrl_c(proc) == []
    finally:
        kill(proc)
        out.close()
    terminal = (tmp_path / "terminal.txt").read_text()
    assert "upgrading core" in terminal
    assert "GET /courses" in terminal
    assert "Traceback" not in terminal


@pytest.mark.slow
def test_the_banners_seed_demo_command_fills_the_running_site(tmp_path: Path) -> None:
    port = free_port()
    out = (tmp_path / "terminal.txt").open("w")
    proc = start_site(
        tmp_path / "school", port, command=[sys.executable, "-m", "lms.launcher"], output=out
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(f"{base}/health", proc, timeout=180)
        banner = (tmp_path / "terminal.txt").read_text()
        command = re.search(r"^\s+(cd .* lms seed-demo)$", banner, re.M)
        assert command, banner
        assert f"LMS_INSTANCE_PATH={tmp_path / 'school'}" in command.group(1)
        # Run in another "terminal": a shell that knows nothing of this site.
        clean_env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        seeded = subprocess.run(
            ["sh", "-c", command.group(1)], env=clean_env, capture_output=True, text=True
        )
        assert seeded.returncode == 0, seeded.stderr
        login = requests.post(
            f"{base}/api/v1/auth/login",
            json={"login": "student@demo.school", "password": "demo-password-1"},
            timeout=10,
        )
        assert login.status_code == 200, login.text
        assert stop_with_ctrl_c(proc) == []
    finally:
        kill(proc)
        out.close()


def _connections_by_process(web: list[psutil.Process], port: int) -> dict[int, int]:
    return {
        p.pid: sum(
            1
            for c in p.net_connections("tcp")
            if c.status == "ESTABLISHED" and c.laddr.port == port
        )
        for p in web
    }


@pytest.mark.slow
def test_socketio_reaches_clients_on_every_web_process(tmp_path: Path) -> None:
    """WebSocket clients spread over two processes all get an emit sent from another process."""
    import socketio

    port = free_port()
    instance = tmp_path / "instance"
    launcher = [sys.executable, "-m", "lms.launcher"]
    proc = start_site(instance, port, command=launcher, env={"LMS_WEB_WORKERS": "2"})
    base = f"http://127.0.0.1:{port}"
    clients: list[socketio.Client] = []
    received: list[int] = []
    lock = threading.Lock()
    try:
        wait_for_health(f"{base}/health", proc, timeout=180)
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "create-admin",
             "--email", "ada@school.example.com", "--password", "a-long-enough-password-1",
             "--name", "Ada Admin"],
            env={**os.environ, "LMS_INSTANCE_PATH": str(instance)},
            cwd=PROJECT_ROOT, check=True, capture_output=True,
        )  # fmt: skip
        signed_in = requests.post(
            f"{base}/api/v1/auth/login",
            json={"login": "ada@school.example.com", "password": "a-long-enough-password-1"},
            timeout=10,
        ).json()
        token, user_id = signed_in["token"], signed_in["user"]["id"]
        web = [
            p
            for p in psutil.Process(proc.pid).children(recursive=True)
            if "gunicorn" in " ".join(p.cmdline()) and p.parent().pid != proc.pid
        ]
        assert len(web) == 2
        # Connect until both processes hold clients (the kernel picks the process).
        while len(clients) < 40 and 0 in _connections_by_process(web, port).values():
            sio = socketio.Client(reconnection=False)

            def on_hello(_data: object, n: int = len(clients)) -> None:
                with lock:
                    received.append(n)

            sio.on("hello", on_hello)
            sio.connect(base, auth={"token": token}, transports=["websocket"], wait_timeout=10)
            clients.append(sio)
        assert 0 not in _connections_by_process(web, port).values()
        # Emit from this process through the site's Redis, as a worker does.
        manager = socketio.RedisManager(
            f"unix://{instance / 'redis.sock'}", channel="lms-socketio", write_only=True
        )
        manager.emit("hello", {"n": 1}, room=f"user:{user_id}", namespace="/")
        deadline = time.monotonic() + 10
        while len(received) < len(clients) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted(received) == list(range(len(clients)))
    finally:
        for sio in clients:
            sio.disconnect()
        kill(proc)


@pytest.mark.slow
def test_two_copies_run_side_by_side(tmp_path: Path) -> None:
    """A second school on the same machine: its own instance folder and port."""
    ports = [free_port(), free_port()]
    # The supervisor `make run` starts, called directly: two makes at once
    # would race to refresh the same virtualenv if requirements had changed.
    launcher = [sys.executable, "-m", "lms.launcher"]
    procs = [
        start_site(tmp_path / f"school{i}", port, command=launcher) for i, port in enumerate(ports)
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
            kill(proc)
