"""Sign-up, e-mail verification, sign-in and sign-out through the pages (Flask test client)."""

from __future__ import annotations

from lms_auth.models import AuthLoginAttempt

from lms.extensions import db
from lms.models import User
from lms.testing.plugin import DEFAULT_PASSWORD
from lms.testing.servers import link_in, path_of

GOOD_PASSWORD = "violet-lantern-harbour-42"


def register(client, email="ada@example.org", username="ada", password=GOOD_PASSWORD):
    return client.submit(
        "/auth/register",
        {
            "email": email,
            "username": username,
            "name": "Ada Lovelace",
            "password": password,
            "confirm": password,
        },
    )


def test_register_then_verify_link_confirms_and_signs_in(app, client, mail):
    response = register(client)
    assert response.status_code == 302
    assert "/auth/register/check-your-inbox" in response.headers["Location"]
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == "ada@example.org"))
        assert user is not None and user.email_verified_at is None
        assert user.role.value == "student" and user.username == "ada"
    (message,) = mail("ada@example.org")
    assert message["Subject"] == "Confirm your e-mail address"
    url = link_in(message, "/auth/verify/")
    response = client.get(path_of(url))
    assert response.status_code == 302
    page = client.get("/auth/profile")
    assert page.status_code == 200 and "ada@example.org" in page.get_data(as_text=True)
    assert "(confirmed)" in page.get_data(as_text=True)
    # The link works once.
    assert client.get(path_of(url)).status_code == 404


def test_unverified_user_sees_banner_until_verified(app, client, create_user, login_as):
    user = create_user(verified=False)
    login_as(client, user)
    page = client.get("/auth/profile").get_data(as_text=True)
    assert 'data-testid="unverified-banner"' in page
    verified = create_user(verified=True)
    other = client.application.test_client()
    login_as(other, verified)
    assert 'data-testid="unverified-banner"' not in other.get("/auth/profile").get_data(
        as_text=True
    )


def test_login_by_email_or_username_and_logout(app, client, create_user):
    user = create_user(email="grace@example.org", username="grace")
    response = client.submit(
        "/auth/login", {"login": "GRACE@example.org", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/auth/profile").status_code == 200
    client.submit("/auth/logout", {})
    assert client.get("/auth/profile").status_code == 302
    response = client.submit("/auth/login", {"login": "grace", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    with app.app_context():
        attempts = db.session.scalars(db.select(AuthLoginAttempt)).all()
        assert [a.success for a in attempts] == [True, True]
        assert all(a.user_id == user.id and a.ip == "127.0.0.1" for a in attempts)


def test_wrong_password_is_refused_and_logged(app, client, create_user):
    create_user(email="grace@example.org")
    response = client.submit(
        "/auth/login", {"login": "grace@example.org", "password": "nope-nope-nope"}
    )
    assert response.status_code == 401
    assert "is not right" in response.get_data(as_text=True)
    response = client.submit(
        "/auth/login", {"login": "nobody@example.org", "password": "nope-nope-nope"}
    )
    assert response.status_code == 401
    with app.app_context():
        attempts = db.session.scalars(
            db.select(AuthLoginAttempt).order_by(AuthLoginAttempt.id)
        ).all()
        assert [(a.login, a.success, a.reason) for a in attempts] == [
            ("grace@example.org", False, "wrong_password"),
            ("nobody@example.org", False, "unknown"),
        ]
