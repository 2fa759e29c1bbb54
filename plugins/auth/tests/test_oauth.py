"""Acceptance 2: GitHub and Google sign-in through a local OAuth 2 provider, `state` included.

The real Flask-Dance client code runs: the app redirects to the provider's
authorize URL, the provider redirects back with a code and the state, the app
exchanges the code over HTTP and reads the user info.
"""

from __future__ import annotations

import pytest
import requests
from lms_auth.models import AuthIdentity, AuthLoginAttempt
from lms_auth.testing import LocalOAuthProvider

from lms.extensions import db
from lms.models import User
from lms.testing.plugin import DEFAULT_PASSWORD
from lms.testing.servers import path_of


@pytest.fixture
def provider(config, monkeypatch):
    server = LocalOAuthProvider()
    server.start()
    # The local provider speaks plain HTTP; real providers are HTTPS only.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    config(**server.config())
    yield server
    server.stop()


def dance(client, name, *, tamper_state=False):
    """Click "Continue with <provider>" and follow the redirects through the provider."""
    r = client.get(f"/auth/oauth/{name}")
    assert r.status_code == 302
    authorize_url = r.headers["Location"]
    assert "state=" in authorize_url
    at_provider = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302, at_provider.text
    callback = at_provider.headers["Location"]
    if tamper_state:
        callback = callback.replace("state=", "state=forged")
    return client.get(path_of(callback))


def users(app):
    with app.app_context():
        return db.session.scalars(db.select(User).order_by(User.id)).all()


def identities(app):
    with app.app_context():
        return [
            (i.provider, i.provider_user_id, i.user_id)
            for i in db.session.scalars(db.select(AuthIdentity).order_by(AuthIdentity.id))
        ]


def signed_in_as(client):
    r = client.get("/api/v1/auth/me")
    return r.json["user"]["email"] if r.status_code == 200 else None


def test_github_signs_a_new_user_up_then_in_again(app, client, provider):
    provider.sign_in_as_github(4242, "octocat", "Mona Lisa Octocat", "mona@example.org")
    r = dance(client, "github")
    assert r.status_code == 302
    assert signed_in_as(client) == "mona@example.org"
    (user,) = users(app)
    assert user.username == "octocat" and user.name == "Mona Lisa Octocat"
    assert user.email_verified_at is not None and user.password_hash is None
    assert identities(app) == [("github", "4242", user.id)]
    assert "POST /github/login/oauth/access_token" in provider.requests_seen
    assert "GET /github/api/user/emails" in provider.requests_seen

    client.submit("/auth/logout", {})
    assert signed_in_as(client) is None
    dance(client, "github")
    assert signed_in_as(client) == "mona@example.org"
    assert len(users(app)) == 1 and len(identities(app)) == 1
    with app.app_context():
        vias = db.session.scalars(db.select(AuthLoginAttempt.via)).all()
    assert vias == ["github", "github"]


def test_google_links_to_an_existing_account_with_a_verified_email(
    app, client, provider, create_user
):
    existing = create_user(email="lee@example.org", username="lee")
    provider.sign_in_as_google("1087", "Lee@Example.org", "Lee Chan", verified=True)
    dance(client, "google")
    assert signed_in_as(client) == "lee@example.org"
    assert len(users(app)) == 1
    assert identities(app) == [("google", "1087", existing.id)]


def test_unverified_provider_email_is_not_linked_to_an_existing_account(
    app, client, provider, create_user
):
    create_user(email="lee@example.org", username="lee")
    provider.sign_in_as_github(77, "impostor", "Not Lee", "lee@example.org", verified=False)
    r = dance(client, "github")
    assert r.status_code == 302 and r.headers["Location"].endswith("/auth/login")
    page = client.get("/auth/login").get_data(as_text=True)
    assert "Sign in with your password, then connect" in page
    assert signed_in_as(client) is None
    assert identities(app) == [] and len(users(app)) == 1
    with app.app_context():
        attempt = db.session.scalar(db.select(AuthLoginAttempt))
        assert attempt.reason == "unverified_oauth_email" and not attempt.success


def test_signed_in_user_links_google_from_the_profile(app, client, provider, create_user):
    user = create_user(email="ana@example.org", username="ana")
    client.submit("/auth/login", {"login": "ana", "password": DEFAULT_PASSWORD})
    # Even an address Google has not verified may be linked: the password proved who this is.
    provider.sign_in_as_google("555", "ana.personal@example.net", "Ana", verified=False)
    r = dance(client, "google")
    assert r.headers["Location"].endswith("/auth/connections")
    assert identities(app) == [("google", "555", user.id)]
    page = client.get("/auth/connections").get_data(as_text=True)
    assert "connected as ana.personal@example.net" in page

    client.submit("/auth/logout", {})
    dance(client, "google")
    assert signed_in_as(client) == "ana@example.org"

    # And unlink it again (the account still has a password).
    client.submit("/auth/connections/google/unlink", {}, page="/auth/connections")
    assert identities(app) == []


def test_a_provider_account_cannot_be_linked_to_two_users(app, client, provider, create_user):
    first = create_user(username="first")
    create_user(username="second")
    provider.sign_in_as_github(9, "shared", "Shared", "shared@example.org")
    client.submit("/auth/login", {"login": "first", "password": DEFAULT_PASSWORD})
    dance(client, "github")
    client.submit("/auth/logout", {})
    client.submit("/auth/login", {"login": "second", "password": DEFAULT_PASSWORD})
    dance(client, "github")
    assert "already connected to another account" in client.get("/auth/connections").get_data(
        as_text=True
    )
    assert identities(app) == [("github", "9", first.id)]


def test_oauth_only_user_cannot_unlink_the_only_way_in(app, client, provider):
    provider.sign_in_as_github(31, "solo", "Solo", "solo@example.org")
    dance(client, "github")
    client.submit("/auth/connections/github/unlink", {}, page="/auth/connections")
    assert "only way to sign in" in client.get("/auth/connections").get_data(as_text=True)
    assert len(identities(app)) == 1


def test_forged_state_is_refused(app, client, provider):
    provider.sign_in_as_github(12, "eve", "Eve", "eve@example.org")
    r = dance(client, "github", tamper_state=True)
    assert r.status_code == 302
    assert "did not work" in client.get("/auth/login").get_data(as_text=True)
    assert users(app) == [] and signed_in_as(client) is None


def test_callback_without_a_started_dance_goes_back_to_login(client, provider):
    r = client.get("/auth/oauth/github/authorized?code=abc&state=xyz")
    assert r.status_code == 302 and "/auth/oauth/github" in r.headers["Location"]


def test_provider_refusal_is_explained(client, provider):
    client.get("/auth/oauth/google")
    r = client.get("/auth/oauth/google/authorized?error=access_denied&state=x")
    assert r.status_code == 302
    assert "you cancelled" in client.get("/auth/login").get_data(as_text=True)


def test_providers_are_hidden_and_off_when_not_configured(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "data-provider" not in page
    assert client.get("/auth/oauth/github").status_code == 404
    assert client.get("/auth/oauth/google/authorized?code=x&state=y").status_code == 404


def test_providers_are_offered_when_configured(client, provider):
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'data-provider="github"' in page and 'data-provider="google"' in page
