"""axe-core in headless Chromium over the pages each role meets: no serious or critical violation.

The pages are found the way a person finds them: from a few starting points per role, following
the site's own links (same origin, GET, no downloads), on the demo school. Each page is checked
with axe-core from npm (WCAG 2.x A and AA rules) on a desktop and a phone viewport.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from sqlalchemy import select

from lms.config import PROJECT_ROOT
from lms.extensions import db
from lms.models import User

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Links a crawl must not follow: they change state, download a file, or leave the pages.
SKIP = re.compile(
    r"/(logout|sign-?out|deactivate)|/api/|\.(pdf|ics|csv|zip|m3u8|ts|mp4|png|jpe?g|svg|webp)$|/download"
    r"|/certificate\.pdf|/media/|/files/|/vendor/|/static/|/oauth|/login/(google|github)"
)
START = {
    "guest": [
        "/",
        "/courses",
        "/auth/login",
        "/auth/register",
        "/auth/password/forgot",
        "/certificates",
    ],
    "student": [
        "/my/courses",
        "/dashboard",
        "/courses",
        "/auth/profile",
        "/notifications",
        "/auth/instructor",
        "/my/certificates",
        "/teach",
    ],
    "instructor": ["/teach", "/courses/new", "/auth/profile", "/my/courses"],
    "admin": [
        "/admin",
        "/admin/catalog/moderation",
        "/admin/catalog/courses",
        "/admin/catalog/categories",
        "/auth/admin/applications",
        "/auth/admin/login-attempts",
        "/",
    ],
}
DEMO_ACCOUNTS = {
    "student": "student@demo.school",
    "instructor": "amara.okafor@demo.school",
    "admin": "admin@demo.school",
}


def _axe_violations(page) -> list[dict]:
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                runOnly: {type: 'tag',
                          values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
            });
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
            }));
        }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def _same_site_links(page, origin: str) -> Iterable[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    for href in hrefs:
        url, _ = urldefrag(href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path):
            continue
        yield parts.path + (f"?{parts.query}" if parts.query else "")


def _crawl(
    page, origin: str, start: list[str], axe_source: str, limit: int
) -> dict[str, list[dict]]:
    """Visit up to `limit` pages breadth-first; return each page's violations."""
    seen: dict[str, list[dict]] = {}
    queue = list(start)
    shapes: set[str] = set()
    while queue and len(seen) < limit:
        path = queue.pop(0)
        # One page per URL shape (/courses/a and /courses/b look alike): more kinds of page.
        shape = re.sub(r"/[^/?]*\d[^/?]*|\?.*$", "/*", path)
        if path in seen or shape in shapes:
            continue
        response = page.goto(path)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        shapes.add(shape)
        page.evaluate(axe_source)
        seen[path] = _axe_violations(page)
        assert response.status < 500, f"{path} answered {response.status}"
        queue.extend(p for p in _same_site_links(page, origin) if p not in seen)
    return seen


def _sign_in(context, live_server, client, app) -> None:
    client.get("/")
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


@pytest.mark.parametrize(
    ("viewport", "per_role", "at_least"),
    [({"width": 1280, "height": 900}, 12, 25), ({"width": 390, "height": 844}, 6, 12)],
    ids=["desktop", "phone"],
)
def test_pages_of_every_role_have_no_serious_accessibility_violation(
    app, browser, live_server, make_client, login_as, viewport, per_role, at_least
):
    assert AXE.is_file(), "axe-core is missing: `make setup` installs it from package.json"
    axe_source = Path(AXE).read_text()
    result = app.test_cli_runner().invoke(args=["lms", "seed-demo"])
    assert result.exit_code == 0, result.output
    checked: dict[str, dict[str, list[dict]]] = {}
    for role, start in START.items():
        # axe is injected as a script, which the site's CSP rightly forbids to pages.
        context = browser.new_context(base_url=live_server.url, viewport=viewport, bypass_csp=True)
        context.set_default_timeout(15000)
        if role != "guest":
            with app.app_context():
                user = db.session.scalar(select(User).where(User.email == DEMO_ACCOUNTS[role]))
            _sign_in(context, live_server, login_as(make_client(), user), app)
        page = context.new_page()
        checked[role] = _crawl(page, live_server.url, start, axe_source, per_role)
        context.close()

    total = sum(len(pages) for pages in checked.values())
    print(f"\naxe-core checked {total} pages at {viewport['width']}px: " + ", ".join(
        f"{role} {len(pages)}" for role, pages in checked.items()
    ))  # fmt: skip
    failures = [
        f"{role} {path}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
        for role, pages in checked.items()
        for path, violations in pages.items()
        for v in violations
    ]
    assert not failures, "\n".join(failures)
    assert total >= at_least, f"only {total} pages were reached"
    for role, pages in checked.items():
        assert len(pages) >= 3, f"{role}: only {sorted(pages)} reached"
