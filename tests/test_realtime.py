"""Real time: authenticated Socket.IO over a real websocket, emit() through Redis."""

from __future__ import annotations

import threading

import pytest
import socketio

from lms.realtime import AuthenticatedNamespace, emit
from lms.testing.plugin import DEFAULT_PASSWORD, session_cookie

WHOAMI = "/test-whoami"


class WhoAmINamespace(AuthenticatedNamespace):
    """An event handler that answers with the connection's user, as a plugin's would."""

    def on_whoami(self, _data=None):
        from flask_login import current_user

        if not current_user.is_authenticated:
            return {"user": None}
        return {"user": current_user.id}


def _listen(sio, event: str) -> tuple[threading.Event, list]:
    received: list = []
    arrived = threading.Event()

    def handler(data):
        received.append(data)
        arrived.set()

    sio.on(event, handler)
    return arrived, received


@pytest.fixture
def worker_app(test_config):
    """A second app, built the way worker.py builds one in another process."""
    from lms.app import create_app
    from lms.extensions import db

    other = create_app(dict(test_config))
    yield other
    with other.app_context():
        db.engine.dispose()


def test_anonymous_connection_is_refused(socket_connect):
    with pytest.raises(socketio.exceptions.ConnectionError):
        socket_connect()


def test_connection_with_a_forged_session_cookie_is_refused(socket_connect):
    with pytest.raises(socketio.exceptions.ConnectionError):
        socket_connect(cookie="session=eyJfdXNlcl9pZCI6IjEuYWJjIn0.forged.sig")


def test_connection_with_an_unknown_token_is_refused(socket_connect):
    with pytest.raises(socketio.exceptions.ConnectionError):
        socket_connect(token="not-a-real-token")


def test_logged_in_user_connects_and_receives_events_emitted_by_a_worker(
    app, worker_app, client, make_client, create_user, login_as, socket_connect
):
    alice = create_user(name="Alice")
    bob = create_user(name="Bob")
    login_as(client, alice)
    client.get("/notifications")  # a page view, so the session cookie is issued
    bob_client = make_client()
    login_as(bob_client, bob)
    bob_client.get("/notifications")

    alice_sio = socket_connect(cookie=session_cookie(client, app))
    bob_sio = socket_connect(cookie=session_cookie(bob_client, app))
    assert alice_sio.connected and bob_sio.connected
    alice_got, alice_events = _listen(alice_sio, "notification")
    bob_got, bob_events = _listen(bob_sio, "notification")

    # From another app (as a worker process would), through the Redis queue.
    with worker_app.app_context():
        emit("notification", {"id": 1, "title": "Graded", "link": "/x"}, user_id=alice.id)

    assert alice_got.wait(5), "the event did not reach the connected user"
    assert alice_events == [{"id": 1, "title": "Graded", "link": "/x"}]
    # Bob is connected too, but the event was Alice's.
    assert not bob_got.wait(0.5)
    assert bob_events == []

    with worker_app.app_context():
        emit("notification", {"id": 2, "title": "For Bob"}, user_id=bob.id)
    assert bob_got.wait(5)
    assert bob_events == [{"id": 2, "title": "For Bob"}]
    assert len(alice_events) == 1


def test_all_tabs_of_a_user_receive_the_event(app, client, create_user, login_as, socket_connect):
    carol = create_user()
    login_as(client, carol)
    client.get("/notifications")
    cookie = session_cookie(client, app)
    tabs = [socket_connect(cookie=cookie) for _ in range(2)]
    waits = [_listen(tab, "task_progress") for tab in tabs]
    with app.app_context():
        emit("task_progress", {"task": 9, "progress": 40}, user_id=carol.id)
    for arrived, events in waits:
        assert arrived.wait(5)
        assert events == [{"task": 9, "progress": 40}]


def test_deactivated_user_cannot_connect(app, client, create_user, login_as, socket_connect):
    from lms.extensions import db
    from lms.models import User

    dan = create_user()
    login_as(client, dan)
    client.get("/notifications")
    cookie = session_cookie(client, app)
    with app.app_context():
        db.session.get(User, dan.id).is_deactivated = True
        db.session.commit()
    with pytest.raises(socketio.exceptions.ConnectionError):
        socket_connect(cookie=cookie)


def test_emit_needs_exactly_one_target(app):
    with app.app_context():
        with pytest.raises(ValueError):
            emit("x", {})
        with pytest.raises(ValueError):
            emit("x", {}, user_id=1, room="course:1")


