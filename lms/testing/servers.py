"""Real servers on loopback for tests: the app itself, SMTP, S3 (moto)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    app: Flask
    host: str = "127.0.0.1"
    port: int = 0
    server: BaseWSGIServer | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        # Threaded Werkzeug with simple-websocket: enough for Socket.IO in
        # "threading" mode, which the test configuration selects.
        self.server = make_server(self.host, self.port, self.app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class SmtpSink:
    """An aiosmtpd server that keeps every message it receives."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[Message] = field(default_factory=list)
    controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                msg = message_from_bytes(envelope.original_content or envelope.content)
                msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
                sink.messages.append(msg)
                return "250 Message accepted"

        self.port = self.port or free_port()
        self.controller = Controller(Handler(), hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address.lower() in (m["To"] or "").lower()]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10) -> list[Message]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} mail(s) to {address}, got {len(self.to(address))}")


def text_part(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("message has no text/plain part")


def html_part(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("message has no text/html part")


@contextmanager
def moto_s3_server() -> Iterator[str]:
    """Run moto's S3-compatible HTTP server on loopback; yield its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


_LINK_RE = re.compile(r"https?://\S+")


def link_in(message: Message, path_part: str) -> str:
    """The first link in a mail's text part whose URL contains `path_part`.

    Also checks that the HTML part carries the same link: people read either.
    """
    for url in _LINK_RE.findall(text_part(message)):
        if path_part in url:
            assert url in html_part(message), "the HTML part carries the same link"
            return url
    raise AssertionError(f"no link containing {path_part!r} in:\n{text_part(message)}")


def path_of(url: str) -> str:
    """'http://localhost/auth/verify/x' -> '/auth/verify/x' (for the Flask test client)."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]
