"""Test helpers: real Socket.IO clients of the /live namespace and the events they get."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import socketio

from lms.testing.plugin import DEFAULT_PASSWORD
from lms.testing.sockets import HandshakeAwareWebSocket

NS = "/live"


class LiveClient:
    """A python-socketio client in one class, remembering every event it receives."""

    def __init__(self, url: str, class_id: int, *, token: str | None = None,
                 cookie: str | None = None, reconnection: bool = False) -> None:  # fmt: skip
        self.events: list[tuple[str, Any]] = []
        self.changed = threading.Condition()
        self.sio = socketio.Client(
            reconnection=reconnection,
            reconnection_delay=0.2,
            reconnection_delay_max=0.5,
            websocket_extra_options={"class_": HandshakeAwareWebSocket},
        )
        self.sio.on("*", self._record, namespace=NS)
        self.refusal: Any = None
        self._beating = False
        self.sio.on("connect_error", self._refused, namespace=NS)
        auth: dict[str, Any] = {"class_id": class_id}
        if token:
            auth["token"] = token
        try:
            self.sio.connect(
                url,
                headers={"Cookie": cookie} if cookie else {},
                auth=auth,
                namespaces=[NS],
                transports=["websocket"],
                wait_timeout=5,
            )
        except socketio.exceptions.ConnectionError as exc:
            # The server's reason (e.g. "not enrolled") comes in the namespace's connect_error.
            reason = self.refusal.get("message") if isinstance(self.refusal, dict) else None
            raise socketio.exceptions.ConnectionError(reason or str(exc)) from exc

    def _refused(self, data: Any = None) -> None:
        self.refusal = data

    def _record(self, event: str, data: Any = None) -> None:
        with self.changed:
            self.events.append((event, data))
            self.changed.notify_all()

    def call(self, event: str, data: Any = None) -> Any:
        return self.sio.call(event, data, namespace=NS, timeout=10)

    def wait_for(self, event: str, check: Any = None, timeout: float = 10) -> Any:
        """The first `event` received (so far or within `timeout`) whose data passes `check`."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for name, data in self.events:
                    if name == event and (check is None or check(data)):
                        return data
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {event!r} event; got {self.events}")
                self.changed.wait(left)

    def beat(self, every: float) -> None:
        """Send heartbeats in the background while connected, as the room page does."""
        self._beating = True

        def run() -> None:
            while self._beating:
                if self.sio.connected:
                    with contextlib.suppress(socketio.exceptions.SocketIOError):  # reconnecting
                        self.sio.emit("heartbeat", namespace=NS)
                time.sleep(every)

        threading.Thread(target=run, daemon=True).start()

    def close(self) -> None:
        self._beating = False
        self.sio.disconnect()


def api_token(app: Any, user: Any) -> str:
    r = app.test_client().post(
        "/api/v1/auth/login", json={"login": user.email, "password": DEFAULT_PASSWORD}
    )
    assert r.status_code == 200, r.json
    return r.json["token"]


def wait_until(predicate: Any, timeout: float = 10, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