def test_emit_with_redis_down_does_not_fail_the_caller(tmp_path, test_config):
    """Real time is a courtesy: a request or job must not fail because Redis is down."""
    from lms.app import create_app
    from lms.extensions import db
    from lms.redis_store import EmbeddedRedis

    redis_server = EmbeddedRedis(tmp_path)
    redis_server.start()
    other = create_app(
        {**test_config, "REDIS_URL": redis_server.url, "LMS_INSTANCE_PATH": str(tmp_path)}
    )
    try:
        redis_server.stop()
        with other.app_context():
            emit("notification", {"id": 1}, user_id=1)  # logs, does not raise
    finally:
        redis_server.stop()
        with other.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def whoami_namespace(app):
    from lms.extensions import get_socketio

    get_socketio(app).on_namespace(WhoAmINamespace(WHOAMI))
    return WHOAMI


def _api_token(app, login, password=DEFAULT_PASSWORD):
    r = app.test_client().post("/api/v1/auth/login", json={"login": login, "password": password})
    assert r.status_code == 200, r.json
    return r.json["token"]


def test_token_connection_is_still_its_user_in_later_event_handlers(
    app, create_user, socket_connect, whoami_namespace
):
    erin = create_user(username="erin")
    sio = socket_connect(token=_api_token(app, "erin"), namespace=whoami_namespace)
    # Two events: the user is not a leftover of the connect handler's context.
    assert sio.call("whoami", namespace=whoami_namespace, timeout=5) == {"user": erin.id}
    assert sio.call("whoami", namespace=whoami_namespace, timeout=5) == {"user": erin.id}


def test_bearer_header_connection_is_still_its_user_in_event_handlers(
    app, live_server, create_user, whoami_namespace
):
    fay = create_user(username="fay")
    sio = socketio.Client(reconnection=False)
    sio.connect(
        live_server.url,
        headers={"Authorization": f"Bearer {_api_token(app, 'fay')}"},
        namespaces=[whoami_namespace],
        transports=["websocket"],
        wait_timeout=5,
    )
    try:
        assert sio.call("whoami", namespace=whoami_namespace, timeout=5) == {"user": fay.id}
    finally:
        sio.disconnect()


def test_cookie_connection_is_its_user_in_event_handlers(
    app, client, create_user, login_as, socket_connect, whoami_namespace
):
    gus = create_user()
    login_as(client, gus)
    client.get("/notifications")
    sio = socket_connect(cookie=session_cookie(client, app), namespace=whoami_namespace)
    assert sio.call("whoami", namespace=whoami_namespace, timeout=5) == {"user": gus.id}


def test_a_user_deactivated_after_connecting_is_anonymous_in_later_events(
    app, create_user, socket_connect, whoami_namespace
):
    from lms.extensions import db
    from lms.models import User

    hal = create_user(username="hal")
    sio = socket_connect(token=_api_token(app, "hal"), namespace=whoami_namespace)
    with app.app_context():
        db.session.get(User, hal.id).is_deactivated = True
        db.session.commit()
    assert sio.call("whoami", namespace=whoami_namespace, timeout=5) == {"user": None}


def test_a_connection_whose_browser_signed_out_is_anonymous_in_later_events(
    app, make_client, create_user, socket_connect, whoami_namespace
):
    ida = create_user(username="ida")
    browsers = [make_client(), make_client()]
    sockets = []
    for browser in browsers:
        r = browser.submit("/auth/login", {"login": "ida", "password": DEFAULT_PASSWORD})
        assert r.status_code == 302
        sockets.append(
            socket_connect(cookie=session_cookie(browser, app), namespace=whoami_namespace)
        )
    browsers[0].submit("/auth/logout", {})
    # The signed-out browser's open connection is no one; the other browser's is still Ida.
    assert sockets[0].call("whoami", namespace=whoami_namespace, timeout=5) == {"user": None}
    assert sockets[1].call("whoami", namespace=whoami_namespace, timeout=5) == {"user": ida.id}


def test_a_connection_whose_token_was_revoked_is_anonymous_in_later_events(
    app, client, create_user, socket_connect, whoami_namespace
):
    create_user(username="jo")
    token = _api_token(app, "jo")
    sio = socket_connect(token=token, namespace=whoami_namespace)
    assert client.api("POST", "/api/v1/auth/logout", token=token).status_code == 200
    assert sio.call("whoami", namespace=whoami_namespace, timeout=5) == {"user": None}
