"""Issue 9, acceptance 1, in headless Chromium: one seat, a waitlist, an offer, a live roster.

An instructor schedules and starts a class with 1 seat; student A joins and sees the
room; student B sees "full" and waitlist position 1; A leaves; B is offered the seat
within the grace period and joins; the instructor's roster updates without reloading.
The room is chat-only (provider "none": no internet here).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from lms.config import PROJECT_ROOT
from lms.testing.plugin import session_cookie

pytestmark = pytest.mark.browser

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def open_as(app, browser, live_server, make_client, login_as):
    """open_as(user) -> a Page in its own browser context, signed in as `user`."""
    contexts: list[Any] = []

    def make(user: Any) -> Page:
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(15000)
        contexts.append(context)
        client = login_as(make_client(), user)
        client.get("/")
        name, _, value = session_cookie(client, app).partition("=")
        context.add_cookies([{"name": name, "value": value, "url": live_server.url}])
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _serious_axe_violations(page: Page) -> list[dict]:
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help}));
        }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def test_one_seat_waitlist_offer_and_live_roster(open_as, school):
    teacher = open_as(school.instructor)
    teacher.goto(f"/live/courses/{school.course.id}/classes/new")
    teacher.get_by_label("Title").fill("Optics, live")
    teacher.get_by_label("Date").fill((date.today() + timedelta(days=1)).isoformat())
    teacher.get_by_label("Start time").fill("10:00")
    teacher.get_by_label("Duration (minutes)").fill("60")
    teacher.get_by_label("Seats (students at most)").fill("1")
    teacher.get_by_role("button", name="Schedule the class").click()
    expect(teacher.get_by_role("button", name="Start the class")).to_be_visible()
    class_url = teacher.url
    teacher.get_by_role("button", name="Start the class").click()
    teacher.get_by_role("link", name="Open the room").click()
    expect(teacher.locator("#seat-status")).to_contain_text("staff take no seat")
    summary = teacher.locator("#roster-summary")
    expect(summary).to_have_text("0 of 1 seats taken, 0 waiting.")

    alice = open_as(school.student)  # student A
    alice.goto(class_url)
    alice.get_by_role("link", name="Join").click()
    expect(alice.locator("#seat-status")).to_have_text("You are in the class.")
    expect(alice.get_by_role("heading", name="Chat")).to_be_visible()
    expect(alice.get_by_role("button", name="Leave the class")).to_be_visible()
    assert _serious_axe_violations(alice) == []

    bob = open_as(school.other_student)  # student B
    bob.goto(class_url)
    bob.get_by_role("link", name="Join").click()
    expect(bob.locator("#seat-status")).to_contain_text("The class is full")
    expect(bob.locator("#seat-status")).to_contain_text("number 1 on the waitlist")
    expect(bob.get_by_role("heading", name="Chat")).to_be_hidden()

    # The instructor's roster, live: A seated, B waiting.
    expect(summary).to_have_text("1 of 1 seats taken, 1 waiting.")
    expect(teacher.locator("#roster-seated")).to_contain_text("Sam Student")
    expect(teacher.locator("#roster-waitlist")).to_contain_text("Nia Newcomer")

    alice.get_by_role("button", name="Leave the class").click()
    expect(alice.locator("#seat-status")).to_have_text("You left the class.")

    # Offered within the grace period (offers last 60 s by default).
    expect(bob.locator("#seat-status")).to_contain_text(
        re.compile(r"A seat is free for you: take it within \d+ seconds")
    )
    bob.get_by_role("button", name="Take the seat").click()
    expect(bob.locator("#seat-status")).to_have_text("You are in the class.")

    expect(summary).to_have_text("1 of 1 seats taken, 0 waiting.")
    expect(teacher.locator("#roster-seated")).to_contain_text("Nia Newcomer")
    expect(teacher.locator("#roster-seated")).not_to_contain_text("Sam Student")

    # Chat reaches the instructor live, too.
    bob.get_by_label("Message").fill("Hello from the back row")
    bob.get_by_role("button", name="Send").click()
    expect(teacher.locator("#chat-messages")).to_contain_text("Hello from the back row")
    assert _serious_axe_violations(teacher) == []
