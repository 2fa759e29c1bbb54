"""pytest plugin of the core: real services, an isolated database per test, factories.

Registered through the `pytest11` entry point, so every plugin's tests get
these fixtures. Services are real: the embedded Redis (or REDIS_URL), SQLite
(or TEST_DATABASE_URL, PostgreSQL in CI), a real worker, real servers on
loopback for HTTP, SMTP, S3 and Socket.IO, and headless Chromium.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from rq import Queue, SimpleWorker
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.exc import SAWarning

from lms.testing import processes, workers
from lms.testing.clients import FormClient
from lms.testing.servers import LiveServer, SmtpSink, moto_s3_server
from lms.testing.sockets import socketio_connect

DEFAULT_PASSWORD = "correct-horse-battery-staple"
CHROMIUM = os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


# --- services ---------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    """Give the processes this xdist worker's tests start (workers, servers) its channel."""
    if workers.worker_id():
        os.environ["SOCKETIO_CHANNEL"] = workers.socketio_channel()


@pytest.fixture(scope="session")
def lms_instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def redis_url(lms_instance: Path) -> Iterator[str]:
    """REDIS_URL (this xdist worker's database) when set, else an embedded Redis of our own."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield workers.redis_worker_url(url)
        return
    from lms.redis_store import EmbeddedRedis

    server = EmbeddedRedis(lms_instance)
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def database_url(lms_instance: Path) -> Iterator[str]:
    """TEST_DATABASE_URL (emptied; one database per xdist worker) when set, else SQLite."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{lms_instance / 'test.sqlite3'}"
        return
    url = workers.postgres_worker_url(base)
    if url == base:
        workers.reset_postgres_schema(url)
        yield url
        return
    workers.create_postgres_database(base, url)
    yield url
    workers.drop_postgres_database(base, url)


@pytest.fixture(scope="session")
def test_config(lms_instance: Path, redis_url: str, database_url: str) -> dict[str, Any]:
    return {
        "LMS_ENV": "testing",
        "LMS_INSTANCE_PATH": str(lms_instance),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SOCKETIO_ASYNC_MODE": "threading",
        "SOCKETIO_CHANNEL": workers.socketio_channel(),
        "MAIL_SERVER": None,
        # The test client's host: links in mails and API answers point at it.
        "SITE_URL": "http://localhost",
    }


@pytest.fixture(scope="session")
def app(test_config: dict[str, Any]) -> Iterator[Flask]:
    """The app with every installed plugin, its database migrated once."""
    from lms.app import create_app
    from lms.migrations import upgrade_all

    app = create_app(dict(test_config))
    with app.app_context():
        upgrade_all(app, echo=lambda _msg: None)
    yield app
    with app.app_context():
        from lms.extensions import db

        db.engine.dispose()


def clean_database(app: Flask) -> None:
    """Empty every table (keeping the schema and migration versions)."""
    from lms.extensions import db

    with app.app_context():
        db.session.remove()
        engine = db.engine
        names = [
            n for n in inspect(engine).get_table_names() if not n.startswith("alembic_version")
        ]
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                _empty_postgres_tables(conn, names)
            else:
                # Full-text (FTS5) tables keep their index in shadow tables
                # ("<name>_data", ...): emptying those directly corrupts the
                # index, so only the virtual table itself is emptied.
                virtual = [
                    row[0]
                    for row in conn.exec_driver_sql(
                        "SELECT name FROM sqlite_master "
                        "WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
                    )
                ]
                names = [n for n in names if not any(n.startswith(f"{v}_") for v in virtual)]
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                for name in names:
                    conn.exec_driver_sql(f'DELETE FROM "{name}"')
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")


_deletion_orders: dict[tuple[str, ...], list[str] | None] = {}


def _deletion_order(conn: Any, names: list[str]) -> list[str] | None:
    """Return `names` children first (None if foreign keys form a cycle); reflected once."""
    key = tuple(sorted(names))
    if key not in _deletion_orders:
        metadata = MetaData()
        metadata.reflect(conn, only=names)
        with warnings.catch_warnings():
            warnings.simplefilter("error", SAWarning)  # sorted_tables warns about cycles
            try:
                order = [t.name for t in reversed(metadata.sorted_tables)]
            except SAWarning:
                order = None
        _deletion_orders[key] = order
    return _deletion_orders[key]


def _empty_postgres_tables(conn: Any, names: list[str]) -> None:
    """Delete every row, children first, and restart the sequences that moved.

    A test writes a few rows to a few tables: DELETE empties them in
    milliseconds, where TRUNCATE costs tens of milliseconds per table, full or
    empty (new files for the table and its indexes): ~0.5 s a test.
    """
    if not names:
        return
    order = _deletion_order(conn, names)
    if order is None:
        quoted = ", ".join(f'"{n}"' for n in names)
        conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        return
    for name in order:
        conn.execute(text(f'DELETE FROM "{name}"'))
    conn.execute(
        text(
            "SELECT setval(format('%I', sequencename)::regclass, 1, false) FROM pg_sequences"
            " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
        )
    )


