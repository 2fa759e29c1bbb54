"""`make run`: the site, one worker and (by default) an embedded Redis, in the foreground.

Ctrl-C (SIGINT) or SIGTERM stops all of them and leaves no process behind.
Children run in their own sessions so that the terminal's Ctrl-C reaches only
this supervisor, which then stops them in order: web, worker, Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from flask import Config

from lms.config import PROJECT_ROOT, load_config, resolve_instance_path
from lms.redis_store import EmbeddedRedis

STOP_TIMEOUT = 10


def _python() -> str:
    return sys.executable


class Supervisor:
    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.redis: EmbeddedRedis | None = None
        self.stopping = False

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(args, env=env, cwd=PROJECT_ROOT, start_new_session=True)
        self.children.append((name, proc))
        return proc

    def stop(self, *_args: object) -> None:
        if self.stopping:
            return
        self.stopping = True
        print("\nStopping the site, the worker and Redis...", flush=True)
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for _name, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self.redis is not None:
            self.redis.stop()

    def run(self) -> int:
        config = Config(str(PROJECT_ROOT))
        load_config(config)
        instance = resolve_instance_path(config)
        env = dict(os.environ, LMS_INSTANCE_PATH=str(instance))
        host = os.environ.get("HOST", "127.0.0.1")
        port = os.environ.get("PORT", "5000")

        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        try:
            if not config.get("REDIS_URL"):
                self.redis = EmbeddedRedis(instance)
                self.redis.start()
                env["REDIS_URL"] = self.redis.url
                print(f"Embedded Redis on {self.redis.socket}", flush=True)
            upgrade = subprocess.run(
                [_python(), "-m", "flask", "--app", "wsgi", "lms", "upgrade"],
                env=env,
                cwd=PROJECT_ROOT,
                check=False,
            )
            if upgrade.returncode != 0:
                print("The database upgrade failed; see the messages above.", file=sys.stderr)
                return upgrade.returncode
            self.spawn("worker", [_python(), "worker.py"], env)
            # One gevent worker serves pages and Socket.IO; see README "Production"
            # for the split into sync page workers and a Socket.IO process.
            web_env = dict(env, SOCKETIO_ASYNC_MODE="gevent")
            self.spawn(
                "web",
                [
                    _python(),
                    "-m",
                    "gunicorn",
                    "wsgi:app",
                    "--worker-class",
                    "gevent",
                    "--workers",
                    "1",
                    "--bind",
                    f"{host}:{port}",
                    "--graceful-timeout",
                    "5",
                    "--access-logfile",
                    "-",
                ],
                web_env,
            )
            _banner(host, port, instance)
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


def _banner(host: str, port: str, instance: Path) -> None:
    url = f"http://{host}:{port}"
    print(
        f"""
  The school site is starting on {url}
  - First start: open {url}/setup to create the school and its admin account.
  - Demo school: in another terminal run
        .venv/bin/flask --app wsgi lms seed-demo
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
