"""Rate limits on the doors people knock on, counted in Redis and shared by every process.

Counters live in the core's Flask-Limiter storage (Redis). Limits per address
must let a whole school through one NAT address, so sign-in limits count
failures only, and an address's budget is large. Guessing is slowed by
smaller budgets per account and per (account, address). A device the owner
signed in on before (see `devices`) skips those and has a budget of its own:
a stranger's wrong guesses cannot lock the owner out. Each limit reads its rate
from configuration at request time (AUTH_*_LIMIT keys), so a school can tune
them without code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from lms.extensions import limiter
from lms.i18n import _
from lms.urls import external_url
from lms_auth import devices

F = TypeVar("F", bound=Callable[..., Any])


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


def _login_account() -> tuple[int | None, str]:
    """Return (account id or None, counter key) for the login this request names."""
    if "auth_login_account" not in g:
        from lms_auth.services import find_user_by_login

        login = _submitted("login")
        user = find_user_by_login(login) if login and "\x00" not in login else None
        if user is not None:
            g.auth_login_account = (user.id, f"user:{user.id}")
        else:
            g.auth_login_account = (None, f"login:{login or '-'}")
    return g.auth_login_account


def login_account_key() -> str:
    """Key sign-in failures on the account, whether it was named by e-mail or username."""
    return _login_account()[1]


def login_account_source_key() -> str:
    return f"{login_account_key()}|{get_remote_address()}"


def _known_device() -> str | None:
    return devices.cached_known_device(_login_account()[0])


def _from_known_device() -> bool:
    return _known_device() is not None


def _from_unknown_device() -> bool:
    return _known_device() is None


def login_device_key() -> str:
    return f"device:{_known_device()}"


def _throttled_message() -> str:
    return _(
        "Too many failed sign-ins. Wait a few minutes and try again, or choose a new "
        "password: %(url)s",
        url=external_url("auth.forgot_password"),
    )


def email_key() -> str:
    return "email:" + (_submitted("email") or "-")


def _config(key: str) -> Callable[[], str]:
    return lambda: current_app.config[key]


def _limit(
    config_key: str,
    scope: str,
    key_func: Callable[[], str],
    methods: list[str] | None = None,
    **options: Any,
) -> Any:
    return limiter.shared_limit(
        _config(config_key),
        scope=scope,
        key_func=key_func,
        methods=methods or ["POST"],
        deduct_when=_counted,
        **options,
    )


def _login_limit(config_key: str, scope: str, key_func: Callable[[], str], **options: Any) -> Any:
    return _limit(config_key, scope, key_func, error_message=_throttled_message, **options)


# Decorators for views. Form and API share each scope, so both doors count together.
_LOGIN_LIMITS = (
    # Unknown devices: per address (a school's budget), per account from one
    # address, and per account from anywhere (guessing spread over many addresses).
    _login_limit(
        "AUTH_LOGIN_LIMIT_IP", "auth-login-ip", get_remote_address, exempt_when=_from_known_device
    ),
    _login_limit(
        "AUTH_LOGIN_LIMIT_ACCOUNT_SOURCE",
        "auth-login-account-ip",
        login_account_source_key,
        exempt_when=_from_known_device,
    ),
    _login_limit(
        "AUTH_LOGIN_LIMIT_ACCOUNT",
        "auth-login-account",
        login_account_key,
        exempt_when=_from_known_device,
    ),
    # A device the account signed in on before: its own budget only.
    _login_limit(
        "AUTH_LOGIN_LIMIT_DEVICE",
        "auth-login-device",
        login_device_key,
        exempt_when=_from_unknown_device,
    ),
)


def login_limits(view: F) -> F:
    """Apply every sign-in limit to `view` (the sign-in page and the API's login)."""
    for limit in reversed(_LOGIN_LIMITS):
        view = limit(view)
    return view


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
