"""The JSON API under /api/v1: flask-smorest blueprints, token auth, one pagination shape.

Plugins return ``lms.api.ApiBlueprint`` objects from ``get_api_blueprints()``;
the core mounts them under /api/v1 and documents them in /api/v1/openapi.json.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, current_app, g, request, session
from flask_login import current_user
from flask_smorest import Api
from flask_smorest import Blueprint as ApiBlueprint
from flask_wtf.csrf import ValidationError, validate_csrf
from marshmallow import Schema, fields, validate
from sqlalchemy import Select

from lms.auth_tokens import bearer_token, user_from_token
from lms.errors import ApiError, handle_http_exception
from lms.extensions import db

API_PREFIX = "/api/v1"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

__all__ = [
    "API_PREFIX",
    "ApiBlueprint",
    "ApiError",
    "PageArgs",
    "page_of",
    "page_schema",
    "require_user",
]


class LmsApi(Api):
    """flask-smorest's Api with our error shape and bearer-token security scheme."""

    def handle_http_exception(self, error: Any) -> Any:
        return handle_http_exception(error)


class PageArgs(Schema):
    """Query arguments every list endpoint accepts."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100))


def page_schema(item_schema: type[Schema], name: str | None = None) -> type[Schema]:
    """Return a schema for {items, page, per_page, total} of `item_schema`."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            "total": fields.Integer(required=True),
        },
        name=name or f"{item_schema.__name__.removesuffix('Schema')}Page",
    )


def page_of(stmt: Select[Any], args: dict[str, Any]) -> dict[str, Any]:
    """Run `stmt` for one page and return {items, page, per_page, total}."""
    per_page = args.get("per_page") or current_app.config["LMS_PER_PAGE"]
    per_page = min(per_page, current_app.config["LMS_MAX_PER_PAGE"])
    pagination = db.paginate(
        stmt, page=args.get("page", 1), per_page=per_page, error_out=False, count=True
    )
    return {
        "items": list(pagination.items),
        "page": pagination.page,
        "per_page": pagination.per_page,
        "total": pagination.total or 0,
    }


def _authenticate_api_request() -> None:
    """Bearer tokens authenticate API calls; session calls that write need CSRF."""
    if not request.path.startswith("/api/"):
        return
    token = bearer_token(request)
    if token is not None:
        user = user_from_token(token)
        if user is None:
            raise ApiError(
                401, "The API token is invalid, expired or revoked.", code="invalid_token"
            )
        g._login_user = user  # this request only; nothing goes into the session
        g.api_token = token
        return
    if request.method in UNSAFE_METHODS and current_user.is_authenticated:
        # A browser session riding an API call: prove it comes from our pages.
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except ValidationError:
            raise ApiError(
                400,
                "Missing or invalid X-CSRFToken header for a session-authenticated API call.",
                code="csrf_failed",
            ) from None


def _no_session_for_token_calls(response: Any) -> Any:
    # A token call must never leave a session cookie behind.
    if getattr(g, "api_token", None):
        session.modified = False
    return response


def init_api(app: Flask) -> None:
    """Create this app's Api (one per app: its OpenAPI spec collects our blueprints)."""
    api = LmsApi()
    app.extensions["lms_api"] = api
    api.init_app(
        app,
        spec_kwargs={
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"},
                }
            },
            "security": [{"bearerAuth": []}, {"cookieAuth": []}, {}],
        },
    )
    app.before_request(_authenticate_api_request)
    app.after_request(_no_session_for_token_calls)


def register_api_blueprint(app: Flask, blueprint: ApiBlueprint) -> None:
    from lms.extensions import csrf

    csrf.exempt(blueprint)  # _authenticate_api_request does the CSRF check for sessions
    app.extensions["lms_api"].register_blueprint(
        blueprint, url_prefix=API_PREFIX + (blueprint.url_prefix or "")
    )


def require_user() -> Any:
    """Return the current user or answer 401 (for API views)."""
    if not current_user.is_authenticated:
        abort(401)
    return current_user._get_current_object()
