"""What other plugins ask of accounts, through lms_auth's public API."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from lms.i18n import _l
from lms.permissions import login_required, wants_json

F = TypeVar("F", bound=Callable[..., Any])

UNVERIFIED_MESSAGE = _l("Confirm your e-mail address first: use the link we sent you.")


def has_verified_email(user: Any) -> bool:
    """True if `user` may post and pay: signed in, active and with a confirmed address."""
    return bool(
        getattr(user, "is_authenticated", False) and user.is_active and user.is_email_verified
    )


def verified_email_required(view: F) -> F:
    """Refuse people whose address is unconfirmed (community posts, paid enrolment).

    Pages redirect back with a message; API calls answer 403 with code
    "email_not_verified".
    """

    @functools.wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not has_verified_email(current_user):
            message = str(UNVERIFIED_MESSAGE)  # in the language of this request
            if wants_json():
                from lms.api import ApiError

                raise ApiError(403, message, code="email_not_verified")
            if request.method == "GET":
                abort(403, message)
            flash(message, "error")
            return redirect(request.referrer or url_for("core.home"))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
