"""Real Socket.IO clients for tests, which connect, get refused and close without waiting.

Why a refused or closed client used to cost 3 s: python-engineio's client keeps
a thread blocked in ``recv()`` on the WebSocket. On disconnect (which
python-socketio also does when the server refuses a namespace) it calls
websocket-client's ``WebSocket.close()``, which sends the close frame and then
reads the socket itself until the server's close frame arrives, for at most
3 s. The server answers within milliseconds, but the reader thread nearly
always takes that frame, so ``close()`` waited out its whole timeout.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import websocket

from lms.testing.servers import LiveServer


class HandshakeAwareWebSocket(websocket.WebSocket):
    """A WebSocket whose close() notices a close frame taken by another thread's recv()."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._peer_closed = threading.Event()
        self._readers: set[int] = set()

    def recv_frame(self) -> Any:
        """Read one frame, remembering whether it was the peer's close frame."""
        me = threading.get_ident()
        self._readers.add(me)
        try:
            frame = super().recv_frame()
        finally:
            self._readers.discard(me)
        if frame is not None and frame.opcode == websocket.ABNF.OPCODE_CLOSE:
            self._peer_closed.set()
        return frame

    def close(
        self, status: int = websocket.STATUS_NORMAL, reason: bytes = b"", timeout: float = 3
    ) -> None:
        """Close the handshake's way: send our close frame, await the peer's, shut down."""
        others_reading = bool(self._readers - {threading.get_ident()})
        if not self.connected or not others_reading:
            # Nobody else reads: websocket-client's close() reads the reply itself.
            super().close(status, reason, timeout)
            return
        try:
            self.send_close(status, reason)
            self._peer_closed.wait(timeout)
            if self.sock is not None:
                self.sock.shutdown(socket.SHUT_RDWR)  # wakes a reader still blocked in recv()
        except (OSError, websocket.WebSocketException):
            pass  # the peer is gone already
        self.shutdown()


def socketio_connect(
    server: LiveServer, *, cookie: str | None = None, token: str | None = None, namespace: str = "/"
) -> Any:
    """Open a real Socket.IO connection to the live server; raise ConnectionError if refused."""
    import socketio

    sio = socketio.Client(
        reconnection=False, websocket_extra_options={"class_": HandshakeAwareWebSocket}
    )
    headers = {"Cookie": cookie} if cookie else {}
    sio.connect(
        server.url,
        headers=headers,
        auth={"token": token} if token else None,
        namespaces=[namespace],
        transports=["websocket"],
        wait_timeout=5,
    )
    return sio