@pytest.fixture(autouse=True)
def _isolate_each_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Give every test that uses the app an empty database, Redis and mail folder."""
    yield
    if "app" not in request.fixturenames:
        return
    app: Flask = request.getfixturevalue("app")
    clean_database(app)
    from lms.cache import clear
    from lms.redis_store import get_redis

    clear(app)

    get_redis(app).flushdb()
    for folder in ("mail", "storage"):
        path = Path(app.instance_path) / folder
        if path.is_dir():
            import shutil

            shutil.rmtree(path, ignore_errors=True)
            path.mkdir()


# --- clients ------------------------------------------------------------------------


@pytest.fixture
def client(app: Flask) -> FormClient:
    app.test_client_class = FormClient
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def make_client(app: Flask) -> Callable[[], FormClient]:
    """Return a factory of independent clients (several people, several browsers)."""
    app.test_client_class = FormClient
    return lambda: app.test_client()  # type: ignore[return-value]


@pytest.fixture
def create_user(app: Flask) -> Callable[..., Any]:
    """Return a factory: create_user(role="instructor", email=..., password=...) -> User."""
    from lms.extensions import db
    from lms.models import Role, User, utcnow

    counter = itertools.count(1)

    def make(
        email: str | None = None,
        password: str = DEFAULT_PASSWORD,
        role: str = "student",
        name: str | None = None,
        username: str | None = None,
        verified: bool = True,
        **fields: Any,
    ) -> User:
        n = next(counter)
        with app.app_context():
            user = User(
                email=email or f"user{n}@example.org",
                username=username or f"user{n}",
                name=name or f"Test User {n}",
                role=Role(role),
                **fields,
            )
            user.set_password(password)
            if verified:
                user.email_verified_at = utcnow()
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


@pytest.fixture
def login_as(app: Flask) -> Callable[[FormClient, Any], FormClient]:
    """Sign `user` in on `client` directly: a new browser session, no login page."""
    from lms.extensions import db
    from lms.sessions import new_session_key

    def login(client: FormClient, user: Any) -> FormClient:
        with app.app_context():
            key = new_session_key(user.id)
            db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = f"{user.id}.{key}"
            session["_fresh"] = True
        return client

    return login


# --- the worker -----------------------------------------------------------------------


class JobRunner:
    """Runs queued jobs in this process with RQ's real worker loop (burst mode)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def queues(self, names: list[str] | None = None) -> list[Queue]:
        from lms.redis_store import get_redis

        names = names or self.app.config["LMS_QUEUES"]
        return [Queue(n, connection=get_redis(self.app), serializer=JSONSerializer) for n in names]

    def run(self, queues: list[str] | None = None, include_scheduled: bool = False) -> int:
        """Run every queued job (and, optionally, retries waiting for later); return how many."""
        from lms.redis_store import get_redis
        from lms.tasks import set_worker_app

        set_worker_app(self.app)
        qs = self.queues(queues)
        if include_scheduled:
            for q in qs:
                registry = ScheduledJobRegistry(queue=q)
                for job_id in registry.get_job_ids():
                    job = q.fetch_job(job_id)
                    registry.remove(job_id)
                    if job is not None:
                        q.enqueue_job(job)
        before = sum(q.count for q in qs)
        worker = SimpleWorker(qs, connection=get_redis(self.app), serializer=JSONSerializer)
        worker.work(burst=True, logging_level="WARNING")
        return before


@pytest.fixture
def worker(app: Flask) -> JobRunner:
    return JobRunner(app)


# --- real servers on loopback -----------------------------------------------------------


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(app: Flask) -> Iterator[SmtpSink]:
    """An SMTP server on loopback; the app sends its mail there during the test."""
    sink = SmtpSink()
    sink.start()
    saved = {
        k: app.config.get(k)
        for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME")
    }
    app.config.update(
        MAIL_SERVER=sink.host,
        MAIL_PORT=sink.port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_USERNAME=None,
    )
    yield sink
    app.config.update(saved)
    sink.stop()


@pytest.fixture
def start_process(
    test_config: dict[str, Any], tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Return start(command, **env) -> Popen: `command` run from the project folder on
    this test's database and Redis (lms.testing.processes.process_env), its output in
    the test's folder; killed with its children at the end of the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(command: list[str], **env: Any) -> subprocess.Popen[bytes]:
        log = tmp_path / f"process-{len(started)}.log"
        proc = processes.start(command, processes.process_env(test_config, **env), log)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            processes.kill_family(proc)


@pytest.fixture
def start_worker(
    start_process: Callable[..., subprocess.Popen[bytes]],
) -> Callable[..., subprocess.Popen[bytes]]:
    """Return start(*queues, **env) -> Popen of `python worker.py <queues>` (see start_process)."""

    def start(*queues: str, **env: Any) -> subprocess.Popen[bytes]:
        return start_process([sys.executable, "worker.py", *queues], **env)

    return start


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_s3_server() as url:
        yield url


@pytest.fixture
def s3_storage(s3_endpoint: str) -> Any:
    """An S3Storage talking to moto's S3 server over HTTP, with a fresh bucket."""
    import uuid

    from lms.storage import S3Storage

    storage = S3Storage(
        f"test-{uuid.uuid4().hex[:12]}",
        region="us-east-1",
        endpoint_url=s3_endpoint,
        access_key="testing",
        secret_key="testing",
        default_expiry=60,
        secret="s3-test-secret",
    )
    storage.client.create_bucket(Bucket=storage.bucket)
    return storage


@pytest.fixture
def socket_connect(live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """Return connect(cookie=..., token=..., namespace=...) -> socketio.Client; all closed after."""
    opened: list[Any] = []

    def connect(**kwargs: Any) -> Any:
        sio = socketio_connect(live_server, **kwargs)
        opened.append(sio)
        return sio

    yield connect
    for sio in opened:
        sio.disconnect()


def session_cookie(client: FormClient, app: Flask) -> str:
    """The 'Cookie' header value a browser holding `client`'s session would send."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    if cookie is None:
        raise AssertionError("the client has no session cookie")
    return f"{cookie.key}={cookie.value}"


# --- headless Chromium ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM}; `make setup` installs it")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(10000)
    pg = context.new_page()
    yield pg
    context.close()
