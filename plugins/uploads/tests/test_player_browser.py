"""The video player in headless Chromium: hls.js plays the private ladder, quality, speed, progress.

The ladder is real (ffmpeg, three rungs); the page is the lesson page a
student opens; the player fetches the playlists through the access check and
the segments through their signed URLs.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from lms.config import PROJECT_ROOT
from lms.testing.plugin import session_cookie

pytestmark = pytest.mark.browser

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def open_as(app: Any, browser: Any, live_server: Any, make_client: Any, login_as: Any):
    """open_as(user) -> a Page in its own browser context, signed in as `user`."""
    contexts: list[Any] = []

    def make(user: Any, viewport: dict[str, int] | None = None) -> Page:
        context = browser.new_context(base_url=live_server.url, viewport=viewport)
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


def _progress_row(app: Any, user: Any, lesson_id: int) -> Any:
    from lms.extensions import db

    with app.app_context():
        row = db.session.execute(
            db.text(
                "SELECT position_seconds, watched_seconds FROM lessons_progress "
                "WHERE user_id = :u AND lesson_id = :l"
            ),
            {"u": user.id, "l": lesson_id},
        ).first()
        return None if row is None else (row[0], row[1])


def _until(page: Page, script: str, timeout: float = 20) -> None:
    """Poll `script` (a function) until it returns true.

    Not page.wait_for_function: it evaluates strings in the page, which the
    site's Content-Security-Policy (no 'unsafe-eval') rightly refuses.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        if time.monotonic() > deadline:
            state = page.evaluate(
                "() => { const v = document.querySelector('video');"
                " const box = document.querySelector('.video-player');"
                " const h = box.lmsPlayer && box.lmsPlayer.hls();"
                " return {t: v.currentTime, ended: v.ended, paused: v.paused, h: v.videoHeight,"
                " level: h && h.currentLevel, loadLevel: h && h.loadLevel,"
                " buffered: Array.from({length: v.buffered.length},"
                " (_, i) => [v.buffered.start(i), v.buffered.end(i)])}; }"
            )
            raise AssertionError(f"timed out waiting for {script}: {state}")
        page.wait_for_timeout(100)


def _wait_playing(page: Page, seconds: float) -> None:
    _until(page, f"() => document.querySelector('video').currentTime >= {seconds}")


def test_student_plays_switches_quality_and_speed_and_progress_is_saved(
    app: Any, video_world: Any, open_as: Any
) -> None:
    world = video_world()
    page = open_as(world.student)
    posts: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: posts.append(json.loads(r.post_data or "{}"))
        if r.method == "POST" and r.url.endswith(f"/api/v1/lessons/{world.lesson_id}/progress")
        else None,
    )
    segment_urls: list[str] = []
    page.on("request", lambda r: segment_urls.append(r.url) if ".ts" in r.url else None)
    page.goto(f"/lessons/{world.lesson_id}")
    player = page.get_by_test_id("video-player")
    expect(player).to_have_attribute("data-ready", "true")

    # The quality menu: automatic, then each rung highest first.
    quality = page.get_by_label("Quality")
    assert quality.locator("option").all_inner_texts() == ["Auto", "480p", "360p", "240p"]

    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; v.play(); }")
    _wait_playing(page, 1.0)
    assert any("/media-folder/" in u for u in segment_urls)

    # Switching to a rung by hand: hls.js loads that rung and says so.
    quality.select_option(label="240p")
    expect(page.get_by_test_id("video-level")).to_have_text("Playing 240p")
    expect(player).to_have_attribute("data-level", "240p")
    _until(page, "() => document.querySelector('video').videoHeight < 300")
    quality.select_option(label="480p")
    _until(page, "() => document.querySelector('video').videoHeight >= 400")
    quality.select_option(label="Auto")
    expect(page.get_by_test_id("video-level")).to_contain_text("Auto")

    page.get_by_label("Speed").select_option("1.5")
    assert page.evaluate("document.querySelector('video').playbackRate") == 1.5

    _wait_playing(page, 3.0)
    progress_url = f"/api/v1/lessons/{world.lesson_id}/progress"
    with page.expect_response(lambda r: r.url.endswith(progress_url)) as answer:
        page.evaluate("document.querySelector('video').pause()")  # pausing reports at once
    assert answer.value.status == 200
    last = posts[-1]
    assert last["position"] >= 3
    assert 2 <= last["watched_seconds"] <= last["position"] + 1
    row = _progress_row(app, world.student, world.lesson_id)
    assert row is not None and row[0] >= 3 and row[1] >= 2


