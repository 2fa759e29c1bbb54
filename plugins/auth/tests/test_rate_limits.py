"""Brute-force protection: per account and per IP, in Redis, shared by every process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from lms.testing.plugin import DEFAULT_PASSWORD
from lms.testing.servers import free_port

WRONG = "not-the-password-1"


def test_sixth_wrong_password_gets_429_with_retry_after(client, create_user):
    create_user(email="kim@example.org", username="kim")
    statuses = []
    for n in range(8):
        # Alternate the ways of naming the account: they share one counter.
        login = "kim" if n % 2 else "KIM@example.org"
        r = client.post("/api/v1/auth/login", json={"login": login, "password": WRONG})
        statuses.append(r.status_code)
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 3
    assert r.json["error"]["code"] == "rate_limited"
    assert 0 < int(r.headers["Retry-After"]) <= 60
    # Even the right password waits: guessing right must not unlock the account.
    r = client.post("/api/v1/auth/login", json={"login": "kim", "password": DEFAULT_PASSWORD})
    assert r.status_code == 429
    # The sign-in page shares the same counter.
    r = client.submit("/auth/login", {"login": "kim", "password": DEFAULT_PASSWORD})
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_other_accounts_are_not_locked_by_one_under_attack(client, create_user):
    create_user(username="victim")
    create_user(username="bystander")
    for _ in range(6):
        client.post("/api/v1/auth/login", json={"login": "victim", "password": WRONG})
    r = client.post("/api/v1/auth/login", json={"login": "bystander", "password": DEFAULT_PASSWORD})
    assert r.status_code == 200


def test_successful_sign_ins_are_not_counted(client, create_user):
    create_user(username="busy")
    for _ in range(8):
        r = client.post("/api/v1/auth/login", json={"login": "busy", "password": DEFAULT_PASSWORD})
        assert r.status_code == 200


def test_per_ip_limit_spans_accounts(client, create_user, config):
    config(AUTH_LOGIN_LIMIT_IP="10 per minute")
    statuses = [
        client.post(
            "/api/v1/auth/login", json={"login": f"nobody{n}@example.org", "password": WRONG}
        ).status_code
        for n in range(12)
    ]
    assert statuses == [401] * 10 + [429] * 2


def test_forgot_password_is_limited_per_address(client, config):
    config(AUTH_FORGOT_LIMIT_ACCOUNT="3 per hour")
    statuses = [
        client.post("/api/v1/auth/password/forgot", json={"email": "x@example.org"}).status_code
        for _ in range(4)
    ]
    assert statuses == [202, 202, 202, 429]


def test_register_is_limited_per_ip(client, config):
    config(AUTH_REGISTER_LIMIT_IP="2 per hour")
    statuses = [
        client.post(
            "/api/v1/auth/register",
            json={"email": f"n{n}@example.org", "username": f"n{n}name", "password": WRONG + "x"},
        ).status_code
        for n in range(3)
    ]
    assert statuses == [201, 201, 429]


# --- the owner is never locked out of a device they used before (OWASP device cookie) -------


def sign_in_form(client, login, password=DEFAULT_PASSWORD):
    return client.submit("/auth/login", {"login": login, "password": password})


def test_attackers_wrong_guesses_do_not_lock_the_owner_out_of_a_known_browser(
    client, make_client, create_user
):
    create_user(username="owner")
    assert sign_in_form(client, "owner").status_code == 302
    assert client.get_cookie("lms_device") is not None
    assert client.get_cookie("lms_device").http_only
    client.submit("/auth/logout", {})
    attacker = make_client()
    statuses = [
        attacker.post("/api/v1/auth/login", json={"login": "owner", "password": WRONG}).status_code
        for _ in range(100)
    ]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    # The attacker's next try, even with the right password, waits; the message says what to do.
    r = attacker.post("/api/v1/auth/login", json={"login": "owner", "password": DEFAULT_PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "http://localhost/auth/password/forgot" in r.json["error"]["message"]
    page = sign_in_form(attacker, "owner")
    assert page.status_code == 429 and "choose a new password" in page.get_data(as_text=True)
    # The owner's browser, which signed in before, gets straight in.
    r = sign_in_form(client, "owner")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert client.get("/auth/profile").status_code == 200


def test_api_clients_carry_their_device_in_a_header(app, create_user):
    create_user(username="owner")
    app_client = app.test_client(use_cookies=False)  # an app without a cookie jar
    r = app_client.post("/api/v1/auth/login", json={"login": "owner", "password": DEFAULT_PASSWORD})
    device = r.json["device_token"]
    attacker = app.test_client()
    for _ in range(30):
        attacker.post("/api/v1/auth/login", json={"login": "owner", "password": WRONG})
    r = app_client.post("/api/v1/auth/login", json={"login": "owner", "password": DEFAULT_PASSWORD})
    assert r.status_code == 429  # no device named: the account is throttled for strangers
    r = app_client.post(
        "/api/v1/auth/login",
        json={"login": "owner", "password": DEFAULT_PASSWORD},
        headers={"X-LMS-Device": device},
    )
    assert r.status_code == 200, r.json
    # A device token of another account, or a forged one, does not help.
    create_user(username="other")
    for forged in (device, device[:-2] + "xx"):
        r = app_client.post(
            "/api/v1/auth/login",
            json={"login": "other" if forged == device else "owner", "password": WRONG},
            headers={"X-LMS-Device": forged},
        )
        assert r.status_code in {401, 429}
    r = app_client.post(
        "/api/v1/auth/login",
        json={"login": "owner", "password": DEFAULT_PASSWORD},
        headers={"X-LMS-Device": device[:-2] + "xx"},
    )
    assert r.status_code == 429


def test_a_known_device_has_its_own_budget(client, create_user, config):
    config(AUTH_LOGIN_LIMIT_DEVICE="3 per minute")
    create_user(username="owner")
    sign_in_form(client, "owner")
    client.submit("/auth/logout", {})
    statuses = [sign_in_form(client, "owner", WRONG).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


# --- a school behind one address ---------------------------------------------------------------


def test_a_school_behind_one_address_registers_and_signs_in(client):
    """40 sign-ups and 300 right passwords from one address, with the default limits."""
    for n in range(40):
        r = client.post(
            "/api/v1/auth/register",
            json={
                "email": f"pupil{n}@school.example",
                "username": f"pupil{n}",
                "password": DEFAULT_PASSWORD,
            },
        )
        assert r.status_code == 201, (n, r.json)
    for n in range(300):
        r = client.post(
            "/api/v1/auth/login", json={"login": f"pupil{n % 40}", "password": DEFAULT_PASSWORD}
        )
        assert r.status_code == 200, (n, r.json)


def test_guessing_across_many_accounts_from_one_address_is_slowed(app, create_user):
    from lms.extensions import db
    from lms.models import User

    with app.app_context():
        for n in range(100):
            user = User(email=f"p{n}@school.example", username=f"p{n}", name=f"P {n}")
            user.set_password(DEFAULT_PASSWORD)
            db.session.add(user)
        db.session.commit()
    attacker = app.test_client()
    statuses, retry_after = [], None
    for n in range(300):
        r = attacker.post("/api/v1/auth/login", json={"login": f"p{n % 100}", "password": WRONG})
        statuses.append(r.status_code)
        if r.status_code == 429 and retry_after is None:
            retry_after = int(r.headers["Retry-After"])
    assert set(statuses) == {401, 429}
    assert statuses.count(401) <= 100 and retry_after is not None and retry_after > 0


@pytest.fixture
def two_app_processes(app, test_config):
    """Two real app processes on free ports, sharing this test's database and Redis."""
    env = {
        **os.environ,
        "LMS_ENV": "testing",
        "DATABASE_URL": test_config["DATABASE_URL"],
        "REDIS_URL": test_config["REDIS_URL"],
        "LMS_INSTANCE_PATH": test_config["LMS_INSTANCE_PATH"],
        "SOCKETIO_ASYNC_MODE": "threading",
        # A short window keeps the test quick; it is the same mechanism as the default.
        "AUTH_LOGIN_LIMIT_ACCOUNT": "5 per 10 seconds",
        "AUTH_LOGIN_LIMIT_ACCOUNT_SOURCE": "5 per 10 seconds",
    }
    script = Path(__file__).with_name("serve_app.py")
    ports = [free_port(), free_port()]
    procs = [
        subprocess.Popen([sys.executable, str(script), str(port)], env=env, stderr=subprocess.PIPE)
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 60
        for url, proc in zip(urls, procs, strict=True):
            while True:
                try:
                    requests.get(url + "/health", timeout=2)
                    break
                except requests.ConnectionError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(proc.stderr.read().decode()) from None
                    time.sleep(0.2)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)


