"""The lesson editor's drop zone in headless Chromium, with tus-js-client against our endpoint.

Progress (percent, speed, time left), several files, cancel, resuming after
the tab was closed, and no serious accessibility violation (axe-core).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from lms_uploads.models import CONSUMED, PENDING, Upload, Video
from playwright.sync_api import Page, expect

from lms.config import PROJECT_ROOT
from lms.extensions import db
from lms.testing.plugin import session_cookie

pytestmark = pytest.mark.browser

MIB = 1024 * 1024
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def small_chunks(app):
    """Send 1 MiB per PATCH so a few MiB make several requests."""
    old = app.config["UPLOADS_CLIENT_CHUNK_BYTES"]
    app.config["UPLOADS_CLIENT_CHUNK_BYTES"] = MIB
    yield
    app.config["UPLOADS_CLIENT_CHUNK_BYTES"] = old


@pytest.fixture
def open_as(app, browser, live_server, make_client, login_as):
    """open_as(user) -> (context, page) signed in as `user`."""
    contexts: list[Any] = []

    def make(user: Any, **options: Any) -> tuple[Any, Page]:
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(15000)
        contexts.append(context)
        client = login_as(make_client(), user)
        client.get("/")
        name, _, value = session_cookie(client, app).partition("=")
        context.add_cookies([{"name": name, "value": value, "url": live_server.url}])
        return context, context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def video_lesson(create_course, create_section, create_video_lesson, instructor):
    course = create_course(instructor, title="Filming 101")
    section_id = create_section(course)
    return create_video_lesson(section_id, "Intro")


def _file(tmp_path: Path, name: str, size: int) -> Path:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path


def _wait_until(page: Page, condition: Any, timeout_ms: int = 15000) -> None:
    """Let the page run (and its routes answer) until `condition()` holds."""
    for _ in range(timeout_ms // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the page did not get there in time")


def _limit_upload_speed(page: Page, bytes_per_second: int) -> None:
    """Throttle the browser's uploads (Chromium's network emulation), so that an
    upload lasts long enough on a fast machine for its speed to be measured."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


def _uploads(app) -> list[Upload]:
    with app.app_context():
        rows = db.session.query(Upload).order_by(Upload.created_at).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_an_upload_shows_its_progress_and_the_video_waits_for_processing(
    app, open_as, instructor, video_lesson, small_chunks, tmp_path
):
    source = _file(tmp_path, "intro.mp4", 6 * MIB)
    _, page = open_as(instructor)
    page.goto(f"/lessons/{video_lesson.lesson_id}/edit")
    expect(page.get_by_text("No video uploaded yet.")).to_be_visible()
    seen: list[str] = []
    page.expose_function("recordText", lambda text: seen.append(text))
    page.evaluate(
        """() => new MutationObserver(() => {
            const t = document.querySelector('[data-upload-text]');
            if (t) { window.recordText(t.textContent); }
        }).observe(document.body, {subtree: true, childList: true, characterData: true})"""
    )
    _limit_upload_speed(page, 4 * MIB)  # about 1.5 s for the 6 MiB
    page.get_by_label("Video file").set_input_files(str(source))

    item = page.locator("[data-upload-item]")
    expect(item).to_have_attribute("data-upload-state", "done", timeout=30000)
    expect(item.get_by_role("status")).to_have_text(
        "Uploaded. The video is being prepared for playback."
    )
    # Percent, speed and time left were shown while it went.
    assert any(re.fullmatch(r"\d+% · [\d.]+ [KMG]B/s · .+ left", t) for t in seen), seen
    # The status box follows the video (it waits in the media queue: no worker here).
    expect(page.locator("[data-video-status]")).to_have_attribute("data-status", PENDING)
    expect(page.locator("[data-video-status-text]")).to_contain_text("waiting to be processed")

    (upload,) = _uploads(app)
    assert upload.status == CONSUMED
    with app.app_context():
        video = db.session.get(Video, video_lesson.video_id)
        assert video.status == PENDING
        assert video.size_bytes == 6 * MIB
    with app.app_context():
        from lms.state import lms_state

        stored = lms_state(app).storage.open(video.source_key).read()
    assert stored == source.read_bytes()