def test_a_seek_to_the_end_is_not_watching(app: Any, video_world: Any, open_as: Any) -> None:
    world = video_world()
    page = open_as(world.student)
    page.goto(f"/lessons/{world.lesson_id}")
    expect(page.get_by_test_id("video-player")).to_have_attribute("data-ready", "true")
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; v.play(); }")
    _wait_playing(page, 0.5)
    # The end of the video reports at once.
    with page.expect_response(lambda r: r.url.endswith("/progress")):
        page.evaluate("document.querySelector('video').currentTime = 9.5")
        _until(page, "() => document.querySelector('video').ended")
    row = _progress_row(app, world.student, world.lesson_id)
    assert row is not None
    assert row[1] <= 2  # about one second played before the seek and half a second after


def test_resume_from_the_last_position_and_keyboard(
    app: Any, video_world: Any, open_as: Any, create_progress: Any
) -> None:
    world = video_world()
    create_progress(world.student, world.lesson_id, completed=False, position=4, watched_seconds=4)
    page = open_as(world.student)
    page.goto(f"/lessons/{world.lesson_id}")
    expect(page.get_by_test_id("video-resume")).to_contain_text("Resuming where you stopped")
    expect(page.get_by_test_id("video-player")).to_have_attribute("data-ready", "true")
    # hls.js starts loading at the stored position.
    _until(page, "() => document.querySelector('video').currentTime >= 3.5")
    assert page.evaluate("document.querySelector('video').currentTime") == pytest.approx(4, abs=0.6)
    # Keyboard: the video takes focus; arrows seek, > speeds up, k plays.
    video = page.locator("video")
    video.focus()
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.querySelector('video').currentTime") == pytest.approx(0, abs=0.6)
    page.keyboard.press(">")
    assert page.evaluate("document.querySelector('video').playbackRate") == 1.25
    assert page.get_by_label("Speed").input_value() == "1.25"
    page.evaluate("document.querySelector('video').muted = true")
    page.keyboard.press("k")
    _wait_playing(page, 0.5)
    page.keyboard.press("k")
    assert page.evaluate("document.querySelector('video').paused") is True


def test_captions_track_and_accessibility(
    app: Any, video_world: Any, open_as: Any, make_client: Any, login_as: Any
) -> None:
    import io

    world = video_world()
    teacher = login_as(make_client(), world.instructor)
    saved = teacher.post(
        f"/videos/{world.video_id}/captions",
        data={
            "file": (
                io.BytesIO(b"WEBVTT\n\n00:00:00.000 --> 00:00:05.000\nHello class\n"),
                "a.vtt",
            ),
            "language": "en",
            "csrf_token": teacher.csrf_token("/"),
        },
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302
    for viewport in (None, {"width": 390, "height": 844}):
        page = open_as(world.student, viewport)
        page.goto(f"/lessons/{world.lesson_id}")
        expect(page.get_by_test_id("video-player")).to_have_attribute("data-ready", "true")
        tracks = page.evaluate(
            "() => Array.from(document.querySelector('video').textTracks,"
            " t => [t.language, t.label])"
        )
        assert tracks == [["en", "English"]]
        # The C key shows the captions; the cue's text is loaded from the private track URL.
        page.locator("video").focus()
        page.keyboard.press("c")
        _until(
            page,
            "() => { const t = document.querySelector('video').textTracks[0];"
            " return t.mode === 'showing' && !!t.cues && t.cues.length === 1; }",
        )
        assert page.evaluate("document.querySelector('video').textTracks[0].cues[0].text") == (
            "Hello class"
        )
        page.evaluate(AXE.read_text())  # evaluated by the test, not a script of the page
        violations = page.evaluate(
            """async () => (await axe.run(document, {runOnly: {type: 'tag',
                 values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}))
                 .violations.filter(v => ['serious', 'critical'].includes(v.impact))
                 .map(v => v.id + ': ' + v.help)"""
        )
        assert violations == []
        # Nothing is wider than a phone's screen.
        if viewport:
            assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_progress_is_reported_every_ten_seconds_while_playing(
    app: Any, video_world: Any, open_as: Any
) -> None:
    world = video_world()
    page = open_as(world.student)
    page.clock.install()  # the page's timers, under the test's control (time still flows)
    page.goto(f"/lessons/{world.lesson_id}")
    expect(page.get_by_test_id("video-player")).to_have_attribute("data-ready", "true")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.url.endswith("/progress") else None)
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; v.play(); }")
    _wait_playing(page, 1.5)
    assert posts == []  # nothing yet: not paused, not ten seconds
    with page.expect_response(lambda r: r.url.endswith("/progress")) as answer:
        page.clock.fast_forward(10_000)
    assert answer.value.status == 200
    row = _progress_row(app, world.student, world.lesson_id)
    assert row is not None and row[0] >= 1 and row[1] >= 1


