"""The pages in headless Chromium: axe-core (desktop and phone), the phone layout, the keyboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from lms.config import PROJECT_ROOT
from lms.extensions import db
from lms.testing.plugin import session_cookie

pytestmark = pytest.mark.browser

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def open_as(app, browser, live_server, make_client, login_as):
    """open_as(user, viewport=None) -> a Page in its own browser context, signed in as `user`."""
    contexts: list[Any] = []

    def make(user: Any, viewport: dict | None = None, color_scheme: str = "light") -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport or {"width": 1280, "height": 900},
            color_scheme=color_scheme,
            bypass_csp=True,  # axe is injected as a script, which the CSP forbids to pages
        )
        context.set_default_timeout(10000)
        contexts.append(context)
        client = login_as(make_client(), user)
        client.get("/")
        name, _, value = session_cookie(client, app).partition("=")
        context.add_cookies([{"name": name, "value": value, "url": live_server.url}])
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _violations(page: Page) -> list[str]:
    page.evaluate(Path(AXE).read_text())
    found = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}}))
            .violations.map(v => ({id: v.id, impact: v.impact,
                                   nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    return [
        f"{v['impact']} {v['id']} {v['nodes']}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def _world(app, school, create_live_class, create_section, create_lesson):
    from lms_live_classes.models import AttendanceInterval, LiveClass

    lesson = create_lesson(create_section(school.course), "Live: forces", type="live_class")
    upcoming = create_live_class(school.course, title="Forces, live", lesson_id=lesson)
    ended = create_live_class(
        school.course, title="Energy review", starts_in=-timedelta(hours=3), status="ended"
    )
    with app.app_context():
        row = db.session.get(LiveClass, ended.id)
        row.ended_at = row.started_at + timedelta(minutes=60)
        db.session.add(
            AttendanceInterval(
                class_id=ended.id,
                user_id=school.student.id,
                joined_at=row.started_at,
                left_at=row.started_at + timedelta(minutes=50),
                last_seen_at=row.started_at + timedelta(minutes=50),
            )
        )
        db.session.commit()
    return upcoming, ended, lesson


@pytest.mark.parametrize(
    ("language", "scheme"), [("en", "light"), ("ar", "dark")], ids=["en-light", "ar-dark"]
)
@pytest.mark.parametrize(
    "viewport",
    [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
    ids=["desktop", "phone"],
)
def test_every_page_passes_axe_and_fits_a_phone(
    app, school, open_as, create_live_class, create_section, create_lesson, viewport, language,
    scheme,
):  # fmt: skip
    from lms.models import User

    upcoming, ended, lesson = _world(app, school, create_live_class, create_section, create_lesson)
    with app.app_context():  # Arabic runs right to left: the same pages, mirrored
        for person in (school.instructor, school.student):
            db.session.get(User, person.id).language = language
        db.session.commit()
    course = school.course.id
    pages = {
        "instructor": [
            f"/live/courses/{course}/classes",
            f"/live/courses/{course}/classes/new",
            f"/live/classes/{upcoming.id}",
            f"/live/classes/{upcoming.id}/edit",
            f"/live/classes/{ended.id}/attendance",
            f"/live/courses/{course}/attendance-rules",
            "/live/my-classes",
        ],
        "student": [
            f"/live/classes/{ended.id}",
            f"/live/classes/{upcoming.id}",
            "/live/my-classes",
            "/live/my-attendance",
            f"/lessons/{lesson}",
            f"/courses/{school.course.slug}",
        ],
    }
    failures = []
    for role, paths in pages.items():
        page = open_as(getattr(school, role), viewport, scheme)
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            failures += [f"{role} {path}: {v}" for v in _violations(page)]
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at {viewport}"
    assert failures == []


def test_an_instructor_schedules_and_starts_a_class_with_the_keyboard(app, school, open_as):
    page = open_as(school.instructor)
    page.goto(f"/courses/{school.course.slug}")
    page.get_by_role("link", name="Schedule a class").click()
    expect(page.get_by_role("heading", name="Schedule a class")).to_be_visible()

    day = (datetime.now(UTC) + timedelta(days=3)).date()
    page.get_by_label("Title").focus()
    page.keyboard.type("Circuits, live")
    page.keyboard.press("Tab")  # description
    page.keyboard.type("Bring a multimeter.")
    page.keyboard.press("Tab")  # date
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Start time").fill("17:45")
    page.get_by_label("Duration (minutes)").fill("50")
    page.get_by_label("Seats (students at most)").fill("1")
    page.get_by_label("Seats (students at most)").press("Enter")

    expect(page.get_by_role("heading", name="Circuits, live")).to_be_visible()
    expect(page.get_by_text("The class is scheduled.")).to_be_visible()
    expect(page.get_by_text("50 minutes")).to_be_visible()
    start = page.get_by_role("button", name="Start the class")
    start.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("The class is live: students can join now.")).to_be_visible()

    from lms_live_classes.models import LiveClass

    with app.app_context():
        row = db.session.scalars(db.select(LiveClass)).one()
        assert (row.title, row.seats, row.duration_minutes, row.status) == (
            "Circuits, live",
            1,
            50,
            "live",
        )
        assert row.starts_at == datetime.combine(day, datetime.min.time(), UTC).replace(
            hour=17, minute=45
        )
