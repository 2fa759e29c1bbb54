"""Acceptance 2 in Chromium: the school in Arabic, right to left, on a phone.

With ``Accept-Language: ar`` at 390 px wide, the home page, the catalog, a course, a lesson,
the sign-in page and the admin's pages are in Arabic (``<html lang="ar" dir="rtl">``, Arabic
script in the menu and the page), nothing sticks out of the viewport sideways, and dates
are written the Arabic way. Then a student who picks French in the profile gets the next page
in French. A third test holds the main pages to 320 px and to 200 % zoom (WCAG 1.4.10
reflow, 1.4.4 resize text) in both directions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import User

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARABIC = re.compile(r"[\u0600-\u06ff]")
# A date written for Arabic readers, as Babel's "ar" formats write it: an Arabic month name
# (long formats: "2 ديسمبر 2026"), or day/month/year with right-to-left marks around the
# slashes (short formats: "2\u200f/12\u200f/2026"), or Arabic-Indic digits ("٢/١٢/٢٠٢٦").
ARABIC_MONTHS = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "إبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)
ARABIC_DATE = re.compile(
    r"[0-9\u0660-\u0669]{1,2}\s*(?:" + "|".join(ARABIC_MONTHS) + r")"
    r"|[0-9]{1,2}\u200f/[0-9]{1,2}\u200f/[0-9]{2,4}"
    r"|[\u0660-\u0669]{1,4}[\u200f\u061c]?[/\u060c\-][\u200f\u061c]?[\u0660-\u0669]{1,2}"
)
ENGLISH_MONTH = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b"
)

PHONE = {"width": 390, "height": 844}
SMALLEST = {"width": 320, "height": 640}
# A 1280 x 900 screen at 200 % zoom lays pages out in 640 x 450 CSS pixels.
ZOOMED = {"width": 640, "height": 450}

# Whatever sticks out of the viewport sideways, unless an ancestor that fits scrolls or clips
# it (a wide table scrolls inside its own box: WCAG 1.4.10 allows that for data tables).
OVERFLOW_JS = """() => {
    const width = window.innerWidth;
    const found = [];
    const root = document.documentElement;
    if (root.scrollWidth > width) found.push(`the page is ${root.scrollWidth}px wide`);
    const fits = (r) => r.left >= -1 && r.right <= width + 1;
    const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (el.classList.length ? '.' + [...el.classList].join('.') : '');
    for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.width < 2 || r.height < 2 || fits(r)) continue;
        const style = getComputedStyle(el);
        if (style.visibility === 'hidden' || style.clipPath.startsWith('inset(50%')) continue;
        let clipped = false;
        for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
            const s = getComputedStyle(a);
            if (/(auto|scroll|hidden|clip)/.test(s.overflowX) && fits(a.getBoundingClientRect())) {
                clipped = true;
                break;
            }
        }
        if (!clipped) {
            found.push(`${name(el)} spans ${Math.round(r.left)}..${Math.round(r.right)}px`
                + ` ("${(el.innerText || '').trim().slice(0, 40)}")`);
        }
    }
    return found.slice(0, 8);
}"""


def _demo(app: Any) -> dict[str, Any]:
    """Seed the demo school; return the paths the tests visit and the people who visit them."""
    result = app.test_cli_runner().invoke(args=["lms", "seed-demo"])
    assert result.exit_code == 0, result.output
    from lms_catalog.models import Course, Enrollment
    from lms_lessons.models import Lesson
    from lms_live_classes.models import SCHEDULED, LiveClass

    with app.app_context():
        people = {
            role: db.session.scalar(select(User).where(User.email == email))
            for role, email in (("student", "student@demo.school"), ("admin", "admin@demo.school"))
        }
        course = db.session.scalar(
            select(Course)
            .join(Enrollment, Enrollment.course_id == Course.id)
            .join(LiveClass, LiveClass.course_id == Course.id)
            .where(Enrollment.user_id == people["student"].id, Enrollment.status == "active")
            .where(Course.status == "published", Course.deleted_at.is_(None))
            .order_by(Course.id)
        )
        assert course is not None, "the demo student follows no course with live classes"
        lesson_id = db.session.scalar(
            select(Lesson.id)
            .where(Lesson.course_id == course.id, Lesson.status == "published")
            .order_by(Lesson.position, Lesson.id)
        )
        class_id = db.session.scalar(
            select(LiveClass.id)
            .where(LiveClass.course_id == course.id, LiveClass.status == SCHEDULED)
            .order_by(LiveClass.starts_at)
        )
        db.session.expunge_all()
    return {
        "people": people,
        "course": f"/courses/{course.slug}",
        "lesson": f"/lessons/{lesson_id}",
        "live_class": f"/live/classes/{class_id}",
    }


def _pages(demo: dict[str, Any]) -> dict[str, list[str]]:
    """The pages of acceptance 2, by who opens them."""
    return {
        "guest": ["/", "/courses", demo["course"], "/auth/login"],
        "student": [demo["lesson"], demo["live_class"], "/auth/profile"],
        "admin": [
            "/admin",
            "/admin/catalog/moderation",
            "/admin/catalog/courses",
            "/admin/catalog/categories",
            "/auth/admin/applications",
            "/auth/admin/login-attempts",
            "/admin/settings",
        ],
    }


@pytest.fixture
def open_context(browser, live_server, app, make_client, login_as) -> Iterator[Any]:
    """Return open(person, language, viewport) -> a browser context (closed after the test)."""
    opened: list[Any] = []

    def open_(person: Any, language: str, viewport: dict[str, int]) -> Any:
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport,
            locale=language,
            extra_http_headers={"Accept-Language": language},
        )
        context.set_default_timeout(15000)
        if person is not None:
            client = login_as(make_client(), person)
            client.get("/")
            cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
            context.add_cookies(
                [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
            )
        opened.append(context)
        return context

    yield open_
    for context in opened:
        context.close()


def _visit(page: Any, path: str) -> None:
    response = page.goto(path)
    status = response.status if response is not None else None
    assert status is not None and status < 400, f"{path} answered {status}"


def _direction_problems(page: Any, path: str) -> list[str]:
    """What is not Arabic and right to left about the page in `page`."""
    problems = []
    lang = page.get_attribute("html", "lang")
    direction = page.get_attribute("html", "dir")
    if lang != "ar" or direction != "rtl":
        problems.append(f'{path}: <html lang="{lang}" dir="{direction}">, not lang="ar" dir="rtl"')
    # The menu's entries (folded away behind its button on a phone, so read from the DOM) and
    # the page's own words around what people wrote (titles and lessons stay as written).
    menu = page.locator("header nav").first.text_content() or ""
    main = page.locator("main").first.inner_text()
    if not ARABIC.search(menu):
        problems.append(f"{path}: no Arabic in the menu: {' '.join(menu.split())[:200]!r}")
    if not ARABIC.search(main):
        problems.append(f"{path}: no Arabic in the page: {' '.join(main.split())[:200]!r}")
    return problems


def _overflow(page: Any, path: str, width: int) -> list[str]:
    return [f"{path} at {width}px: {what}" for what in page.evaluate(OVERFLOW_JS)]


def test_arabic_pages_are_right_to_left_fit_a_phone_and_write_dates_in_arabic(app, open_context):
    demo = _demo(app)
    problems: list[str] = []
    dates: dict[str, list[str]] = {}
    checked = 0
    for role, paths in _pages(demo).items():
        page = open_context(demo["people"].get(role), "ar", PHONE).new_page()
        for path in paths:
            _visit(page, path)
            checked += 1
            problems += _direction_problems(page, path)
            problems += _overflow(page, path, PHONE["width"])
            dates[path] = page.locator("main time").all_inner_texts()
    # The live class's page shows when it starts (in <time>): an Arabic month or digits.
    shown = dates[demo["live_class"]]
    match = next((m for m in map(ARABIC_DATE.search, shown) if m), None)
    if match is None:
        problems.append(f"{demo['live_class']}: no date in Arabic format among {shown!r}")
    english = [(path, t) for path, times in dates.items() for t in times if ENGLISH_MONTH.search(t)]
    if english:
        problems.append(f"dates with an English month name: {english[:5]!r}")
    print(f"\nRTL: {checked} Arabic pages at {PHONE['width']}px, date seen: {match and match[0]!r}")
    assert not problems, "\n".join(problems)


def test_french_chosen_in_the_profile_changes_the_next_page(app, open_context):
    demo = _demo(app)
    student = demo["people"]["student"]
    page = open_context(student, "ar", PHONE).new_page()
    _visit(page, "/auth/profile")
    assert page.get_attribute("html", "lang") == "ar"
    form = page.locator("main form").filter(has=page.locator("select[name='language']")).first
    assert form.count(), "the profile form has no language field"
    form.locator("select[name='language']").select_option("fr")
    form.locator("[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "fr", page.url
    assert page.get_attribute("html", "dir") == "ltr"

    # The next page, and the one after, speak French to that person wherever they sign in.
    _visit(page, "/courses")
    assert page.get_attribute("html", "lang") == "fr"
    french = page.locator("header nav").first.text_content()
    english_page = open_context(None, "en", PHONE).new_page()
    _visit(english_page, "/courses")
    english = english_page.locator("header nav").first.text_content()
    assert french != english, f"the menu is still in English: {english!r}"
    with app.app_context():
        assert db.session.get(User, student.id).language == "fr"


@pytest.mark.parametrize(
    ("language", "viewport"),
    [("ar", SMALLEST), ("en", SMALLEST), ("ar", ZOOMED)],
    ids=["ar-320px", "en-320px", "ar-200%-zoom"],
)
def test_main_pages_reflow_at_320_pixels_and_200_percent_zoom(
    app, open_context, language, viewport
):
    demo = _demo(app)
    problems: list[str] = []
    for role, paths in _pages(demo).items():
        page = open_context(demo["people"].get(role), language, viewport).new_page()
        for path in paths:
            _visit(page, path)
            problems += _overflow(page, path, viewport["width"])
            # The phone menu opens from the keyboard (its checkbox stays focusable), and its
            # links fit too.
            if role == "guest" and path == "/" and page.locator(".nav-toggle-label").is_visible():
                page.focus("#nav-toggle")
                page.keyboard.press("Space")
                if not page.locator(".menu-main").is_visible():
                    problems.append(
                        f"{path} at {viewport['width']}px: Space does not open the menu"
                    )
                problems += _overflow(page, "/ (menu open)", viewport["width"])
    assert not problems, "\n".join(problems)
