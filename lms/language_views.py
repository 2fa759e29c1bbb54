"""The language menu: visitors pick a language by link, signed-in people by a form.

A visitor's choice is a cookie (no session is started just to browse); a
signed-in person's is saved on their account, so it follows them to every
device and to the mails they get.
"""

from __future__ import annotations

from flask import Response, abort, redirect, request, url_for
from flask_login import current_user

from lms.extensions import db
from lms.i18n import LANGUAGE_COOKIE, LANGUAGES
from lms.urls import safe_next
from lms.views import bp

YEAR = 365 * 24 * 3600


def _back(code: str) -> Response:
    target = safe_next(request.values.get("next")) or url_for("core.home")
    response = redirect(target)
    response.set_cookie(
        LANGUAGE_COOKIE, code, max_age=YEAR, samesite="Lax", secure=request.is_secure
    )
    return response


@bp.route("/language/<code>")
def choose_language(code: str) -> Response:
    """A visitor's choice from the footer's menu."""
    if code not in LANGUAGES:
        abort(404)
    return _back(code)


@bp.route("/language", methods=["POST"])
def save_language() -> Response:
    """A signed-in person's choice (CSRF-checked like every form); visitors' too."""
    code = request.form.get("language", "")
    if code not in LANGUAGES:
        abort(400)
    if current_user.is_authenticated:
        current_user.language = code
        db.session.commit()
    return _back(code)
