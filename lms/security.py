"""Security headers on every response, with a CSP that still allows our video embeds."""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, g
from werkzeug.exceptions import SecurityError
from werkzeug.wsgi import get_host

from lms.urls import site_url


def csp_nonce() -> str:
    """Return this request's nonce for inline <script nonce=...> blocks."""
    if not hasattr(g, "csp_nonce"):
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _storage_origin(app: Flask) -> str:
    """Return where signed media URLs point when files live in S3 ("" for local storage)."""
    if app.config["STORAGE_BACKEND"] != "s3":
        return ""
    endpoint = app.config.get("STORAGE_S3_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        return f"{parts.scheme}://{parts.netloc}"
    return "https://*.amazonaws.com"


def content_security_policy(app: Flask, nonce: str) -> str:
    frames = " ".join(app.config["LMS_FRAME_SOURCES"])
    storage = _storage_origin(app)
    images = " ".join([storage, *app.config["LMS_IMAGE_SOURCES"]])
    site = urlsplit(site_url(app))
    # Socket.IO's WebSocket to the site itself ('self' covers it only in newer browsers).
    socket = f"{'wss' if site.scheme == 'https' else 'ws'}://{site.netloc}"
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        # No 'unsafe-inline': templates carry no style attributes, and sanitised
        # Markdown keeps none either.
        "style-src": "'self'",
        "img-src": f"'self' data: blob: {images}",
        "media-src": f"'self' blob: {storage}",  # HLS segments may come from S3
        "font-src": "'self' data:",
        "connect-src": f"'self' {socket} {storage}",  # hls.js fetches segments too
        "frame-src": f"'self' {frames}",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'self'",
    }
    return "; ".join(" ".join(f"{k} {v}".split()) for k, v in directives.items())


def add_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(app, csp_nonce()))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        # Live classes need camera and microphone inside the Jitsi frame.
        headers.setdefault(
            "Permissions-Policy",
            'camera=(self "https://meet.jit.si"), '
            'microphone=(self "https://meet.jit.si"), geolocation=()',
        )
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin-allow-popups")
        if app.config["LMS_HSTS"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


class TrustedHostsMiddleware:
    """Refuse (400) requests whose Host is not the site's, before any view or template runs.

    A forged Host must never reach code that builds links. Flask's own check
    (TRUSTED_HOSTS) fires only when a view is dispatched, after request hooks
    and while error pages still try to build URLs; this one answers at the
    door, for pages, the API and Socket.IO alike.
    """

    def __init__(self, wsgi_app: Any, trusted_hosts: list[str]) -> None:
        self.wsgi_app = wsgi_app
        self.trusted_hosts = trusted_hosts

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        try:
            get_host(environ, self.trusted_hosts)
        except SecurityError:
            message = "This site does not answer to that host name."
            if environ.get("PATH_INFO", "").startswith("/api/"):
                response = Response(
                    json.dumps({"error": {"code": "bad_request", "message": message}}),
                    status=400,
                    mimetype="application/json",
                )
            else:
                response = Response(message, status=400, mimetype="text/plain")
            return response(environ, start_response)
        return self.wsgi_app(environ, start_response)