@pytest.mark.slow
def test_wrong_passwords_across_two_processes_get_429(two_app_processes, create_user):
    create_user(email="sam@example.org", username="sam")
    statuses = []
    retry_after = None
    for n in range(20):
        url = two_app_processes[n % 2]
        r = requests.post(
            url + "/api/v1/auth/login", json={"login": "sam", "password": WRONG}, timeout=10
        )
        statuses.append(r.status_code)
        if r.status_code == 429:
            retry_after = int(r.headers["Retry-After"])
    assert statuses[:5] == [401] * 5, statuses
    assert statuses[5:] == [429] * 15, statuses
    assert retry_after is not None and 0 < retry_after <= 10

    def sign_in(url: str) -> requests.Response:
        return requests.post(
            url + "/api/v1/auth/login",
            json={"login": "sam@example.org", "password": DEFAULT_PASSWORD},
            timeout=10,
        )

    # Once the window has passed, the right password works (on either process).
    # Polled: a right password is not a failure, so trying it counts for nothing.
    deadline = time.monotonic() + retry_after + 5
    while sign_in(two_app_processes[0]).status_code == 429:
        assert time.monotonic() < deadline, "still refused after the window"
        time.sleep(0.25)
    for url in two_app_processes:
        r = sign_in(url)
        assert r.status_code == 200, r.text
        assert r.json()["user"]["username"] == "sam"


# --- behind a reverse proxy ------------------------------------------------------------------


@pytest.mark.parametrize("proxies", [0, 1])
def test_limits_and_sign_in_log_see_the_forwarded_address_only_behind_a_proxy(
    app, test_config, proxies
):
    from lms_auth.models import AuthLoginAttempt

    from lms.app import create_app
    from lms.extensions import db

    proxied = create_app(
        {**test_config, "LMS_PROXY_COUNT": proxies, "AUTH_LOGIN_LIMIT_IP": "3 per minute"}
    )
    client = proxied.test_client()
    statuses = [
        client.post(
            "/api/v1/auth/login",
            json={"login": f"nobody{n}@example.org", "password": WRONG},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(4)
    ]
    with proxied.app_context():
        logged = sorted(db.session.scalars(db.select(AuthLoginAttempt.ip)).all())
    if proxies:
        # Four visitors behind the proxy, each with their own budget and log line.
        assert statuses == [401] * 4
        assert logged == [f"203.0.113.{n}" for n in range(4)]
    else:
        # Anyone can write X-Forwarded-For: without a trusted proxy it is ignored.
        assert statuses == [401, 401, 401, 429]
        assert logged == ["127.0.0.1"] * 3
