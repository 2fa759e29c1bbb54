"""Bearer tokens: the core asks the registered loaders (the auth plugin adds one)."""

from __future__ import annotations

from typing import Any

from flask import Request

from lms.state import lms_state


def bearer_token(req: Request) -> str | None:
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def user_from_token(token: str) -> Any:
    """Return the active user a token belongs to, or None."""
    for loader in lms_state().token_loaders:
        user = loader(token)
        if user is not None and user.is_active:
            return user
    return None
