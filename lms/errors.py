"""Errors: HTML pages for browsers, {"error": {code, message, fields?}} for the API."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, flash, jsonify, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from lms.i18n import _, _l
from lms.validation_messages import translate

log = logging.getLogger(__name__)

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

# Lazy: each is shown in the language of the request that fails.
FRIENDLY = {
    400: _l("The request could not be understood."),
    401: _l("You need to sign in to do that."),
    403: _l("You do not have permission to do that."),
    404: _l("We could not find that page."),
    405: _l("That action is not allowed here."),
    409: _l("That conflicts with something that already exists."),
    413: _l("That file or request is too large."),
    422: _l("Some of the values are not valid."),
    429: _l("Too many attempts. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. It has been logged."),
    503: _l("The site is temporarily unavailable. Please try again in a minute."),
}


class ApiError(HTTPException):
    """Raise from API views for a specific error code and message."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(description=str(message))  # a lazy `_l` string: now, in this language
        self.code = status
        self.error_code = code or ERROR_CODES.get(status, "error")
        self.fields = fields


class ServiceError(Exception):
    """A refused action from a service, with a message for people and a code for programs.

    Plugins subclass it (``class CatalogError(ServiceError)``). Forms show
    ``message``; on /api/ paths the core answers it as
    ``{"error": {"code", "message", "fields"?}}`` with ``status``.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        status: int = 400,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        message = str(message)  # a lazy string (`_l`) takes the current language here
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.fields = fields

    @classmethod
    def invalid(cls, field: str, message: str) -> ServiceError:
        """A 422 about one field."""
        return cls(message, code="validation_error", status=422, fields={field: [message]})


def handle_service_error(exc: ServiceError) -> Response | tuple[str, int]:
    from lms.extensions import db

    db.session.rollback()  # a refused action changes nothing
    return handle_http_exception(
        ApiError(exc.status, exc.message, code=exc.code, fields=exc.fields)
    )


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def _flatten_webargs(messages: Any) -> dict[str, list[str]]:
    """webargs nests errors by location ({"json": {"email": [...]}}); drop the location."""
    fields: dict[str, list[str]] = {}
    if not isinstance(messages, dict):
        return fields
    for location_errors in messages.values():
        if not isinstance(location_errors, dict):
            continue
        for name, errs in location_errors.items():
            if isinstance(errs, dict):  # nested schema or list index
                errs = [f"{k}: {v}" for k, v in errs.items()]
            # marshmallow's messages are English: say them in the request's language.
            fields[name] = [translate(e) for e in (errs if isinstance(errs, list) else [errs])]
    return fields


def json_error(
    status: int,
    message: str,
    code: str | None = None,
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "code": code or ERROR_CODES.get(status, "error"),
        "message": str(message),  # a lazy string becomes text in the request's language
    }
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _message(exc: HTTPException) -> str:
    status = exc.code or 500
    desc = exc.description or ""
    # Werkzeug's default descriptions are written for developers; ours for people.
    default = type(exc).description if hasattr(type(exc), "description") else None
    # Flask-Limiter's own description is the limit itself ("5 per 1 minute").
    limit = getattr(exc, "limit", None)
    machine_made = limit is not None and not getattr(limit, "error_message", None)
    if not desc or desc == default or machine_made:
        return str(FRIENDLY.get(status, desc or _("Error")))
    return str(desc)


def _retry_after() -> str:
    """Seconds until the breached rate limit resets (Flask-Limiter keeps the larger of
    this and its own value, so a fixed guess here would hide the real wait)."""
    import time

    from lms.extensions import limiter

    try:
        current = limiter.current_limit
    except Exception:  # no limiter context (e.g. a 429 raised by hand)
        current = None
    if current is None:
        return "60"
    return str(max(1, int(current.reset_at - time.time())))


def handle_http_exception(exc: HTTPException) -> Response | tuple[str, int]:
    status = exc.code or 500
    headers = {
        k: v
        for k, v in (exc.get_headers() if exc.response is None else [])
        if k.lower() in {"retry-after", "allow", "www-authenticate"}
    }
    if status == 429 and "Retry-After" not in headers:
        headers["Retry-After"] = _retry_after()
    if is_api_request() or request.accept_mimetypes.best == "application/json":
        fields = getattr(exc, "fields", None)
        data = getattr(exc, "data", None)
        if fields is None and isinstance(data, dict) and "messages" in data:
            fields = _flatten_webargs(data["messages"])
        message = _message(exc)
        if status == 422 and fields and not isinstance(exc, ApiError):
            # webargs' own description is written for developers.
            message = _("Some of the values are not valid.")
        return json_error(status, message, getattr(exc, "error_code", None), fields, headers)
    # A school may override one status with <instance>/templates/errors/<status>.html.
    body = render_template(
        [f"errors/{status}.html", "errors/error.html"], status=status, message=_message(exc)
    )
    return body, status, headers  # type: ignore[return-value]


EXPIRED_FORM_MESSAGE = _l(
    "This form was open for too long, so it was not sent (a safety measure). "
    "Please fill it in and send it again."
)


def handle_csrf_error(exc: CSRFError) -> Response | tuple[str, int]:
    expired = "expired" in (exc.description or "")
    back = _same_site_referrer()
    if expired and back and not is_api_request():
        # A form left open past WTF_CSRF_TIME_LIMIT: back to it, with a message.
        flash(str(EXPIRED_FORM_MESSAGE), "error")
        return redirect(back)  # type: ignore[return-value]
    exc.description = _(
        "The form expired or was sent without its security token. "
        "Go back, reload the page and try again."
    )
    return handle_http_exception(exc)


def _same_site_referrer() -> str | None:
    """Return the page the form was on, if it is on this site."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if parts.netloc != request.host or parts.scheme not in {"http", "https"}:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def handle_database_down(exc: SQLAlchemyError) -> Response | tuple[str, int]:
    """Say what is wrong when the database is unreachable or not migrated yet."""
    from lms.extensions import db

    db.session.rollback()
    text = str(exc).lower()
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        log.error("database is not migrated: %s", exc)
        message = _(
            "The database is not set up yet. An administrator needs to run %(command)s.",
            command="`flask --app wsgi lms upgrade`",
        )
    else:
        log.exception("database unavailable on %s %s", request.method, request.path)
        message = _("The database is not answering right now. Please try again in a minute.")
    return handle_http_exception(ServiceUnavailable(message))


def handle_unexpected(exc: Exception) -> Response | tuple[str, int]:
    from lms.extensions import db

    if isinstance(exc, OperationalError | ProgrammingError):
        return handle_database_down(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    # The error page reads the database too; on PostgreSQL a failed statement
    # leaves the transaction unusable until it is rolled back.
    db.session.rollback()
    return handle_http_exception(InternalServerError())


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
