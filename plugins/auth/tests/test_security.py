"""No account enumeration, link expiry, password rules and hashing parameters."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from lms_auth import services
from lms_auth.models import AuthEmailToken, EmailTokenPurpose
from lms_auth.rules import common_passwords, password_problem

from lms.extensions import db
from lms.models import Task, User, utcnow
from lms.passwords import _hasher
from lms.testing.servers import link_in, path_of

GOOD = "violet-lantern-harbour-42"


def register_form(client, email, username):
    return client.submit(
        "/auth/register",
        {"email": email, "username": username, "password": GOOD, "confirm": GOOD},
    )


def test_register_form_answers_the_same_for_a_known_email(app, client, create_user, mail):
    create_user(email="member@example.org", username="known")
    known = register_form(client, "member@example.org", "newname1")
    unknown = register_form(client, "stranger@example.org", "newname2")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"].split("?")[0] == unknown.headers["Location"].split("?")[0]
    page_known = client.get(known.headers["Location"]).get_data(as_text=True)
    page_unknown = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert page_known.replace("member@", "X@") == page_unknown.replace("stranger@", "X@")
    # The owner of the known address is told, and no second account exists.
    (notice,) = mail("member@example.org")
    assert notice["Subject"] == "You already have an account"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 2


def test_forgot_password_answers_the_same_for_known_and_unknown(app, client, create_user, mail):
    create_user(email="member@example.org")
    answers = []
    for email in ("member@example.org", "stranger@example.org"):
        r = client.post("/api/v1/auth/password/forgot", json={"email": email})
        answers.append((r.status_code, r.json))
        r = client.submit("/auth/password/forgot", {"email": email})
        answers.append((r.status_code, r.headers["Location"]))
    assert answers[0] == answers[2] and answers[1] == answers[3]
    with app.app_context():
        # The same work per request: one queued job each, whoever asked.
        assert db.session.scalar(db.select(db.func.count()).select_from(Task)) == 4
    assert len(mail("member@example.org", 2)) == 2


def _paired_medians(first, second, runs=7):
    """Median durations of first(n) and second(n), interleaved so load hits both alike."""
    first(-1), second(-1)  # warm-up: lazily built dummy hash, caches, connections
    a, b = [], []
    for n in range(runs):
        for fn, samples in ((first, a), (second, b)):
            start = time.perf_counter()
            fn(n)
            samples.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


def test_known_and_unknown_emails_take_about_the_same_time(app, client, create_user, config):
    config(
        LMS_PASSWORD_HASH_FAST=False,  # real argon2 cost: the timing that matters
        AUTH_REGISTER_LIMIT_IP="100 per hour",
        AUTH_FORGOT_LIMIT_IP="100 per hour",
    )
    for n in range(-1, 7):
        create_user(email=f"known{n}@example.org", username=f"known{n}")
    token = client.csrf_token("/auth/register")

    def post(email, username):
        data = {"email": email, "username": username, "password": GOOD, "confirm": GOOD}
        r = client.post("/auth/register", data={**data, "csrf_token": token})
        assert r.status_code == 302

    known, unknown = _paired_medians(
        lambda n: post(f"known{n}@example.org", f"k-new{n + 1}"),
        lambda n: post(f"fresh{n}@example.org", f"f-new{n + 1}"),
    )
    assert 0.5 < known / unknown < 2.0, (known, unknown)

    def forgot(email):
        r = client.post("/api/v1/auth/password/forgot", json={"email": email})
        assert r.status_code == 202

    known, unknown = _paired_medians(
        lambda n: forgot(f"known{n}@example.org"), lambda n: forgot(f"nobody{n}@example.org")
    )
    assert abs(known - unknown) < 0.05, (known, unknown)


def test_login_with_unknown_account_costs_a_hash_too(app, client, create_user, config):
    config(
        LMS_PASSWORD_HASH_FAST=False,
        AUTH_LOGIN_LIMIT_ACCOUNT="100 per hour",
        AUTH_LOGIN_LIMIT_ACCOUNT_SOURCE="100 per hour",
        AUTH_LOGIN_LIMIT_DEVICE="100 per hour",
        AUTH_LOGIN_LIMIT_IP="100 per hour",
    )
    create_user(username="real")

    def attempt(login):
        r = client.post("/api/v1/auth/login", json={"login": login, "password": "wrong-guess-01"})
        assert r.status_code == 401

    # Seven pairs, as the other timing tests: with three, one burst of load from
    # a parallel test worker can decide the median.
    real, ghost = _paired_medians(lambda n: attempt("real"), lambda n: attempt(f"ghost{n}"))
    assert 0.5 < real / ghost < 2.0, (real, ghost)


def test_expired_reset_link_is_refused(app, client, create_user):
    user = create_user(email="old@example.org")
    with app.app_context(), app.test_request_context():
        raw = services.issue_email_token(db.session.get(User, user.id), EmailTokenPurpose.RESET)
        db.session.execute(
            db.update(AuthEmailToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert client.get(f"/auth/password/reset/{raw}").status_code == 404
    r = client.post("/api/v1/auth/password/reset", json={"token": raw, "password": GOOD})
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_token"


def test_reset_link_lasts_one_hour_and_a_new_password_ends_older_links(
    app, client, create_user, mail
):
    create_user(email="old@example.org")
    client.post("/api/v1/auth/password/forgot", json={"email": "old@example.org"})
    client.post("/api/v1/auth/password/forgot", json={"email": "old@example.org"})
    first, second = (link_in(m, "/reset/") for m in mail("old@example.org", 2))
    with app.app_context():
        lifetimes = {
            round((t.expires_at - t.created_at).total_seconds())
            for t in db.session.scalars(db.select(AuthEmailToken))
        }
    assert lifetimes == {3600}
    r = client.submit(path_of(second), {"password": GOOD, "confirm": GOOD})
    assert r.status_code == 302
    assert client.get(path_of(first)).status_code == 404


def test_password_rules():
    assert password_problem("short-pw", None) == "The password must have at least 10 characters."
    assert "e-mail" in password_problem("my-ada@example.org-pw", "ada@example.org")
    assert "too common" in password_problem("Password123", None)
    assert password_problem(GOOD, "ada@example.org") is None
    assert len(common_passwords()) >= 300


def test_register_form_shows_password_rule_errors(client):
    for password, message in [
        ("short", "at least 10 characters"),
        ("1234567890", "too common"),
        ("xx-ann@example.org", "must not be your e-mail"),
    ]:
        r = client.submit(
            "/auth/register",
            {
                "email": "ann@example.org",
                "username": "ann",
                "password": password,
                "confirm": password,
            },
        )
        assert r.status_code == 200 and message in r.get_data(as_text=True), password


def test_passwords_are_hashed_with_argon2id_at_a_current_cost(app, create_user):
    user = create_user()
    with app.app_context():
        stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$") and "correct-horse" not in stored
    # The production hasher (tests switch to a fast one): RFC 9106 low-memory profile.
    real = _hasher.hash("x")
    assert real.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
