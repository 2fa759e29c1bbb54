"""Acceptance 1 over the JSON API: register, verify, log out, log in, reset a forgotten password."""

from __future__ import annotations

import re

from lms.extensions import db
from lms.models import User
from lms.testing.servers import link_in

PASSWORD = "violet-lantern-harbour-42"
NEW_PASSWORD = "copper-meadow-falcon-77"


def token_in(url: str) -> str:
    return re.search(r"/auth/(?:verify|password/reset)/([^/?#]+)", url).group(1)


def test_full_account_flow_over_the_api(app, client, mail):
    # Register: 201 with the user, not verified yet.
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "Lin@Example.org", "username": "Lin", "password": PASSWORD, "name": "Lin"},
    )
    assert r.status_code == 201, r.json
    user = r.json["user"]
    assert user["email"] == "lin@example.org" and user["username"] == "lin"
    assert user["email_verified"] is False and user["role"] == "student"

    # Verify the address with the token from the mailed link.
    (message,) = mail("lin@example.org")
    verify_token = token_in(link_in(message, "/auth/verify/"))
    r = client.post("/api/v1/auth/verify-email", json={"token": verify_token})
    assert r.status_code == 200 and r.json["user"]["email_verified"] is True
    r = client.post("/api/v1/auth/verify-email", json={"token": verify_token})
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_token"

    # Log in: a bearer token that works, then log out: it no longer does.
    r = client.post("/api/v1/auth/login", json={"login": "lin@example.org", "password": PASSWORD})
    assert r.status_code == 200, r.json
    token = r.json["token"]
    assert r.json["user"]["id"] == user["id"]
    assert client.api("GET", "/api/v1/auth/me", token=token).json["user"]["username"] == "lin"
    assert client.api("POST", "/api/v1/auth/logout", token=token).status_code == 200
    r = client.api("GET", "/api/v1/auth/me", token=token)
    assert r.status_code == 401 and r.json["error"]["code"] == "invalid_token"

    # Log in again with the username; refresh swaps the token.
    r = client.post("/api/v1/auth/login", json={"login": "lin", "password": PASSWORD})
    token = r.json["token"]
    r = client.api("POST", "/api/v1/auth/refresh", token=token)
    assert r.status_code == 200
    fresh = r.json["token"]
    assert fresh != token
    assert client.api("GET", "/api/v1/auth/me", token=token).status_code == 401
    assert client.api("GET", "/api/v1/auth/me", token=fresh).status_code == 200

    # Forgot the password: 202, a mail, a reset that works once.
    r = client.post("/api/v1/auth/password/forgot", json={"email": "lin@example.org"})
    assert r.status_code == 202
    messages = mail("lin@example.org", 2)
    reset_token = token_in(link_in(messages[-1], "/auth/password/reset/"))
    r = client.post(
        "/api/v1/auth/password/reset", json={"token": reset_token, "password": NEW_PASSWORD}
    )
    assert r.status_code == 200, r.json
    r = client.post(
        "/api/v1/auth/password/reset",
        json={"token": reset_token, "password": "another-fine-pass-9"},
    )
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_token"

    # The old password stops working, the new one works, the old token is gone.
    r = client.post("/api/v1/auth/login", json={"login": "lin", "password": PASSWORD})
    assert r.status_code == 401 and r.json["error"]["code"] == "invalid_credentials"
    assert (
        client.post(
            "/api/v1/auth/login", json={"login": "lin", "password": NEW_PASSWORD}
        ).status_code
        == 200
    )
    assert client.api("GET", "/api/v1/auth/me", token=fresh).status_code == 401


def test_register_conflicts_answer_409(client, create_user):
    create_user(email="taken@example.org", username="taken")
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "TAKEN@example.org", "username": "fresh", "password": PASSWORD},
    )
    assert r.status_code == 409 and r.json["error"]["code"] == "email_taken"
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "fresh@example.org", "username": "Taken", "password": PASSWORD},
    )
    assert r.status_code == 409 and r.json["error"]["code"] == "username_taken"


def test_register_validation_answers_422_with_fields(app, client):
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "not-an-email", "username": "x", "password": "short"},
    )
    assert r.status_code == 422
    assert set(r.json["error"]["fields"]) >= {"email", "username", "password"}
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "ok@example.org", "username": "okname", "password": "qwertyuiop123"},
    )
    assert r.status_code == 422
    assert "too common" in r.json["error"]["fields"]["password"][0]
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "ok@example.org", "username": "okname", "password": "xok@example.org!"},
    )
    assert r.status_code == 422 and "e-mail" in r.json["error"]["fields"]["password"][0]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_deactivated_and_banned_accounts_get_403(client, create_user):
    create_user(username="gone", is_deactivated=True)
    create_user(username="banned", is_banned=True)
    from lms.testing.plugin import DEFAULT_PASSWORD

    r = client.post("/api/v1/auth/login", json={"login": "gone", "password": DEFAULT_PASSWORD})
    assert r.status_code == 403 and r.json["error"]["code"] == "account_deactivated"
    r = client.post("/api/v1/auth/login", json={"login": "banned", "password": DEFAULT_PASSWORD})
    assert r.status_code == 403 and r.json["error"]["code"] == "account_banned"
    # A wrong password says nothing about the account's state.
    r = client.post("/api/v1/auth/login", json={"login": "gone", "password": "wrong-password-1"})
    assert r.status_code == 401


def test_openapi_documents_the_auth_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/me",
        "/api/v1/auth/refresh",
        "/api/v1/auth/password/forgot",
        "/api/v1/auth/password/reset",
        "/api/v1/auth/verify-email",
        "/api/v1/users/me",
        "/api/v1/users/{user_id}",
        "/api/v1/instructor-applications",
        "/api/v1/instructor-applications/mine",
        "/api/v1/admin/instructor-applications",
        "/api/v1/admin/instructor-applications/{application_id}/approve",
        "/api/v1/admin/instructor-applications/{application_id}/reject",
    ):
        assert path in paths, path
    assert "patch" in paths["/api/v1/users/me"]