def test_an_upload_resumes_after_the_tab_was_closed(
    app, open_as, instructor, video_lesson, small_chunks, tmp_path
):
    source = _file(tmp_path, "long-lecture.mp4", 6 * MIB)
    context, page = open_as(instructor)
    patches = {"n": 0}

    def cut_after_two(route: Any) -> None:
        if route.request.method == "PATCH":
            patches["n"] += 1
            if patches["n"] > 2:
                route.abort("connectionreset")  # the connection drops
                return
        route.continue_()

    page.route(re.compile(r".*/api/v1/uploads/.*"), cut_after_two)
    page.goto(f"/lessons/{video_lesson.lesson_id}/edit")
    page.get_by_label("Video file").set_input_files(str(source))
    _wait_until(page, lambda: patches["n"] >= 3)  # two chunks stored, the third cut off
    page.close()  # the tab is closed half-way
    (upload,) = _uploads(app)
    assert upload.offset == 2 * MIB

    page = context.new_page()
    page.goto(f"/lessons/{video_lesson.lesson_id}/edit")
    expect(page.locator("[data-upload-resumable]")).to_contain_text(
        "The upload of long-lecture.mp4 was interrupted"
    )
    page.get_by_label("Video file").set_input_files(str(source))
    item = page.locator("[data-upload-item]")
    expect(item).to_have_attribute("data-upload-state", "done", timeout=30000)
    (again,) = _uploads(app)  # the same upload, continued: no second one
    assert again.id == upload.id
    assert again.status == CONSUMED
    with app.app_context():
        from lms.state import lms_state

        assert lms_state(app).storage.open(again.storage_key).read() == source.read_bytes()


def test_cancel_stops_the_upload_and_frees_its_bytes(
    app, open_as, instructor, video_lesson, small_chunks, tmp_path
):
    source = _file(tmp_path, "wrong-file.mp4", 6 * MIB)
    _, page = open_as(instructor)
    patches = {"n": 0}

    def stall_after_one(route: Any) -> None:
        if route.request.method == "PATCH":
            patches["n"] += 1
            if patches["n"] > 1:
                route.abort("connectionreset")
                return
        route.continue_()

    page.route(re.compile(r".*/api/v1/uploads/.*"), stall_after_one)
    page.goto(f"/lessons/{video_lesson.lesson_id}/edit")
    page.get_by_label("Video file").set_input_files(str(source))
    item = page.locator("[data-upload-item]")
    _wait_until(page, lambda: patches["n"] >= 2)  # one chunk stored, the next cut off
    expect(item).to_have_attribute("data-percent", re.compile(r"^\d+$"))
    page.get_by_role("button", name="Cancel the upload of wrong-file.mp4").click()
    expect(item).to_have_attribute("data-upload-state", "cancelled")
    expect(item.get_by_role("status")).to_have_text("Cancelled.")
    assert _uploads(app) == []
    with app.app_context():
        assert db.session.get(Video, video_lesson.video_id).source_key is None


def test_several_files_make_one_video_lesson_each(
    app, open_as, instructor, video_lesson, small_chunks, tmp_path
):
    first = _file(tmp_path, "part-1.mp4", 2 * MIB)
    second = _file(tmp_path, "part-2.mp4", 3 * MIB)
    _, page = open_as(instructor)
    page.goto(f"/lessons/{video_lesson.lesson_id}/edit")
    page.get_by_label("Video file").set_input_files([str(first), str(second)])
    items = page.locator("[data-upload-item]")
    expect(items).to_have_count(2)
    for i in range(2):
        expect(items.nth(i)).to_have_attribute("data-upload-state", "done", timeout=30000)
    expect(page.get_by_role("link", name="Open the lesson “part-2”")).to_be_visible()
    uploads = _uploads(app)
    assert sorted(u.filename for u in uploads) == ["part-1.mp4", "part-2.mp4"]
    assert all(u.status == CONSUMED for u in uploads)
    with app.app_context():
        videos = db.session.query(Video).order_by(Video.id).all()
        assert [v.size_bytes for v in videos] == [2 * MIB, 3 * MIB]
        assert all(v.status == PENDING for v in videos)


