"""Absolute URLs from the configured site URL, never from a request's Host header.

Mails, notifications, calendar files and API answers carry links that leave the
page; a forged `Host:` must not end up in them. Every absolute URL the site
writes goes through `external_url()`, in a request, a worker or a command alike.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Config, Flask, current_app

DEFAULT_SITE_URL = "http://localhost:5000"


def site_url(app: Flask | None = None) -> str:
    """Return the configured site URL without a trailing slash."""
    app = app or current_app
    return (app.config.get("SITE_URL") or DEFAULT_SITE_URL).rstrip("/")


def site_host(app: Flask | None = None) -> str:
    """Return the host (with port, when not the scheme's default) of the site URL."""
    return urlsplit(site_url(app)).netloc


def external_url(endpoint: str, app: Flask | None = None, **values: Any) -> str:
    """Build the absolute URL of `endpoint` on the configured site."""
    app = app or current_app
    parts = urlsplit(site_url(app))
    adapter = app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def path_for(endpoint: str, app: Flask | None = None, **values: Any) -> str:
    """Build the site-relative path of `endpoint` (for stored links), in or out of a request."""
    app = app or current_app
    parts = urlsplit(site_url(app))
    adapter = app.url_map.bind(parts.netloc, script_name=parts.path or "/")
    return adapter.build(endpoint, values)


# Always accepted besides the site's own host: the machine itself (health checks,
# `make run` on a laptop, the test servers).
LOCAL_HOSTS = ("localhost", "127.0.0.1")


def configure_site(config: Config) -> None:
    """Derive the accepted Host names and cookie security from SITE_URL.

    Production refuses to start without SITE_URL: links in mails would
    otherwise point at a guess.
    """
    url = config.get("SITE_URL")
    if not url:
        if config.get("LMS_ENV") == "production":
            raise RuntimeError(
                "SITE_URL is not set. Set it to the address people use to reach the site, "
                "e.g. SITE_URL=https://learn.school.example (links in mails are built from it)."
            )
        url = DEFAULT_SITE_URL
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise RuntimeError(
            f"SITE_URL={url!r} is not an http:// or https:// address with a host name."
        )
    # Flask refuses (400) any request whose Host is not one of these.
    config["TRUSTED_HOSTS"] = [parts.hostname, *LOCAL_HOSTS, *config["LMS_TRUSTED_HOSTS"]]
    if parts.scheme == "https":
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
        config["PREFERRED_URL_SCHEME"] = "https"


def safe_next(target: str | None) -> str | None:
    """Return `target` if it is a local path (no scheme, no host, no tricks), else None."""
    if not target or len(target) > 2000:
        return None
    if any(ord(c) < 32 or c == "\\" for c in target):
        return None  # browsers treat "\" like "/", and control characters get stripped
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
