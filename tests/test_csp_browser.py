"""The Content-Security-Policy holds in Chromium: pages each role meets report no violation.

The CSP has no 'unsafe-inline' for styles and narrow img/media/connect sources;
a template, a script or a library that relies on more shows up here as a
"Refused to ..." report in the browser's console.
"""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urlsplit

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import User

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SKIP = re.compile(
    r"/(logout|sign-?out|deactivate)|/api/v1|\.(pdf|ics|csv|zip|m3u8|ts|mp4|png|jpe?g|svg|webp)$"
    r"|/download|/certificate\.pdf|/media/|/files/|/vendor/|/static/|/oauth|/login/(google|github)"
)
START = {
    "guest": ["/", "/courses", "/auth/login", "/api/docs"],
    "student": ["/my/courses", "/dashboard", "/auth/profile", "/notifications"],
    "instructor": ["/teach", "/courses/new"],
    "admin": ["/admin/catalog/moderation", "/auth/admin/login-attempts"],
}
ACCOUNTS = {
    "student": "student@demo.school",
    "instructor": "amara.okafor@demo.school",
    "admin": "admin@demo.school",
}
PER_ROLE = 10


def _crawl(page, origin: str, start: list[str]) -> list[str]:
    seen: set[str] = set()
    shapes: set[str] = set()
    queue = list(start)
    while queue and len(seen) < PER_ROLE:
        path = queue.pop(0)
        shape = re.sub(r"/[^/?]*\d[^/?]*|\?.*$", "/*", path)
        if path in seen or shape in shapes:
            continue
        seen.add(path)
        shapes.add(shape)
        response = page.goto(path)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        page.wait_for_load_state("networkidle")
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parts = urlsplit(urldefrag(href)[0])
            if f"{parts.scheme}://{parts.netloc}" == origin and not SKIP.search(parts.path):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return sorted(seen)


def test_pages_of_every_role_report_no_csp_violation(
    app, browser, live_server, make_client, login_as
):
    result = app.test_cli_runner().invoke(args=["lms", "seed-demo"])
    assert result.exit_code == 0, result.output
    violations: list[str] = []
    visited = 0
    for role, start in START.items():
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(15000)
        if role != "guest":
            with app.app_context():
                user = db.session.scalar(select(User).where(User.email == ACCOUNTS[role]))
            client = login_as(make_client(), user)
            client.get("/")
            cookie = client.get_cookie("session")
            context.add_cookies(
                [{"name": "session", "value": cookie.value, "url": live_server.url}]
            )
        page = context.new_page()
        page.on(
            "console",
            lambda msg, role=role, page=page: violations.append(f"{role} {page.url}: {msg.text}")
            if "Content Security Policy" in msg.text
            else None,
        )
        visited += len(_crawl(page, live_server.url, start))
        context.close()
    assert visited >= 20
    assert violations == []
