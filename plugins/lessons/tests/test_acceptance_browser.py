"""Issue 4, acceptance 2: the whole journey in headless Chromium, pages only.

An instructor creates a course, builds two sections and four lessons (text and
file) in the course editor, reorders lessons by drag and drop, submits it; an
admin sends it back with feedback; the instructor reads it and resubmits; the
admin publishes it; a guest finds it by searching; a student enrols, reads,
downloads the file, marks everything complete and gets a valid certificate.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from lms.testing.plugin import session_cookie

pytestmark = pytest.mark.browser


@pytest.fixture
def open_as(app, browser, live_server, make_client, login_as):
    """open_as(user) -> a Page in its own browser context, signed in as `user` (None: guest)."""
    contexts: list[Any] = []

    def make(user: Any) -> Page:
        context = browser.new_context(base_url=live_server.url, accept_downloads=True)
        context.set_default_timeout(10000)
        contexts.append(context)
        if user is not None:
            client = login_as(make_client(), user)
            client.get("/")  # let the session cookie settle in the client's jar
            name, _, value = session_cookie(client, app).partition("=")
            context.add_cookies([{"name": name, "value": value, "url": live_server.url}])
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def lesson_titles(page: Page, section: Any) -> list[str]:
    return [t.strip() for t in section.locator(".editor-lesson-title > a").all_inner_texts()]


def add_lesson(page: Page, section: Any, title: str, type_name: str) -> None:
    section.get_by_label("New lesson title").fill(title)
    section.get_by_label("Type").select_option(type_name)
    section.get_by_role("button", name="Add lesson").click()
    expect(page.get_by_role("heading", name="Edit lesson")).to_be_visible()


def drag(page: Page, source: Any, target: Any) -> None:
    """Drag `source` (a handle) onto the upper half of `target` with real mouse moves."""
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    steps = 12
    for i in range(1, steps + 1):
        y = start["y"] + (end["y"] + 2 - start["y"]) * i / steps
        page.mouse.move(end["x"] + end["width"] / 2, y)
        page.wait_for_timeout(30)
    page.mouse.up()


def test_browser_journey_to_certificate(app, school, open_as, pdf, tmp_path: Path):
    teacher = open_as(school.instructor)

    # --- the instructor creates the course ---------------------------------------------
    teacher.goto("/courses/new")
    teacher.get_by_label("Title", exact=True).fill("Pond Life for Beginners")
    teacher.get_by_label("Description (Markdown)").fill(
        "Meet the **zooplankton** living in a school pond."
    )
    teacher.get_by_role("button", name="Create course").click()
    expect(teacher.get_by_role("heading", name="Edit Pond Life for Beginners")).to_be_visible()
    edit_url = teacher.url
    teacher.get_by_role("link", name="Edit sections and lessons").click()
    expect(teacher.get_by_role("heading", name="Sections and lessons")).to_be_visible()
    editor_url = teacher.url

    for title in ("Sampling the pond", "Under the microscope"):
        teacher.get_by_label("Section title").fill(title)
        teacher.get_by_role("button", name="Add section").click()
        expect(teacher.locator(".editor-section h2", has_text=title)).to_be_visible()

    first = teacher.locator(".editor-section", has_text="Sampling the pond")
    for title, free in (("Why ponds matter", True), ("Safety first", False)):
        add_lesson(teacher, first, title, "text")
        teacher.get_by_label("Text (Markdown)").fill(f"## {title}\n\nPonds are full of life.")
        teacher.get_by_label("Status").select_option("published")
        if free:
            teacher.get_by_label("Free preview").check()
        teacher.get_by_role("button", name="Save lesson").click()
        expect(teacher.get_by_text("Lesson saved.")).to_be_visible()
        teacher.goto(editor_url)

    second = teacher.locator(".editor-section", has_text="Under the microscope")
    pdf_path = tmp_path / "identification-key.pdf"
    pdf_path.write_bytes(pdf)
    add_lesson(teacher, second, "Identification key", "file")
    teacher.get_by_label("File", exact=True).set_input_files(str(pdf_path))
    teacher.get_by_label("Status").select_option("published")
    teacher.get_by_role("button", name="Save lesson").click()
    expect(teacher.get_by_text("Lesson saved.")).to_be_visible()
    expect(teacher.get_by_text("Current file: identification-key.pdf")).to_be_visible()
    teacher.goto(editor_url)
    add_lesson(teacher, second, "Daphnia up close", "text")
    teacher.get_by_label("Text (Markdown)").fill("```python\nprint('daphnia')\n```")
    teacher.get_by_label("Status").select_option("published")
    teacher.get_by_role("button", name="Save lesson").click()
    expect(teacher.get_by_text("Lesson saved.")).to_be_visible()

    # --- drag and drop: "Safety first" before "Why ponds matter" ------------------------------
    teacher.goto(editor_url)
    expect(teacher.locator(".curriculum-editor.can-drag")).to_be_visible()  # SortableJS loaded
    first = teacher.locator(".editor-section", has_text="Sampling the pond")
    assert lesson_titles(teacher, first) == ["Why ponds matter", "Safety first"]
    rows = first.locator(".editor-lesson")
    with teacher.expect_response(lambda r: r.url.endswith("/lessons/reorder")) as saved:
        drag(teacher, rows.nth(1).locator(".drag-handle"), rows.nth(0))
    assert saved.value.status == 200
    teacher.reload()
    first = teacher.locator(".editor-section", has_text="Sampling the pond")
    assert lesson_titles(teacher, first) == ["Safety first", "Why ponds matter"]

    # --- review: rejected with feedback, resubmitted, approved ----------------------------
    teacher.goto(edit_url)
    teacher.get_by_role("button", name="Submit for review").click()
    admin = open_as(school.admin)
    admin.goto("/admin/catalog/moderation")
    admin.get_by_label("Feedback for the instructor").fill("Please add a note on washing hands.")
    admin.get_by_role("button", name="Send back with feedback").click()
    teacher.goto(edit_url)
    expect(teacher.get_by_text("Please add a note on washing hands.")).to_be_visible()
    teacher.get_by_role("button", name="Submit for review").click()
    admin.goto("/admin/catalog/moderation")
    admin.get_by_role("button", name="Approve and publish").click()
    expect(admin.get_by_text("Nothing to review")).to_be_visible()

    # --- a guest finds it ---------------------------------------------------------------------
    guest = open_as(None)
    guest.goto("/courses?q=zooplankton")
    guest.get_by_role("link", name="Pond Life for Beginners").first.click()
    expect(guest.get_by_role("heading", name="Pond Life for Beginners", level=1)).to_be_visible()
    expect(guest.locator("#syllabus")).to_contain_text("Safety first")

    # --- a student enrols, learns, downloads, completes ----------------------------------------
    student = open_as(school.student)
    student.goto(guest.url)
    student.get_by_role("button", name=re.compile("Enrol")).click()
    student.locator("#syllabus").get_by_role("link", name="Safety first").click()
    expect(student.get_by_role("heading", name="Safety first", level=1)).to_be_visible()
    for expected in ("Safety first", "Why ponds matter", "Identification key", "Daphnia up close"):
        expect(student.get_by_role("heading", name=expected, level=1)).to_be_visible()
        if expected == "Identification key":
            with student.expect_download() as download:
                student.get_by_test_id("download-file").click()
            saved_to = tmp_path / "downloaded.pdf"
            download.value.save_as(saved_to)
            assert saved_to.read_bytes() == pdf
            assert download.value.suggested_filename == "identification-key.pdf"
        student.get_by_role("button", name="Mark as complete").click()
    expect(student.get_by_text("You have finished the course")).to_be_visible()
    # The last lesson links straight to the certificate.
    expect(
        student.locator(".course-finished").get_by_role("link", name="View your certificate")
    ).to_be_visible()
    sidebar = student.locator(".lesson-sidebar")
    expect(sidebar.locator(".syllabus-lesson.is-done")).to_have_count(4)

    student.goto(guest.url)
    expect(student.get_by_text("100% complete")).to_be_visible()
    student.get_by_role("link", name="View your certificate").click()
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", student.content()).group(0)
    guest.goto(f"/certificates/{code}")
    expect(guest.locator(".verify-result")).to_contain_text("valid")
    expect(guest.locator(".verify-result")).not_to_contain_text("not valid")
