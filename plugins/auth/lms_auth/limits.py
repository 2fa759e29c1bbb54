"""Rate limits on the doors people knock on: per IP and per account, counted in Redis.

Counters live in the core's Flask-Limiter storage (Redis), so every web
process shares them. Sign-in limits count failures only: a person who signs
in successfully many times is not an attacker, and a locked account cannot be
unlocked by guessing right. Each limit reads its rate from configuration at
request time (AUTH_*_LIMIT keys), so a school can tune them without code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from lms.extensions import limiter


def count_this_request() -> None:
    """Mark the request as one that the conditional limits should count."""
    g.auth_limit_hit = True


def _counted(_response: Any) -> bool:
    return bool(g.get("auth_limit_hit"))


def _submitted(name: str) -> str:
    """The value of a form field or JSON member, whichever the request carries."""
    if request.is_json:
        body = request.get_json(silent=True)
        value = body.get(name) if isinstance(body, dict) else None
    else:
        value = request.form.get(name)
    return value.strip().lower()[:254] if isinstance(value, str) else ""


def login_account_key() -> str:
    """Key sign-in failures on the account, whether it was named by e-mail or username."""
    from lms_auth.services import find_user_by_login

    login = _submitted("login")
    if not login or "\x00" in login:
        return "login:-"
    user = find_user_by_login(login)
    return f"user:{user.id}" if user else f"login:{login}"


def email_key() -> str:
    return "email:" + (_submitted("email") or "-")


def _config(key: str) -> Callable[[], str]:
    return lambda: current_app.config[key]


def _limit(
    config_key: str, scope: str, key_func: Callable[[], str], methods: list[str] | None = None
) -> Any:
    return limiter.shared_limit(
        _config(config_key),
        scope=scope,
        key_func=key_func,
        methods=methods or ["POST"],
        deduct_when=_counted,
    )


# Decorators for views. Form and API share each scope, so both doors count together.
login_per_ip = _limit("AUTH_LOGIN_LIMIT_IP", "auth-login-ip", get_remote_address)
login_per_account = _limit("AUTH_LOGIN_LIMIT_ACCOUNT", "auth-login-account", login_account_key)
register_per_ip = _limit("AUTH_REGISTER_LIMIT_IP", "auth-register-ip", get_remote_address)
register_per_email = _limit("AUTH_REGISTER_LIMIT_ACCOUNT", "auth-register-email", email_key)
forgot_per_ip = _limit("AUTH_FORGOT_LIMIT_IP", "auth-forgot-ip", get_remote_address)
forgot_per_email = _limit("AUTH_FORGOT_LIMIT_ACCOUNT", "auth-forgot-email", email_key)
# Guessing reset/verification links (opened with GET from mails), and minting tokens.
token_per_ip = _limit(
    "AUTH_TOKEN_LIMIT_IP", "auth-token-ip", get_remote_address, methods=["GET", "POST"]
)


def _user_key() -> str:
    from flask_login import current_user

    return f"user:{current_user.id}" if current_user.is_authenticated else "user:-"


token_per_user = _limit("AUTH_TOKEN_LIMIT_ACCOUNT", "auth-token-user", _user_key)
