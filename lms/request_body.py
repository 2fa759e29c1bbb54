"""Read a request's body before any database work, so no lock is held while it trickles in.

A request that changes something (POST, PUT, PATCH, DELETE) takes SQLite's
write lock at its first query, often while loading the signed-in user. Were
the body still arriving then, a slow client would hold the lock for everyone.
So the first thing such a request does is receive its body completely: forms
are parsed (Werkzeug spools large uploads to temporary files), anything else
is read into memory (bounded by MAX_CONTENT_LENGTH).

A view that must stream a large body itself (a future resumable upload)
opts out with `@streams_request_body` and must then read the body before it
touches the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_FORM_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}

F = TypeVar("F", bound=Callable[..., object])


def streams_request_body(view: F) -> F:
    """Mark `view` as reading its request body itself (not received up front)."""
    view.streams_request_body = True  # type: ignore[attr-defined]
    return view


def body_is_streamed() -> bool:
    """Say whether this request's view reads the body itself (``@streams_request_body``)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return view is not None and getattr(view, "streams_request_body", False)


def receive_body() -> None:
    """Receive the whole body of an unsafe request now (a before_request handler)."""
    if request.method in _SAFE_METHODS or body_is_streamed():
        return
    if request.mimetype in _FORM_TYPES:
        _ = request.form  # parses the body; files are spooled to disk
    else:
        request.get_data(cache=True)


def init_request_body(app: Flask) -> None:
    """Make `receive_body` the first before_request handler of `app`."""
    app.before_request_funcs.setdefault(None, []).insert(0, receive_body)
