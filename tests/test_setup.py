"""First start: the set-up page, CSRF refusal, and `flask lms create-admin`."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Role, User
from lms.settings import get_setting

SETUP = {
    "site_name": "Hill School",
    "name": "Grace Hopper",
    "email": "Grace@Example.org",
    "password": "long-enough-pw",
    "confirm": "long-enough-pw",
}


def _users(app) -> list[tuple[str, Role]]:
    with app.app_context():
        return [(u.email, u.role) for u in db.session.scalars(select(User).order_by(User.id))]


def test_home_shows_the_setup_form_until_an_admin_exists(app, client, create_user):
    create_user(role="instructor")  # accounts without an admin do not count
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'action="/setup"' in page and "Create my school" in page
    assert client.get("/setup").status_code == 200
    create_user(role="admin")
    assert client.get("/").status_code == 200
    assert client.get("/setup").status_code == 404


def test_setup_post_without_csrf_token_is_refused_and_creates_nothing(app, client):
    response = client.post("/setup", data=SETUP)
    assert response.status_code == 400
    assert b"security token" in response.data
    assert _users(app) == []
    assert client.get("/setup").status_code == 200  # still not set up


def test_setup_post_with_a_wrong_csrf_token_is_refused(app, client):
    client.get("/setup")
    response = client.post("/setup", data={**SETUP, "csrf_token": "forged"})
    assert response.status_code == 400
    assert _users(app) == []


def test_setup_creates_the_first_admin_then_disappears(app, client):
    response = client.submit("/setup", SETUP)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/")
    assert _users(app) == [("grace@example.org", Role.ADMIN)]
    with app.app_context():
        admin = db.session.scalar(select(User))
        assert admin.name == "Grace Hopper"
        assert admin.check_password("long-enough-pw")
        assert get_setting("core", "site_name") == "Hill School"
    # The new admin is signed in and the school has its name.
    home = client.get("/")
    assert home.status_code == 200
    assert "Hill School" in home.get_data(as_text=True)
    # The page is gone, for everyone, for good.
    assert client.get("/setup").status_code == 404
    assert app.test_client().get("/setup").status_code == 404
    assert app.test_client().post("/setup", data=SETUP).status_code in (400, 404)
    assert len(_users(app)) == 1


def test_setup_refuses_bad_input_and_keeps_the_page(app, client):
    for bad in (
        {"password": "short", "confirm": "short"},
        {"confirm": "a-different-password"},
        {"email": "not-an-address"},
        {"site_name": ""},
    ):
        response = client.submit("/setup", {**SETUP, **bad})
        assert response.status_code == 200, bad
        assert _users(app) == [], bad
    assert client.get("/setup").status_code == 200


# --- the command line ---------------------------------------------------------------------


def test_create_admin_command_without_prompts(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "lms",
            "create-admin",
            "--email",
            "ops@example.org",
            "--password",
            "a-long-password",
            "--name",
            "Ops",
        ]  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    assert "ops@example.org" in result.output
    assert _users(app) == [("ops@example.org", Role.ADMIN)]
    with app.app_context():
        admin = db.session.scalar(select(User))
        assert admin.name == "Ops" and admin.check_password("a-long-password")
    # With an admin in place, the set-up page is gone.
    assert app.test_client().get("/setup").status_code == 404
    assert app.test_client().get("/").status_code != 302


def test_create_admin_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(
        args=["lms", "create-admin", "--email", "ops@example.org", "--password", "short"]
    )
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert "Traceback" not in result.output
    assert _users(app) == []


def test_create_admin_refuses_an_invalid_email(app):
    result = app.test_cli_runner().invoke(
        args=["lms", "create-admin", "--email", "nobody", "--password", "a-long-password"]
    )
    assert result.exit_code != 0
    assert "not valid" in result.output
    assert _users(app) == []


def test_create_admin_promotes_an_existing_account(app, create_user):
    create_user(email="teacher@example.org", role="instructor")
    result = app.test_cli_runner().invoke(
        args=["lms", "create-admin", "--email", "TEACHER@example.org", "--password", "x" * 12]
    )
    assert result.exit_code == 0, result.output
    assert _users(app) == [("teacher@example.org", Role.ADMIN)]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_favicon_is_served_for_pages_that_do_not_name_one(client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml" and response.data.startswith(b"<svg")


def test_setup_reports_every_mistake_in_one_pass_and_states_the_password_rule(app, client):
    page = client.get("/setup").get_data(as_text=True)
    assert "At least 10 characters" in page  # the rule is said before anyone fails it
    response = client.submit(
        "/setup", {**SETUP, "email": "not-an-address", "password": "short", "confirm": "short"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "not valid" in page  # the e-mail...
    assert "at least 10 characters" in page  # ...and the password, on the first try
    assert _users(app) == []


def test_setup_admin_address_counts_as_confirmed_and_no_false_mail_claim(app, client):
    client.submit("/setup", SETUP)
    with app.app_context():
        assert db.session.scalar(select(User)).email_verified_at is not None
    home = client.get("/").get_data(as_text=True)
    assert "we sent a link" not in home.lower()


def test_nav_offers_no_sign_in_or_register_before_setup(app, client, create_user):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/auth/login"' not in page and 'href="/auth/register"' not in page
    create_user(role="admin")
    page = app.test_client().get("/").get_data(as_text=True)
    assert 'href="/auth/login"' in page
