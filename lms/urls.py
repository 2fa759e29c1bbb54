"""Absolute URLs from the configured site URL, never from a request's Host header.

Mails, notifications, calendar files and API answers carry links that leave the
page; a forged `Host:` must not end up in them. Every absolute URL the site
writes goes through `external_url()`, in a request, a worker or a command alike.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app

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