def test_a_refused_file_says_why(app, open_as, instructor, video_lesson, tmp_path):
    from lms.settings import set_setting

    with app.app_context():
        set_setting("uploads", "instructor_quota_gb", 1)
        db.session.commit()
    with app.app_context():
        from lms_uploads.models import Upload as U

        # Somebody's earlier, unfinished upload already holds most of the quota.
        from lms.models import utcnow

        db.session.add(
            U(
                owner_id=instructor.id,
                length=1024 * MIB - MIB,
                storage_key="x",
                expires_at=utcnow().replace(year=2100),
                meta={},
            )
        )
        db.session.commit()
    source = _file(tmp_path, "big.mp4", 2 * MIB)
    _, page = open_as(instructor)
    page.goto(f"/lessons/{video_lesson.lesson_id}/edit")
    page.get_by_label("Video file").set_input_files(str(source))
    item = page.locator("[data-upload-item]")
    expect(item).to_have_attribute("data-upload-state", "failed")
    expect(item.get_by_role("status")).to_contain_text("does not fit in your storage quota")


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 375, "height": 740}]
)
def test_the_editor_with_the_drop_zone_has_no_serious_accessibility_violation(
    open_as, instructor, video_lesson, viewport, tmp_path
):
    _, page = open_as(instructor, viewport=viewport, bypass_csp=True)
    page.goto(f"/lessons/{video_lesson.lesson_id}/edit")
    page.evaluate(AXE.read_text())
    violations = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}}))
            .violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id + ': ' + v.help)"""
    )
    assert violations == []
    # Reachable and usable with the keyboard: the file input takes focus.
    page.get_by_label("Video file").focus()
    assert page.evaluate("document.activeElement.id") == "content-video"


def test_the_processing_progress_is_shown_live(
    app, open_as, instructor, video_lesson, small_chunks, tmp_path
):
    """The transcode's progress events (Socket.IO) update the status box without a reload."""
    from lms.realtime import emit

    source = _file(tmp_path, "intro.mp4", 2 * MIB)
    _, page = open_as(instructor)
    page.goto(f"/lessons/{video_lesson.lesson_id}/edit")
    page.get_by_label("Video file").set_input_files(str(source))
    box = page.locator("[data-video-status]")
    expect(box).to_have_attribute("data-status", PENDING, timeout=30000)
    with app.app_context():
        task_id = db.session.get(Video, video_lesson.video_id).task_id
    expect(box).to_have_attribute("data-task-id", str(task_id))
    page.wait_for_function("window.lmsSocket && window.lmsSocket.connected")

    with app.app_context():  # what the worker's report_progress sends
        emit(
            "task_progress",
            {"task_id": task_id, "status": "running", "progress": 37, "message": "2.1x", "eta": 75},
            user_id=instructor.id,
        )
    expect(page.locator("[data-video-status-text]")).to_have_text(
        "Processing the video: 37% · 2.1x · 1 min 15 s left"
    )
    expect(page.locator("[data-video-progress]")).to_have_attribute("value", "37")
    # Someone else's task does not move this page.
    with app.app_context():
        emit(
            "task_progress",
            {
                "task_id": task_id + 1000,
                "status": "running",
                "progress": 90,
                "message": "",
                "eta": 5,
            },
            user_id=instructor.id,
        )
    page.wait_for_timeout(500)
    expect(page.locator("[data-video-status-text]")).to_contain_text("37%")
