"""Acceptance 4: logout and password change end old cookies and tokens, over HTTP and Socket.IO."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import socketio

from lms.testing.plugin import DEFAULT_PASSWORD, session_cookie

NEW_PASSWORD = "copper-meadow-falcon-77"


def sign_in(client, login="pat"):
    r = client.submit("/auth/login", {"login": login, "password": DEFAULT_PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)


def api_token(client, login="pat", password=DEFAULT_PASSWORD):
    # A client without a session cookie, as an API integration would be.
    client = client.application.test_client()
    r = client.post("/api/v1/auth/login", json={"login": login, "password": password})
    assert r.status_code == 200, r.json
    return r.json["token"]


def replay(make_client, app, cookie_header):
    """A fresh client that holds nothing but a copy of the old cookie."""
    thief = make_client()
    name, _, value = cookie_header.partition("=")
    thief.set_cookie(name, value)
    return thief


def assert_cookie_is_dead(make_client, app, cookie, socket_connect):
    thief = replay(make_client, app, cookie)
    r = thief.get("/auth/profile")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    assert thief.get("/api/v1/auth/me").status_code == 401
    with pytest.raises(socketio.exceptions.ConnectionError):
        socket_connect(cookie=cookie)


def assert_token_is_dead(client, token, socket_connect):
    r = client.api("GET", "/api/v1/auth/me", token=token)
    assert r.status_code == 401 and r.json["error"]["code"] == "invalid_token"
    with pytest.raises(socketio.exceptions.ConnectionError):
        socket_connect(token=token)


def test_logout_ends_this_browser_only(app, client, make_client, create_user, socket_connect):
    create_user(username="pat")
    sign_in(client)
    cookie = session_cookie(client, app)
    # The copy works before logout: HTTP and a Socket.IO connection.
    assert replay(make_client, app, cookie).get("/auth/profile").status_code == 200
    socket_connect(cookie=cookie).disconnect()
    phone = make_client()
    sign_in(phone)
    phone_cookie = session_cookie(phone, app)
    token = api_token(client)
    r = client.submit("/auth/logout", {})
    assert "signed out in this browser" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert_cookie_is_dead(make_client, app, cookie, socket_connect)
    # The same person's other browser and API token are still signed in.
    assert phone.get("/auth/profile").status_code == 200
    assert phone.get("/api/v1/auth/me").json["user"]["username"] == "pat"
    socket_connect(cookie=phone_cookie).disconnect()
    assert client.api("GET", "/api/v1/auth/me", token=token).status_code == 200


def test_api_logout_with_a_session_ends_that_session_only(client, make_client, create_user):
    create_user(username="pat")
    sign_in(client)
    phone = make_client()
    sign_in(phone)
    assert client.api("POST", "/api/v1/auth/logout").status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 401
    assert phone.get("/api/v1/auth/me").status_code == 200


def test_sign_out_everywhere_ends_every_browser_and_token(
    app, client, make_client, create_user, socket_connect
):
    create_user(username="pat")
    sign_in(client)
    phone = make_client()
    sign_in(phone)
    phone_cookie = session_cookie(phone, app)
    token = api_token(client)
    page = client.get("/auth/profile").get_data(as_text=True)
    assert "Sign out everywhere" in page
    r = client.submit("/auth/logout/everywhere", {}, page="/auth/profile")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    assert client.get("/auth/profile").status_code == 302
    assert phone.get("/auth/profile").status_code == 302
    assert_cookie_is_dead(make_client, app, phone_cookie, socket_connect)
    assert_token_is_dead(client, token, socket_connect)
    # Signing in again works as usual.
    sign_in(phone)
    assert phone.get("/auth/profile").status_code == 200


def test_sign_out_everywhere_over_the_api(app, client, make_client, create_user, socket_connect):
    create_user(username="pat")
    browser = make_client()
    sign_in(browser)
    cookie = session_cookie(browser, app)
    laptop_token, phone_token = api_token(client), api_token(client)
    r = client.api("POST", "/api/v1/auth/logout-everywhere", token=laptop_token)
    assert r.status_code == 200, r.json
    assert_cookie_is_dead(make_client, app, cookie, socket_connect)
    assert_token_is_dead(client, laptop_token, socket_connect)
    assert_token_is_dead(client, phone_token, socket_connect)
    r = make_client().post("/api/v1/auth/logout-everywhere")
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"


def test_api_logout_revokes_the_token(client, create_user, socket_connect):
    create_user(username="pat")
    token = api_token(client)
    socket_connect(token=token).disconnect()
    assert client.api("POST", "/api/v1/auth/logout", token=token).status_code == 200
    assert_token_is_dead(client, token, socket_connect)


def test_password_change_kills_old_cookies_and_tokens(
    app, client, make_client, create_user, socket_connect
):
    create_user(username="pat", email="pat@example.org")
    sign_in(client)
    cookie = session_cookie(client, app)
    token = api_token(client)
    r = client.submit(
        "/auth/password",
        {"current_password": DEFAULT_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert r.status_code == 302
    # This browser stays signed in with a new cookie; copies of the old one are dead.
    assert client.get("/auth/profile").status_code == 200
    assert session_cookie(client, app) != cookie
    assert_cookie_is_dead(make_client, app, cookie, socket_connect)
    assert_token_is_dead(client, token, socket_connect)
    api = client.application.test_client()
    r = api.post("/api/v1/auth/login", json={"login": "pat", "password": DEFAULT_PASSWORD})
    assert r.status_code == 401
    assert api_token(client, password=NEW_PASSWORD)


def test_password_change_over_the_api(client, create_user, socket_connect):
    create_user(username="pat")
    token = api_token(client)
    r = client.api(
        "POST",
        "/api/v1/auth/password/change",
        json={"current_password": DEFAULT_PASSWORD, "password": NEW_PASSWORD},
        token=token,
    )
    assert r.status_code == 200
    assert_token_is_dead(client, token, socket_connect)
    assert client.api("GET", "/api/v1/auth/me", token=r.json["token"]).status_code == 200
    r = client.api(
        "POST",
        "/api/v1/auth/password/change",
        json={"current_password": "wrong-password-1", "password": "another-fine-pass-9"},
        token=r.json["token"],
    )
    assert r.status_code == 400 and r.json["error"]["code"] == "wrong_password"


def test_deactivation_ends_sessions_and_blocks_sign_in(
    app, client, make_client, create_user, socket_connect
):
    create_user(username="pat")
    sign_in(client)
    cookie = session_cookie(client, app)
    token = api_token(client)
    r = client.submit("/auth/deactivate", {"password": DEFAULT_PASSWORD, "confirm": "y"})
    assert r.status_code == 302
    assert_cookie_is_dead(make_client, app, cookie, socket_connect)
    assert_token_is_dead(client, token, socket_connect)
    r = client.submit("/auth/login", {"login": "pat", "password": DEFAULT_PASSWORD})
    assert r.status_code == 403 and "deactivated" in r.get_data(as_text=True)
    # The data stays: the public profile is hidden, the row is kept.
    from lms.extensions import db
    from lms.models import User

    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "pat"))
        assert user is not None and user.is_deactivated


def test_deactivation_needs_the_password(client, create_user, login_as):
    user = create_user(username="pat")
    login_as(client, user)
    r = client.submit("/auth/deactivate", {"password": "wrong-password-1", "confirm": "y"})
    assert r.status_code == 422 and "not right" in r.get_data(as_text=True)
    assert client.get("/auth/profile").status_code == 200


def test_login_starts_a_new_session(app, client, create_user):
    """Session fixation: whatever the session held before sign-in is gone after it."""
    create_user(username="pat")
    with client.session_transaction() as sess:
        sess["planted"] = "by-an-attacker"
    sign_in(client)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"].count(".") == 1


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/courses/python?tab=1", "/courses/python?tab=1"),
        ("https://evil.example/", "/my/courses"),  # refused: where a student lands
        ("//evil.example/", "/my/courses"),  # refused: where a student lands
        ("/\\evil.example", "/my/courses"),  # refused: where a student lands
        ("javascript:alert(1)", "/my/courses"),  # refused: where a student lands
        ("/\tevil", "/my/courses"),  # refused: where a student lands
    ],
)
def test_next_after_login_accepts_only_local_paths(client, create_user, target, expected):
    create_user(username="pat")
    r = client.submit(
        "/auth/login?next=" + quote(target, safe=""),
        {"login": "pat", "password": DEFAULT_PASSWORD},
    )
    assert r.status_code == 302
    assert r.headers["Location"] == expected


def test_a_browser_sign_in_lasts_lms_session_days(app, client, make_client, create_user):
    from datetime import timedelta

    from sqlalchemy import func, select, update

    from lms.extensions import db
    from lms.models import UserSession, utcnow

    create_user(username="pat")
    sign_in(client)
    assert client.get("/auth/profile").status_code == 200
    with app.app_context():
        db.session.execute(update(UserSession).values(created_at=utcnow() - timedelta(days=31)))
        db.session.commit()
    assert client.get("/auth/profile").status_code == 302
    # The next sign-in forgets the sessions that ran out.
    sign_in(make_client())
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1
