"""`make run`: the site, its workers and (by default) an embedded Redis, in the foreground.

The web server is gunicorn with one gevent worker per core (`LMS_WEB_WORKERS`
or `WEB_CONCURRENCY` to choose); each serves pages and Socket.IO. Browsers
connect to Socket.IO over WebSocket only, so a client never needs to come back
to the same process, and the Redis message queue carries emits between
processes. Two RQ workers run beside it: one for the `media` queue alone, so
a transcode never delays a mail, and one for every other queue.

The terminal stays quiet (the banner, warnings and errors); `make run V=1`
(`LMS_VERBOSE=1`) shows migrations, the access log and each job.

Ctrl-C (SIGINT) or SIGTERM stops all of them and leaves no process behind.
Children run in their own sessions so that the terminal's Ctrl-C reaches only
this supervisor, which then stops them in order: web, workers, Redis.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import psutil
from flask import Config

from lms.config import PROJECT_ROOT, load_config, resolve_instance_path
from lms.redis_store import EmbeddedRedis

STOP_TIMEOUT = 10


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


# Queues of each worker process: media alone, so a long transcode never holds up the rest.
WORKER_QUEUES = (["media"], ["mail", "default"])
# Settings a command in another terminal needs to reach this very site.
_INSTANCE_ENV = ("LMS_INSTANCE_PATH", "LMS_ENV", "DATABASE_URL", "REDIS_URL", "LMS_PLUGINS")


def _python() -> str:
    return sys.executable


def is_verbose() -> bool:
    """Return whether `make run V=1` (LMS_VERBOSE) asked for every log line."""
    return os.environ.get("LMS_VERBOSE", "").strip().lower() not in {"", "0", "false", "no"}


def web_workers() -> int:
    """Return how many web processes to run: LMS_WEB_WORKERS, WEB_CONCURRENCY, else the cores."""
    for name in ("LMS_WEB_WORKERS", "WEB_CONCURRENCY"):
        raw = os.environ.get(name, "").strip()
        if raw:
            try:
                count = int(raw)
            except ValueError:
                raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None
            if count < 1:
                raise SystemExit(f"{name} must be at least 1, not {count}")
            return count
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def gunicorn_command(host: str, port: str, workers: int, verbose: bool = False) -> list[str]:
    """Return the gunicorn command line of `make run`'s web server."""
    return [
        _python(),
        "-m",
        "gunicorn",
        "wsgi:app",
        "--worker-class",
        "gevent",
        "--workers",
        str(workers),
        "--bind",
        f"{host}:{port}",
        # No keep-alive: a client's next request is a new connection, which any
        # idle worker may accept, instead of staying queued on a busy one.
        # WebSocket connections (Socket.IO) are not affected.
        "--keep-alive",
        "0",
        "--graceful-timeout",
        "5",
        # Every Socket.IO client holds a connection for as long as it is on a
        # page: gunicorn's default of 1,000 per worker would turn a busy
        # school's live classes away.
        "--worker-connections",
        "4000",
        "--config",
        "python:lms.gunicorn_hooks",
        "--log-level",
        "info" if verbose else "warning",
        *(["--access-logfile", "-"] if verbose else []),
    ]


def site_url_for(host: str, port: str) -> str:
    """Return the address people reach the site on when it listens on host:port."""
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - recognising it, not binding
        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def seed_demo_command(env: dict[str, str]) -> str:
    """Return the shell command that fills THIS instance with the demo school."""
    settings = " ".join(
        f"{name}={shlex.quote(env[name])}" for name in _INSTANCE_ENV if env.get(name)
    )
    flask = shlex.quote(str(Path(_python()).with_name("flask")))
    return f"cd {shlex.quote(str(PROJECT_ROOT))} && {settings} {flask} --app wsgi lms seed-demo"


