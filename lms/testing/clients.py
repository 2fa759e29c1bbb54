"""A Flask test client that submits forms the way a browser does, CSRF token included."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

_TOKEN_RE = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|'
    r'<meta name="csrf-token" content="([^"]+)"'
)


def csrf_token_in(html: str) -> str | None:
    match = _TOKEN_RE.search(html)
    return (match.group(1) or match.group(2)) if match else None


class FormClient(FlaskClient):
    def csrf_token(self, page: str = "/", required: bool = True) -> str | None:
        """Open `page` and return the CSRF token it carries."""
        response = self.get(page, follow_redirects=True)
        token = csrf_token_in(response.get_data(as_text=True))
        if token is None and required:
            raise AssertionError(f"no CSRF token on {page} (status {response.status_code})")
        return token

    def submit(
        self,
        url: str,
        data: dict[str, Any] | None = None,
        *,
        page: str | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        """GET `page` (default: `url`), then POST `data` with the page's CSRF token."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(page or url))
        return self.post(url, data=data, **kwargs)

    def api(
        self, method: str, url: str, json: Any = None, token: str | None = None, **kwargs: Any
    ) -> TestResponse:
        """Call the JSON API with a bearer token, or with the session and its CSRF header."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif method.upper() not in ("GET", "HEAD", "OPTIONS") and "X-CSRFToken" not in headers:
            # Pages carry the token only for signed-in people, the only ones
            # whose session calls need it.
            token = self.csrf_token(required=False)
            if token:
                headers["X-CSRFToken"] = token
        return self.open(url, method=method.upper(), json=json, headers=headers, **kwargs)
