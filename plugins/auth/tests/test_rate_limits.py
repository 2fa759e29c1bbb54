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
