"""Benchmark: live-class seats across two web processes, and a roster broadcast to 1,000 clients.

    .venv/bin/python bench/live.py            (or `make bench`)

1. Two web processes, each its own gunicorn with the gevent worker `make run`
   uses, sharing Redis and the database. 500 students' Socket.IO clients
   (half on each process) join one class of 30 seats at the same moment:
   prints ``admitted=`` (must be 30), ``waitlisted=`` (470), whether the
   waitlist is in arrival order, and the p50/p99 time to an answer.
2. The 30 admitted leave at once: exactly the next 30 of the waitlist must be
   offered a seat: ``handoff_correct=true|false``.
3. One process holding 1,000 connected clients (staff tabs of another class):
   ``clients=``, the process's RSS and the delivery p99 of a roster update,
   next to a bare python-socketio server (same gunicorn worker class) sending
   the same payload to 1,000 clients in the same run: ``broadcast_p99_ratio=``
   (target <= 2).

Everything is on loopback and bounded in time (BENCH_LIVE_TIMEOUT, 600 s).
Environment: BENCH_LIVE_STUDENTS (500), BENCH_LIVE_SEATS (30), BENCH_LIVE_WATCHERS
(1000), BENCH_LIVE_ROUNDS (20), REDIS_URL (default: an embedded Redis).
"""

# The clients are greenlets: 1,500 python-socketio clients in one process.
from gevent import monkey

monkey.patch_all()

import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
import gevent.pool  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STUDENTS = int(os.environ.get("BENCH_LIVE_STUDENTS", "500"))
SEATS = int(os.environ.get("BENCH_LIVE_SEATS", "30"))
WATCHERS = int(os.environ.get("BENCH_LIVE_WATCHERS", "1000"))
ROUNDS = int(os.environ.get("BENCH_LIVE_ROUNDS", "20"))
TIMEOUT = float(os.environ.get("BENCH_LIVE_TIMEOUT", "600"))
NS = "/live"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the bare baseline: python-socketio alone, under the same gunicorn worker class -----------


def bare_app() -> Any:
    """A python-socketio server: every client joins one room; "broadcast" sends to it."""
    import socketio

    sio = socketio.Server(async_mode="gevent")

    @sio.event
    def connect(sid: str, environ: dict, auth: Any = None) -> None:
        sio.enter_room(sid, "staff")

    @sio.event
    def broadcast(sid: str, payload: dict) -> None:
        payload["sent_at"] = time.time()
        sio.emit("roster", payload, to="staff")

    return socketio.WSGIApp(sio)


# --- the school: students, a course, two live classes, tokens -----------------------------------


def seed(env: dict[str, str]) -> dict[str, Any]:
    os.environ.update(env)
    from lms_auth.services import issue_api_token
    from lms_catalog import Enrollment, services
    from lms_live_classes import scheduling
    from sqlalchemy import insert

    from lms.app import create_app
    from lms.db import write_now
    from lms.extensions import db
    from lms.migrations import upgrade_all
    from lms.models import Role, User, utcnow
    from lms.settings import set_setting

    app = create_app()
    with app.app_context():
        upgrade_all(app, echo=lambda _m: None)
        with app.test_request_context(), write_now():
            set_setting("core", "setup_done", True)
            set_setting("live_classes", "room_provider", "none")
        admin = User(email="admin@bench.test", name="Admin", role=Role.ADMIN)
        teacher = User(email="teacher@bench.test", name="Teacher", role=Role.INSTRUCTOR)
        students = [
            User(email=f"s{i}@bench.test", name=f"Student {i:04d}") for i in range(STUDENTS)
        ]
        db.session.add_all([admin, teacher, *students])
        db.session.flush()
        course = services.create_course(teacher, {"title": "Live bench", "description_md": "x"})
        services.submit_for_review(course, teacher)
        services.approve(course, admin)
        now = utcnow()
        db.session.execute(
            insert(Enrollment),
            [{"user_id": s.id, "course_id": course.id, "enrolled_at": now, "progress": 0,
              "status": "active"} for s in students],
        )  # fmt: skip
        classes = []
        for title in ("Seats", "Broadcast"):
            data = {"title": title, "description": "", "duration_minutes": 120, "seats": SEATS,
                    "starts_at": now + __import__("datetime").timedelta(minutes=5),
                    "lesson_id": None}  # fmt: skip
            live_class = scheduling.create_class(course, teacher, data)
            scheduling.start_class(live_class, teacher)
            classes.append(live_class.id)
        teacher_token = issue_api_token(teacher, "bench")[0]
        tokens = [issue_api_token(s, "bench")[0] for s in students]
        ids = [s.id for s in students]
        db.session.commit()
        db.engine.dispose()
    return {"classes": classes, "teacher": teacher_token, "tokens": tokens, "ids": ids}


# --- servers --------------------------------------------------------------------------------------


