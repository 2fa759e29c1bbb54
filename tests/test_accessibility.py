"""axe-core in headless Chromium over the pages each role meets: no serious or critical violation.

Two tests, on the demo school, with axe-core from npm (WCAG 2.x A and AA rules):

- the crawl: pages found the way a person finds them, from a few starting points per role,
  following the site's own links (same origin, GET, no downloads), in English with the light
  scheme, on a desktop and a phone viewport;
- the matrix: the main pages of every plugin (auth, catalog, lessons, live classes, uploads and
  the core) for each role (guest, student, instructor, admin), in English and Arabic (right to
  left), light and dark (the system's colour scheme), on a desktop viewport.

Each prints how many pages and checks it ran. The crawl covers many kinds of page once; the
matrix covers few pages four times, which keeps the run within a few minutes on two cores.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
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


# --- the matrix: main pages x roles x languages x colour schemes ----------------------------

LANGUAGES = ("en", "ar")
SCHEMES = ("light", "dark")
# The main pages of each plugin for each role; {names} come from the demo school (_demo_paths).
MAIN = {
    "guest": [
        "/",  # core
        "/courses",  # catalog
        "{course}",  # catalog, with the lessons' syllabus and the live classes' box
        "/certificates",  # catalog
        "/auth/login",  # auth
        "/auth/register",  # auth
    ],
    "student": [
        "/dashboard",  # catalog
        "/my/courses",  # catalog
        "{lesson}",  # lessons
        "/live/my-classes",  # live classes
        "{live_class}",  # live classes
        "/auth/profile",  # auth
        "/notifications",  # core
    ],
    "instructor": [
        "/teach",  # catalog
        "{teach_course}/edit",  # catalog
        "{teach_course}/curriculum",  # lessons (editor)
        "{teach_lesson}/edit",  # lessons and uploads (the drop zone of a video lesson)
        "/live/courses/{teach_course_id}/classes",  # live classes
    ],
    "admin": [
        "/admin",  # core
        "/admin/settings",  # core
        "/admin/catalog/moderation",  # catalog
        "/admin/catalog/courses",  # catalog
        "/auth/admin/applications",  # auth
        "/auth/admin/login-attempts",  # auth
    ],
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


def _report(capsys, line: str) -> None:
    """Print past pytest's capture: the count is part of the result, not a debug aid."""
    with capsys.disabled():
        print(f"\n{line}")


@pytest.fixture(scope="module")
def axe_tally(request) -> Iterator[dict[str, int]]:
    """Count the module's page checks over its runs; print the total once they are done."""
    tally: dict[str, int] = {}
    yield tally
    if tally:
        line = (
            f"axe: {sum(tally.values())} page checks in all ("
            + ", ".join(f"{run} {count}" for run, count in tally.items())
            + f"; main pages: {sum(len(p) for p in MAIN.values())} over {len(MAIN)} roles"
        )
        line += f" x {len(LANGUAGES)} languages x {len(SCHEMES)} schemes)"
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        if capture is None:
            print(f"\n{line}")
        else:
            with capture.global_and_fixture_disabled():
                print(f"\n{line}")