def test_captions_page_in_the_browser(
    app: Any, video_world: Any, open_as: Any, tmp_path: Any
) -> None:
    world = video_world()
    page = open_as(world.instructor)
    page.goto(f"/lessons/{world.lesson_id}")
    page.get_by_test_id("manage-captions").click()
    expect(page.get_by_role("heading", name="Captions of “Lights”")).to_be_visible()
    bad = tmp_path / "notes.vtt"
    bad.write_text("These are my notes, not captions.\n")
    page.get_by_label("Caption file").set_input_files(str(bad))
    page.get_by_label("Language code").fill("en")
    page.get_by_role("button", name="Upload captions").click()
    expect(page.locator(".errors")).to_contain_text("This is not a caption file")
    good = tmp_path / "talk.srt"
    good.write_text("1\n00:00:01,000 --> 00:00:02,500\nBonjour\n")
    page.get_by_label("Caption file").set_input_files(str(good))
    page.get_by_label("Language code").fill("fr")
    page.get_by_role("button", name="Upload captions").click()
    expect(page.locator(".flash-success")).to_contain_text(
        "Captions in Français saved (converted from SRT to WebVTT)."
    )
    expect(page.get_by_test_id("captions-list")).to_contain_text("Français")
    page.evaluate(AXE.read_text())
    violations = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}))
             .violations.filter(v => ['serious', 'critical'].includes(v.impact))
             .map(v => v.id + ': ' + v.help)"""
    )
    assert violations == []
    # Deleting asks first, then the track is gone.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Français captions").click()
    expect(page.get_by_test_id("no-captions")).to_be_visible()


def test_expired_segment_links_are_renewed_by_the_player(
    app: Any, video_world: Any, open_as: Any
) -> None:
    from lms.storage import get_storage

    world = video_world()
    with app.app_context():
        storage = get_storage()
    lifetime = app.config.get("UPLOADS_SEGMENT_URL_EXPIRES", 3 * 3600)
    page = open_as(world.student)
    refused: list[str] = []
    page.on("response", lambda r: refused.append(r.url) if r.status == 403 else None)

    def hours_pass_before_the_first_segment(route: Any) -> None:
        # As if the student had left the page open for hours: the server now
        # refuses the links of the playlist the player holds.
        if not refused and storage.clock is time.time:
            storage.clock = lambda: time.time() + lifetime + 60
        route.continue_()

    page.route(re.compile(r".*/media-folder/.*"), hours_pass_before_the_first_segment)
    try:
        page.goto(f"/lessons/{world.lesson_id}")
        # The refused segment makes the player fetch fresh playlists (checked again).
        expect(page.get_by_test_id("video-player")).to_have_attribute("data-reloads", "1")
        page.evaluate(
            "() => { const v = document.querySelector('video'); v.muted = true; v.play(); }"
        )
        _wait_playing(page, 1.0)
        assert refused and all("/media-folder/" in url for url in refused)
        expect(page.get_by_test_id("video-error")).to_be_hidden()
    finally:
        storage.clock = time.time


def test_without_media_source_extensions_the_browser_plays_hls_itself(
    app: Any, video_world: Any, open_as: Any, create_progress: Any
) -> None:
    """Safari's way (iOS has no MSE): the master playlist goes straight to <video>."""
    world = video_world()
    create_progress(world.student, world.lesson_id, completed=False, position=3, watched_seconds=3)
    page = open_as(world.student)
    # As on an iPhone: no Media Source Extensions, so hls.js cannot run.
    page.add_init_script(
        "window.MediaSource = undefined; window.ManagedMediaSource = undefined;"
        " window.WebKitMediaSource = undefined;"
    )
    page.goto(f"/lessons/{world.lesson_id}")
    player = page.get_by_test_id("video-player")
    expect(player).to_have_attribute("data-ready", "true")
    assert page.evaluate("() => window.Hls.isSupported()") is False
    assert page.evaluate("() => document.querySelector('video').src").endswith(
        f"/videos/{world.video_id}/hls/master.m3u8"
    )
    # The browser chooses the quality itself: no menu to offer.
    expect(page.get_by_label("Quality")).to_be_hidden()
    assert page.evaluate("() => document.querySelector('video').currentTime") == pytest.approx(
        3, abs=0.6
    )
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; v.play(); }")
    _wait_playing(page, 4.0)


def test_watching_the_whole_video_completes_the_lesson(
    app: Any, video_world: Any, open_as: Any
) -> None:
    world = video_world()
    page = open_as(world.student)
    page.goto(f"/lessons/{world.lesson_id}")
    expect(page.get_by_test_id("video-player")).to_have_attribute("data-ready", "true")
    page.get_by_label("Speed").select_option("2")
    with page.expect_response(lambda r: r.url.endswith("/progress")) as answer:
        page.evaluate(
            "() => { const v = document.querySelector('video'); v.muted = true; v.play(); }"
        )
        _until(page, "() => document.querySelector('video').ended")
    assert answer.value.json()["completed"] is True
    row = _progress_row(app, world.student, world.lesson_id)
    assert row is not None and row[1] >= 9  # every second played counted, at any speed
    page.reload()
    expect(page.get_by_test_id("lesson-completion")).to_contain_text("You completed this lesson.")
