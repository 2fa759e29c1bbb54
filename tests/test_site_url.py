"""SITE_URL decides the site's address: accepted Host names, links, cookie security, proxies."""

from __future__ import annotations

import pytest
from flask import Config

from lms.urls import configure_site


def _app(test_config, **overrides):
    from lms.app import create_app

    return create_app({**test_config, **overrides})


def test_a_foreign_host_header_is_refused(client):
    r = client.get("/courses", headers={"Host": "evil.example"})
    assert r.status_code == 400
    r = client.get("/api/v1/auth/me", headers={"Host": "evil.example"})
    assert r.status_code == 400 and r.json["error"]["code"] == "bad_request"
    # The site's own host and the machine itself are served.
    for host in ("localhost", "127.0.0.1:5000"):
        assert client.get("/health", headers={"Host": host}).status_code in {200, 503}


def test_trusted_hosts_come_from_site_url_and_the_extra_setting():
    config = Config(".")
    config.update(
        SITE_URL="https://learn.school.example:8443/lms",
        LMS_TRUSTED_HOSTS=["10.0.0.5"],
        LMS_ENV="production",
    )
    configure_site(config)
    assert config["TRUSTED_HOSTS"] == ["learn.school.example", "localhost", "127.0.0.1", "10.0.0.5"]


def test_production_refuses_to_start_without_site_url(test_config, monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SITE_URL is not set"):
        _app(test_config, LMS_ENV="production", SITE_URL=None)


def test_site_url_must_be_an_http_address():
    config = Config(".")
    config.update(SITE_URL="learn.school.example", LMS_TRUSTED_HOSTS=[], LMS_ENV="development")
    with pytest.raises(RuntimeError, match="not an http"):
        configure_site(config)


def test_https_site_url_makes_cookies_secure(test_config):
    app = _app(test_config, SITE_URL="https://learn.school.example")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    client = app.test_client()
    page = "/auth/login"
    client.get(page, base_url="https://learn.school.example")
    cookie = client.get_cookie("session", domain="learn.school.example")
    assert cookie is not None and cookie.secure
    # Plain http keeps them usable on a laptop.
    assert not _app(test_config, SITE_URL="http://localhost").config["SESSION_COOKIE_SECURE"]


def _remote_addr_app(test_config, count):
    app = _app(test_config, LMS_PROXY_COUNT=count)

    @app.get("/_test/remote-addr")
    def remote_addr():
        from flask import request

        return {"addr": request.remote_addr, "scheme": request.scheme}

    return app


@pytest.mark.parametrize(("count", "seen"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_forwarded_headers_count_only_with_a_trusted_proxy(test_config, count, seen):
    client = _remote_addr_app(test_config, count).test_client()
    r = client.get(
        "/_test/remote-addr",
        headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7", "X-Forwarded-Proto": "https"},
    )
    # With one proxy, only the address that proxy added is believed, not the
    # one the visitor wrote in front of it.
    assert r.json == {"addr": seen, "scheme": "https" if count else "http"}
