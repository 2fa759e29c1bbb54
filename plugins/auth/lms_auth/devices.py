"""Known devices (OWASP's "device cookie"): strangers' wrong guesses cannot lock the owner out.

Every successful sign-in hands the browser or app a signed token naming the
account: the `lms_device` cookie (HttpOnly, one year) and, in the JSON API's
answer, `device_token`. A sign-in attempt that presents a valid token for the
account it names (the cookie, or the `X-LMS-Device` header for API clients
without a cookie jar) is counted against that device's own failure budget, not
against the limits per address and per account that strangers can exhaust.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import after_this_request, current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE_NAME = "lms_device"
HEADER_NAME = "X-LMS-Device"
_SALT = "lms-auth-device"
_MAX_LENGTH = 300


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)  # type: ignore[arg-type]


def remember_device(user: Any) -> str:
    """Issue a device token for `user`, set it as a cookie on this response, return it."""
    token = _serializer().dumps({"u": user.id, "d": secrets.token_urlsafe(12)})
    max_age = current_app.config["AUTH_DEVICE_DAYS"] * 86400

    @after_this_request
    def _set_cookie(response: Any) -> Any:
        response.set_cookie(
            COOKIE_NAME,
            token,
            max_age=max_age,
            path="/",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            samesite="Lax",
        )
        return response

    return token


def presented_device() -> tuple[int, str] | None:
    """Return (user id, device id) of a valid device token on this request, or None."""
    raw = request.cookies.get(COOKIE_NAME) or request.headers.get(HEADER_NAME)
    if not raw or len(raw) > _MAX_LENGTH:
        return None
    try:
        data = _serializer().loads(raw, max_age=current_app.config["AUTH_DEVICE_DAYS"] * 86400)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    return data["u"], str(data.get("d", ""))


def known_device_id(account_id: int | None) -> str | None:
    """Return the device id if this request comes from a device `account_id` signed in on."""
    device = presented_device()
    if account_id is None or device is None or device[0] != account_id:
        return None
    return device[1]


def cached_known_device(account_id: int | None) -> str | None:
    """known_device_id(), computed once per request (several limits ask)."""
    if "auth_known_device" not in g:
        g.auth_known_device = known_device_id(account_id)
    return g.auth_known_device
