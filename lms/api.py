"""The JSON API under /api/v1: flask-smorest blueprints, token auth, one pagination shape.

Plugins return ``lms.api.ApiBlueprint`` objects from ``get_api_blueprints()``;
the core mounts them under /api/v1 and documents them in /api/v1/openapi.json.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import flask_smorest
from apispec import BasePlugin
from flask import Flask, abort, current_app, g, request, session
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Api
from flask_wtf.csrf import ValidationError, validate_csrf
from marshmallow import Schema, fields, validate
from sqlalchemy import Select
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser

from lms.auth_tokens import bearer_token, user_from_token
from lms.errors import ApiError, handle_http_exception
from lms.extensions import db
from lms.i18n import _
from lms.inputs import BoundedIntConverter

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


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "Stable code for programs."})
    message = fields.String(required=True, metadata={"description": "Sentence for people."})
    field_errors = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages per input field, when the input was at fault."},
    )


class ErrorSchema(Schema):
    """Every error answer of the API: {"error": {"code", "message", "fields"?}}."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class LmsApi(Api):
    """flask-smorest's Api with our error shape and bearer-token security scheme."""

    # Documents every error response (flask-smorest's own shape is not what we send).
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: Any) -> Any:
        return handle_http_exception(error)


class _BodyParser(FlaskParser):
    """webargs' parser reading JSON through the request's checked parser (lms.inputs)."""

    def load_json(self, req: Any, schema: Schema) -> Any:
        if not webargs_core.is_json(req.mimetype) or not req.get_data(cache=True):
            return webargs_core.missing
        return req.get_json()  # LmsRequest: a 400 in our error format when refused


class ApiBlueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint: one checked body parser; the errors a view answers documented.

    Views declare the refusals they make themselves with ``@blp.errors(403, 409)``;
    ``lms.permissions`` decorators declare theirs (401/403) on their own.
    """

    ARGUMENTS_PARSER = _BodyParser()

    def route(self, rule: str, *, parameters: Any = None, **options: Any) -> Callable[[Any], Any]:
        register = super().route(rule, parameters=parameters, **options)

        def decorator(view: Any) -> Any:
            if isinstance(view, type) and issubclass(view, MethodView):
                for method in view.methods or ():
                    _document_refusals(getattr(view, method.lower()))
            else:
                _document_refusals(view)
            return register(view)

        return decorator

    @staticmethod
    def errors(*statuses: int) -> Callable[[Any], Any]:
        """Document error statuses a view answers (in the {"error": ...} shape)."""
        return flask_smorest.Blueprint.doc(responses=_error_responses(statuses))


def _error_responses(statuses: Any) -> dict[int, str]:
    # flask-smorest registers one response component per status, named like HTTPStatus.
    return {status: HTTPStatus(status).name for status in statuses}


def _document_refusals(view: Any) -> None:
    """Document the statuses the permission decorators around `view` answer."""
    refuses = getattr(view, "refuses", None)
    if refuses:
        manual = view.__dict__.setdefault("_apidoc", {}).setdefault("manual_doc", {})
        manual.setdefault("responses", {}).update(_error_responses(sorted(refuses)))


class ErrorResponsesPlugin(BasePlugin):
    """Document the errors the core itself answers on any operation.

    401 everywhere (a bearer token may be invalid or expired on any call); 400
    everywhere too (a NUL character in the path or query, see lms.inputs; on
    writes also a session call without X-CSRFToken or a body that is not
    acceptable JSON); 404 where the path names something.
    """

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **_: Any
    ) -> None:
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            statuses = [400, 401]
            if path and "{" in path:
                statuses.append(404)
            for status, name in _error_responses(statuses).items():
                responses.setdefault(status, name)


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
                401, _("The API token is invalid, expired or revoked."), code="invalid_token"
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
                _(
                    "Missing or invalid %(header)s header for a session-authenticated API call.",
                    header="X-CSRFToken",
                ),
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
            "extra_plugins": [ErrorResponsesPlugin()],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"},
                }
            },
            "security": [{"bearerAuth": []}, {"cookieAuth": []}, {}],
        },
    )
    # Documents <int:...> path parameters with the converter's bounds.
    api.register_converter(BoundedIntConverter, _bounded_int_schema)
    app.before_request(_authenticate_api_request)
    app.after_request(_no_session_for_token_calls)


def _bounded_int_schema(converter: BoundedIntConverter) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", "format": "int32"}
    low = converter.min if converter.min is not None else None if converter.signed else 0
    if low is not None:
        schema["minimum"] = low
    if converter.max is not None:
        schema["maximum"] = converter.max
    return schema


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
