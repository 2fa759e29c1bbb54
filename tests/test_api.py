"""JSON API infrastructure: OpenAPI document, docs page, tokens, CSRF, errors, pagination.

The routes under test come from a small ApiBlueprint registered only in an app
built here, the way a plugin's ``get_api_blueprints()`` would contribute one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import select

from lms.api import ApiBlueprint, PageArgs, page_of, page_schema, register_api_blueprint
from lms.api import require_user as api_require_user
from lms.models import User
from lms.state import lms_state
from lms.testing.clients import FormClient

TOKENS: dict[str, int] = {}


class UserOut(Schema):
    id = fields.Integer()
    email = fields.String()


class NoteIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=50))
    stars = fields.Integer(load_default=3, validate=validate.Range(min=1, max=5))


class NoteOut(Schema):
    title = fields.String()
    stars = fields.Integer()
    author_id = fields.Integer()


def _test_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint("core_tests_api", __name__, url_prefix="/core-tests")

    @blp.route("/users")
    class Users(MethodView):
        @blp.arguments(PageArgs, location="query")
        @blp.response(200, page_schema(UserOut, "CoreTestUserPage"))
        def get(self, args: dict[str, Any]) -> dict[str, Any]:
            """List users, a page at a time."""
            api_require_user()
            return page_of(select(User).order_by(User.id), args)

    @blp.route("/notes")
    class Notes(MethodView):
        @blp.arguments(NoteIn)
        @blp.response(201, NoteOut)
        def post(self, data: dict[str, Any]) -> dict[str, Any]:
            """Create a note (echoed back)."""
            user = api_require_user()
            return {**data, "author_id": user.id}

    return blp


def _token_loader(token: str) -> Any:
    from lms.extensions import db

    user_id = TOKENS.get(token)
    return db.session.get(User, user_id) if user_id else None


@pytest.fixture
def api_app(test_config: dict[str, Any]) -> Iterator[Flask]:
    from lms.app import create_app
    from lms.extensions import db

    api_app = create_app(dict(test_config))
    register_api_blueprint(api_app, _test_blueprint())
    lms_state(api_app).token_loaders.append(_token_loader)
    api_app.test_client_class = FormClient
    yield api_app
    TOKENS.clear()
    with api_app.app_context():
        db.engine.dispose()


@pytest.fixture
def api_client(api_app: Flask) -> FormClient:
    return api_app.test_client()  # type: ignore[return-value]


def _error(response) -> dict[str, Any]:
    assert response.is_json, response.data[:300]
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"])
    return body["error"]


# --- the OpenAPI document and the docs page ------------------------------------------------


def test_openapi_document_is_valid_openapi_3(api_client):
    response = api_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate_openapi(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    # Routes and schemas come from the blueprint, under /api/v1.
    assert "/api/v1/core-tests/users" in spec["paths"]
    post = spec["paths"]["/api/v1/core-tests/notes"]["post"]
    assert "201" in post["responses"]
    assert "NoteIn" in spec["components"]["schemas"]


def test_openapi_document_of_the_site_is_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    validate_openapi(response.get_json())


def test_api_docs_page_answers(api_client):
    response = api_client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "openapi.json" in page
    assert "swagger" in page.lower()


# --- errors --------------------------------------------------------------------------------


def test_unknown_api_path_is_a_json_404(api_client):
    response = api_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_wrong_method_is_a_json_405(api_client):
    response = api_client.delete("/api/v1/core-tests/users")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


def test_anonymous_call_is_a_json_401(api_client):
    response = api_client.get("/api/v1/core-tests/users")
    assert response.status_code == 401
    assert _error(response)["code"] == "unauthorized"


@pytest.mark.parametrize(
    "path", ["/api/v1/core-tests/users", "/api/v1/no-such-thing", "/api/v1/openapi.json"]
)
def test_invalid_bearer_token_is_refused_on_any_api_route(api_client, path):
    response = api_client.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    error = _error(response)
    assert error["code"] == "invalid_token"


def test_token_of_a_deactivated_user_is_refused(api_app, api_client, create_user):
    user = create_user(is_deactivated=True)
    TOKENS["tok-deactivated"] = user.id
    response = api_client.api("GET", "/api/v1/core-tests/users", token="tok-deactivated")
    assert response.status_code == 401
    assert _error(response)["code"] == "invalid_token"


def test_validation_errors_name_the_fields(api_client, create_user):
    user = create_user()
    TOKENS["tok"] = user.id
    response = api_client.api("POST", "/api/v1/core-tests/notes", {"stars": 9}, token="tok")
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"title", "stars"}
    assert all(isinstance(m, str) for msgs in error["fields"].values() for m in msgs)


def test_malformed_json_is_a_json_error(api_client, create_user):
    user = create_user()
    TOKENS["tok"] = user.id
    response = api_client.post(
        "/api/v1/core-tests/notes",
        data="{not json",
        headers={"Authorization": "Bearer tok", "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422)
    _error(response)


def test_request_body_over_the_limit_is_a_json_413(api_app, api_client, create_user):
    user = create_user()
    TOKENS["tok"] = user.id
    api_app.config["MAX_CONTENT_LENGTH"] = 1024
    response = api_client.api(
        "POST", "/api/v1/core-tests/notes", {"title": "x" * 5000}, token="tok"
    )
    assert response.status_code == 413
    assert _error(response)["code"] == "too_large"


# --- authentication: tokens and sessions ------------------------------------------------------


def test_valid_bearer_token_authenticates_without_csrf_or_cookie(api_client, create_user):
    user = create_user()
    TOKENS["tok-valid"] = user.id
    response = api_client.api(
        "POST", "/api/v1/core-tests/notes", {"title": "Hi", "stars": 5}, token="tok-valid"
    )
    assert response.status_code == 201, response.data
    assert response.get_json() == {"title": "Hi", "stars": 5, "author_id": user.id}
    # A token call leaves no session behind.
    assert "Set-Cookie" not in response.headers
    assert api_client.get_cookie("session") is None


def test_session_post_without_csrf_header_is_refused(api_client, create_user, login_as):
    user = create_user()
    login_as(api_client, user)
    response = api_client.post("/api/v1/core-tests/notes", json={"title": "Hi"})
    assert response.status_code == 400
    assert _error(response)["code"] == "csrf_failed"
    bad = api_client.post(
        "/api/v1/core-tests/notes", json={"title": "Hi"}, headers={"X-CSRFToken": "forged"}
    )
    assert bad.status_code == 400


def test_session_post_with_csrf_header_is_accepted(api_client, create_user, login_as):
    user = create_user()
    login_as(api_client, user)
    response = api_client.api("POST", "/api/v1/core-tests/notes", {"title": "Hi"})
    assert response.status_code == 201, response.data
    assert response.get_json()["author_id"] == user.id


def test_session_get_needs_no_csrf(api_client, create_user, login_as):
    login_as(api_client, create_user())
    assert api_client.get("/api/v1/core-tests/users").status_code == 200


# --- pagination ---------------------------------------------------------------------------------


def test_lists_paginate_with_one_shape(api_app, api_client, create_user):
    users = [create_user() for _ in range(5)]
    TOKENS["tok"] = users[0].id
    response = api_client.api("GET", "/api/v1/core-tests/users?per_page=2&page=2", token="tok")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"items", "page", "per_page", "total"}
    assert (body["page"], body["per_page"], body["total"]) == (2, 2, 5)
    assert [item["id"] for item in body["items"]] == [u.id for u in users[2:4]]

    default = api_client.api("GET", "/api/v1/core-tests/users", token="tok").get_json()
    assert default["per_page"] == api_app.config["LMS_PER_PAGE"]
    assert len(default["items"]) == 5

    past_the_end = api_client.api("GET", "/api/v1/core-tests/users?page=9", token="tok")
    assert past_the_end.status_code == 200
    assert past_the_end.get_json()["items"] == []


def test_asking_for_too_many_items_per_page_is_a_validation_error(api_client, create_user):
    TOKENS["tok"] = create_user().id
    response = api_client.api("GET", "/api/v1/core-tests/users?per_page=1000", token="tok")
    assert response.status_code == 422
    assert "per_page" in _error(response)["fields"]