def serve(target: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    from lms.launcher import gunicorn_command

    cmd = gunicorn_command("127.0.0.1", str(port), 1)
    cmd[cmd.index("wsgi:app")] = target
    # gunicorn's gevent worker accepts 1,000 connections by default: room for the 1,000 clients.
    cmd += ["--worker-connections", "4000"]
    return subprocess.Popen(
        cmd, cwd=ROOT, env={**os.environ, **env, "SOCKETIO_ASYNC_MODE": "gevent"},
        start_new_session=True,
    )  # fmt: skip


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def worker_of(master: subprocess.Popen[bytes]) -> Any:
    import psutil

    children = psutil.Process(master.pid).children()
    return children[0] if children else psutil.Process(master.pid)


# --- clients --------------------------------------------------------------------------------------


class Client:
    def __init__(self, url: str, *, token: str | None, class_id: int | None,
                 namespace: str | None = NS) -> None:  # fmt: skip
        import socketio

        self.sio = socketio.Client(reconnection=False)
        self.events: list[tuple[str, Any, float]] = []
        self.namespace = namespace or "/"
        self.sio.on("*", self._record, namespace=self.namespace)
        auth: dict[str, Any] = {}
        if token:
            auth["token"] = token
        if class_id:
            auth["class_id"] = class_id
        self.sio.connect(url, auth=auth or None, namespaces=[self.namespace],
                         transports=["websocket"], wait_timeout=30)  # fmt: skip
        # A client gives up when nothing was sent for ping interval + 5 s. 1,500 clients
        # in one process on a busy machine answer pings late: do not drop them for it.
        self.sio.eio.ping_interval = 300
        # Its sender already waits with the old limit: a no-op packet starts a new wait.
        from engineio import packet

        self.sio.eio._send_packet(packet.Packet(packet.NOOP))

    def _record(self, event: str, data: Any = None) -> None:
        self.events.append((event, data, time.time()))

    def call(self, event: str, data: Any = None) -> Any:
        return self.sio.call(event, data, namespace=self.namespace, timeout=60)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing anyway
            self.sio.disconnect()


def connect_all(factories: list[Any], concurrency: int = 20) -> list[Client]:
    pool = gevent.pool.Pool(concurrency)
    return list(pool.imap(lambda make: make(), factories))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- the phases ---------------------------------------------------------------------------


def seats_phase(urls: list[str], school: dict[str, Any], redis_url: str) -> None:
    import redis
    from lms_live_classes.seats import Seats

    class_id = school["classes"][0]
    tokens = school["tokens"]
    print(f"connecting {len(tokens)} students over {len(urls)} web processes ...", flush=True)
    clients = connect_all(
        [
            lambda i=i: Client(urls[i % len(urls)], token=tokens[i], class_id=class_id)
            for i in range(len(tokens))
        ]  # fmt: skip
    )
    go = gevent.event.Event()
    answers: list[Any] = [None] * len(clients)
    took: list[float] = [0.0] * len(clients)

    def join(i: int) -> None:
        go.wait()
        start = time.perf_counter()
        answers[i] = clients[i].call("join")
        took[i] = time.perf_counter() - start

    jobs = [gevent.spawn(join, i) for i in range(len(clients))]
    gevent.sleep(0.5)
    go.set()  # all at the same moment
    gevent.joinall(jobs, timeout=120, raise_error=True)
    admitted = [i for i, a in enumerate(answers) if a and a["state"] == "seated"]
    waiting = sorted(
        (a["position"], i) for i, a in enumerate(answers) if a and a["state"] == "waiting"
    )
    seats = Seats(redis.Redis.from_url(redis_url), class_id, SEATS)
    snap = seats.snapshot()
    by_position = [school["ids"][i] for _pos, i in waiting]
    in_order = [p for p, _i in waiting] == list(range(1, len(waiting) + 1)) and (
        snap.waitlist == by_position
    )
    print(f"admitted={len(admitted)}")
    print(f"waitlisted={len(waiting)}")
    print(f"waitlist_in_arrival_order={'true' if in_order else 'false'}")
    print(f"join_answer_p50_ms={statistics.median(took) * 1000:.1f}")
    print(f"join_answer_p99_ms={pct(took, 99) * 1000:.1f}", flush=True)

    # The 30 admitted leave at once: exactly the next 30 in line are offered a seat.
    expected = set(snap.waitlist[: len(admitted)])
    for c in clients:
        c.events.clear()
    go = gevent.event.Event()

    def leave(i: int) -> None:
        go.wait()
        clients[i].call("leave")

    jobs = [gevent.spawn(leave, i) for i in admitted]
    gevent.sleep(0.2)
    go.set()
    gevent.joinall(jobs, timeout=60, raise_error=True)
    offered: set[int] = set()
    deadline = time.monotonic() + 15
    index = {uid: i for i, uid in enumerate(school["ids"])}
    while time.monotonic() < deadline and len(offered) < len(expected):
        offered = {
            uid
            for uid in school["ids"]
            if any(e == "seat" and d.get("state") == "offered" for e, d, _t in
                   clients[index[uid]].events)
        }  # fmt: skip
        gevent.sleep(0.1)
    after = seats.snapshot()
    correct = offered == expected and set(after.offers) == expected and len(expected) == SEATS
    print(f"offered={len(offered)}")
    print(f"handoff_correct={'true' if correct else 'false'}", flush=True)
    for c in clients:
        c.close()
    gevent.sleep(2)  # the server sees them go


def broadcast_phase(url: str, bare_url: str, web: Any, school: dict[str, Any]) -> None:
    class_id = school["classes"][1]
    # A realistic roster: the class's 30 seats taken.
    seated = connect_all(
        [
            lambda i=i: Client(url, token=school["tokens"][i], class_id=class_id)
            for i in range(SEATS)
        ]  # fmt: skip
    )
    for c in seated:
        c.call("join")

    def heartbeats() -> None:  # as the room page does: they stay present and seated
        while True:
            gevent.sleep(10)
            for c in seated:
                if c.sio.connected:
                    c.sio.emit("heartbeat", namespace=NS)

    beating = gevent.spawn(heartbeats)
    print(f"connecting {WATCHERS} clients to one web process ...", flush=True)
    watchers = connect_all(
        [lambda: Client(url, token=school["teacher"], class_id=class_id)] * WATCHERS
    )
    connected = sum(1 for w in watchers if w.sio.connected)
    gevent.sleep(2)  # the roster updates of the arrivals go out
    rss = web.memory_info().rss
    print(f"clients={connected}")
    print(f"rss_mb={rss / 2**20:.0f}", flush=True)

    def rounds(trigger: Any, group: list[Client]) -> tuple[list[float], dict]:
        delays: list[float] = []
        payload: dict = {}
        for n in range(ROUNDS):
            for w in group:
                w.events.clear()
            trigger(n)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                live = [w for w in group if w.sio.connected]
                got = sum(1 for w in live if any(e == "roster" for e, _d, _t in w.events))
                if got == len(live):
                    break
                gevent.sleep(0.05)
            for w in group:
                for e, d, t in w.events:
                    if e == "roster":
                        delays.append(t - d["sent_at"])
                        payload = d
                        break
        return delays, payload

    hand = seated[0]
    ours, payload = rounds(lambda n: hand.call("hand", {"raised": n % 2 == 0}), watchers)
    beating.kill()
    for c in watchers + seated:
        c.close()
    print(f"connecting {WATCHERS} clients to the bare python-socketio server ...", flush=True)
    bare = connect_all(
        [lambda: Client(bare_url, token=None, class_id=None, namespace="/")] * WATCHERS
    )
    payload.pop("sent_at", None)
    bare_delays, _ = rounds(lambda n: bare[0].sio.emit("broadcast", dict(payload)), bare)
    for c in bare:
        c.close()
    ours_p99, bare_p99 = pct(ours, 99) * 1000, pct(bare_delays, 99) * 1000
    print(f"roster_deliveries={len(ours)} bare_deliveries={len(bare_delays)}")
    print(f"roster_payload_bytes={len(json.dumps(payload))}")
    print(
        f"broadcast_p50_ms={pct(ours, 50) * 1000:.1f} bare_p50_ms={pct(bare_delays, 50) * 1000:.1f}"
    )
    print(f"broadcast_p99_ms={ours_p99:.1f} bare_p99_ms={bare_p99:.1f}")
    print(f"broadcast_p99_ratio={ours_p99 / bare_p99:.2f}", flush=True)


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="lms-bench-live-"))
    redis_server = None
    env = {
        "LMS_ENV": "production",
        "SITE_URL": "http://127.0.0.1",
        "LMS_INSTANCE_PATH": str(workdir),
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL")
        or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "LMS_LOG_LEVEL": "WARNING",
        # Its own pub/sub channel: another site on the same Redis hears nothing of it.
        "SOCKETIO_CHANNEL": f"lms-bench-live-{os.getpid()}",
    }
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    else:
        from lms.redis_store import EmbeddedRedis

        redis_server = EmbeddedRedis(workdir)
        redis_server.start()
        env["REDIS_URL"] = redis_server.url
    servers: list[subprocess.Popen[bytes]] = []
    watchdog = gevent.spawn_later(TIMEOUT, lambda: os.kill(os.getpid(), signal.SIGTERM))
    try:
        print(f"seeding {STUDENTS} students ...", flush=True)
        school = seed(env)
        ports = [free_port(), free_port(), free_port()]
        servers = [serve("wsgi:app", env, ports[0]), serve("wsgi:app", env, ports[1]),
                   serve("bench.live:bare_app()", env, ports[2])]  # fmt: skip
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for url in urls[:2]:
            wait_for(f"{url}/health")
        wait_for(f"{urls[2]}/socket.io/?EIO=4&transport=polling")
        seats_phase(urls[:2], school, env["REDIS_URL"])
        broadcast_phase(urls[0], urls[2], worker_of(servers[0]), school)
    finally:
        watchdog.kill()
        for proc in servers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in servers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if redis_server is not None:
            redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    from lms.gunicorn_hooks import _quiet_finalizer_noise

    sys.unraisablehook = _quiet_finalizer_noise  # greenlets finalized at exit: not news
    main()