class Supervisor:
    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.redis: EmbeddedRedis | None = None
        self.stopping = False
        self.verbose = is_verbose()

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            args,
            env=env,
            cwd=PROJECT_ROOT,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            # Quiet: routine INFO lines go to stdout; warnings and errors to stderr.
            stdout=None if self.verbose else subprocess.DEVNULL,
        )
        self.children.append((name, proc))
        return proc

    def stop(self, *_args: object) -> None:
        if self.stopping:
            return
        self.stopping = True
        print("\nStopping the site, the workers and Redis...", flush=True)
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for _name, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                # The whole tree, not only the group: RQ's work horse (a job still
                # running) has a process group of its own and would outlive it.
                for child in _descendants(proc.pid):
                    with contextlib.suppress(psutil.Error):
                        child.kill()
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self.redis is not None:
            self.redis.stop()
        print("Stopped.", flush=True)

    def upgrade(self, env: dict[str, str]) -> int:
        """Migrate the database; show the migrations only when verbose or failing."""
        result = subprocess.run(
            [_python(), "-m", "flask", "--app", "wsgi", "lms", "upgrade"],
            env=env,
            cwd=PROJECT_ROOT,
            check=False,
            stdin=subprocess.DEVNULL,
            capture_output=not self.verbose,
            text=True,
        )
        if result.returncode != 0:
            if not self.verbose:
                sys.stderr.write(result.stdout + result.stderr)
            print("The database upgrade failed; see the messages above.", file=sys.stderr)
        return result.returncode

    def run(self) -> int:
        config = Config(str(PROJECT_ROOT))
        load_config(config)
        instance = resolve_instance_path(config)
        host = os.environ.get("HOST", "127.0.0.1")
        port = os.environ.get("PORT", "5000")
        env = dict(os.environ, LMS_INSTANCE_PATH=str(instance))
        env.setdefault("SITE_URL", config.get("SITE_URL") or site_url_for(host, port))
        if not self.verbose:
            # Routine INFO lines and libraries' deprecation notices are for
            # developers (V=1 shows them); warnings and errors still show.
            env.setdefault("LMS_LOG_LEVEL", "WARNING")
            env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning,ignore::UserWarning")
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.filterwarnings("ignore", category=UserWarning)
        workers = web_workers()

        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        try:
            if not config.get("REDIS_URL"):
                self.redis = EmbeddedRedis(instance)
                self.redis.start()
                env["REDIS_URL"] = self.redis.url
                if self.verbose:
                    print(f"Embedded Redis on {self.redis.socket}", flush=True)
            if self.upgrade(env) != 0:
                return 1
            for queues in WORKER_QUEUES:
                self.spawn(f"worker ({', '.join(queues)})", [_python(), "worker.py", *queues], env)
            web_env = dict(env, SOCKETIO_ASYNC_MODE="gevent")
            self.spawn("web", gunicorn_command(host, port, workers, self.verbose), web_env)
            seed_env = dict(env)
            if self.redis is not None:
                seed_env.pop("REDIS_URL")  # the instance folder leads to the embedded Redis
            _banner(env["SITE_URL"], instance, workers, seed_demo_command(seed_env))
            while not self.stopping:
                for name, proc in self.children:
                    if proc.poll() is not None and not self.stopping:
                        print(
                            f"The {name} process exited with code {proc.returncode}; "
                            "stopping everything.",
                            file=sys.stderr,
                            flush=True,
                        )
                        self.stop()
                        return proc.returncode or 1
                time.sleep(0.5)
            return 0
        finally:
            self.stop()


def _banner(url: str, instance: Path, workers: int, seed_command: str) -> None:
    print(
        f"""
  The school site is starting on {url}  ({workers} web process{"es" if workers > 1 else ""})
  - First start: open {url}/setup to create the school and its admin account.
  - Demo school: in another terminal run
        {seed_command}
    then sign in as admin@demo.school, amara.okafor@demo.school (instructor)
    or student@demo.school, with the password demo-password-1.
  - Health: {url}/health    API docs: {url}/api/docs
  - Data lives in {instance}. Stop with Ctrl-C.
""",
        flush=True,
    )


def main() -> None:
    sys.exit(Supervisor().run())


if __name__ == "__main__":
    main()