@pytest.mark.parametrize(
    ("viewport", "per_role", "at_least"),
    [({"width": 1280, "height": 900}, 12, 25), ({"width": 390, "height": 844}, 6, 12)],
    ids=["desktop", "phone"],
)
def test_pages_of_every_role_have_no_serious_accessibility_violation(
    app,
    browser,
    live_server,
    make_client,
    login_as,
    capsys,
    axe_tally,
    viewport,
    per_role,
    at_least,
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
    axe_tally[f"crawl en light {viewport['width']}px"] = total
    counts = ", ".join(f"{role} {len(pages)}" for role, pages in checked.items())
    _report(
        capsys,
        f"axe: {total} page checks (crawl, English, light, {viewport['width']}px: {counts})",
    )
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


def _demo_paths(app) -> dict[str, str]:
    """The demo school's course, lesson and live class that each role's main pages name."""
    from lms_catalog.models import Course, CourseInstructor, Enrollment
    from lms_lessons.models import Lesson
    from lms_live_classes.models import LiveClass

    with app.app_context():
        student, instructor = (
            db.session.scalar(select(User.id).where(User.email == DEMO_ACCOUNTS[role]))
            for role in ("student", "instructor")
        )
        published = (Course.status == "published", Course.deleted_at.is_(None))
        followed = db.session.scalar(
            select(Course)
            .join(Enrollment, Enrollment.course_id == Course.id)
            .join(LiveClass, LiveClass.course_id == Course.id)
            .where(Enrollment.user_id == student, Enrollment.status == "active", *published)
            .order_by(Course.id)
        )
        taught = db.session.scalar(
            select(Course)
            .join(CourseInstructor, CourseInstructor.course_id == Course.id)
            .where(CourseInstructor.user_id == instructor, *published)
            .order_by(Course.id)
        )
        assert followed is not None and taught is not None, "the demo school changed"

        def first_lesson(course_id: int, kind: str | None = None) -> int | None:
            query = select(Lesson.id).where(Lesson.course_id == course_id)
            if kind:
                query = query.where(Lesson.type == kind)
            return db.session.scalar(query.order_by(Lesson.position, Lesson.id))

        live_class = db.session.scalar(
            select(LiveClass.id).where(LiveClass.course_id == followed.id).order_by(LiveClass.id)
        )
        teach_lesson = first_lesson(taught.id, "video") or first_lesson(taught.id)
        return {
            "course": f"/courses/{followed.slug}",
            "lesson": f"/lessons/{first_lesson(followed.id, 'text') or first_lesson(followed.id)}",
            "live_class": f"/live/classes/{live_class}",
            "teach_course": f"/courses/{taught.slug}",
            "teach_course_id": str(taught.id),
            "teach_lesson": f"/lessons/{teach_lesson}",
        }


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_main_pages_of_every_plugin_in_each_language_and_scheme(
    app, browser, live_server, make_client, login_as, capsys, axe_tally, language, scheme
):
    """Each role's main pages in one language and colour scheme (4 runs: en/ar x light/dark)."""
    assert AXE.is_file(), "axe-core is missing: `make setup` installs it from package.json"
    axe_source = Path(AXE).read_text()
    result = app.test_cli_runner().invoke(args=["lms", "seed-demo"])
    assert result.exit_code == 0, result.output
    names = _demo_paths(app)
    failures: list[str] = []
    checks = 0
    for role, paths in MAIN.items():
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": 1280, "height": 900},
            bypass_csp=True,  # axe is injected as a script
            color_scheme=scheme,
            locale=language,
            extra_http_headers={"Accept-Language": language},
        )
        context.set_default_timeout(15000)
        if role != "guest":
            with app.app_context():
                user = db.session.scalar(select(User).where(User.email == DEMO_ACCOUNTS[role]))
            _sign_in(context, live_server, login_as(make_client(), user), app)
        page = context.new_page()
        for template in paths:
            path = template.format(**names)
            where = f"{role} {language} {scheme} {path}"
            response = page.goto(path)
            status = response.status if response is not None else None
            assert status is not None and status < 400, f"{where} answered {status}"
            if page.get_attribute("html", "lang") != language:
                failures.append(f"{where}: the page is not in {language}")
            page.evaluate(axe_source)
            checks += 1
            failures += [
                f"{where}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
                for v in _axe_violations(page)
            ]
        context.close()
    axe_tally[f"main {language} {scheme}"] = checks
    pages = sum(len(paths) for paths in MAIN.values())
    _report(
        capsys,
        f"axe: {checks} page checks ({pages} main pages of {len(MAIN)} roles, {language}, {scheme},"
        " 1280px)",
    )
    assert not failures, "\n".join(failures)
    assert checks == pages
