"""Issue 8, acceptance 1, in headless Chromium: from the lesson editor to playback in every rung.

The instructor adds a video lesson and uploads a 1080p clip through the page
(tus-js-client) with its progress bar; the web process is killed at about
40 % and started again, and the upload goes on from where the server had
stopped (no second upload, no byte sent twice past that point); a real media
worker (``worker.py media``) transcodes it while the page shows the progress
live; then the lesson plays in hls.js, the quality menu lists 1080p, 720p,
480p and 360p, and switching rungs changes the picture.

The web process runs on its own (not in this test's process) so that killing
it really cuts every connection, as a crashed or restarted server would.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
import requests
from lms_uploads.media.samples import make_clip
from lms_uploads.models import Upload, Video
from playwright.sync_api import Page, expect

from lms.extensions import db
from lms.testing.plugin import session_cookie
from lms.testing.processes import kill_family
from lms.testing.servers import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHUNK = 1024 * 1024
# Upload speed of the browser (bytes/s), so that "about 40 %" lasts long enough to act on.
UPLOAD_THROUGHPUT = 1024 * 1024
# A web process serving just the app, as the production server would (no test code in it).
WEB = (
    "import os\n"
    "from werkzeug.serving import make_server\n"
    "from lms.app import create_app\n"
    "app = create_app()\n"
    "make_server('127.0.0.1', int(os.environ['PORT']), app, threaded=True).serve_forever()\n"
)


@pytest.fixture
def site(
    start_process: Callable[..., subprocess.Popen[bytes]],
) -> Callable[..., subprocess.Popen[bytes]]:
    """Return start(kind, port) -> Popen: "web" (the app on `port`) or "worker" (media queue)."""

    def start(kind: str, port: int) -> subprocess.Popen[bytes]:
        command = (
            [sys.executable, "-c", WEB] if kind == "web" else [sys.executable, "worker.py", "media"]
        )
        proc = start_process(
            command,
            SITE_URL=f"http://127.0.0.1:{port}",
            PORT=port,
            UPLOADS_CLIENT_CHUNK_BYTES=CHUNK,
            # The killed process's lock on the upload expires sooner than in production.
            UPLOADS_LOCK_SECONDS=4,
        )
        if kind == "web":
            _wait_until_up(f"http://127.0.0.1:{port}/", proc)
        return proc

    return start


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the web process exited with {proc.returncode}")
        with suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.2)
    raise AssertionError(f"the web process did not answer within {timeout}s")


def _until(page: Page, script: str, timeout: float = 30) -> Any:
    """Poll `script` (a function) until it returns something true; return it.

    Not page.wait_for_function: it evaluates strings in the page, which the
    site's Content-Security-Policy (no 'unsafe-eval') rightly refuses.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {script}")
        page.wait_for_timeout(100)


def _percent(page: Page) -> int:
    return int(
        page.evaluate(
            "() => { const i = document.querySelector('[data-upload-item]');"
            " return i ? parseInt(i.getAttribute('data-percent') || '0', 10) : 0; }"
        )
    )


def test_instructor_uploads_a_1080p_clip_through_a_server_restart_and_it_plays_in_every_rung(
    app: Any,
    browser: Any,
    site: Callable[..., subprocess.Popen[bytes]],
    create_user: Callable[..., Any],
    create_course: Callable[..., Any],
    create_section: Callable[..., int],
    make_client: Callable[[], Any],
    login_as: Callable[..., Any],
    tmp_path: Path,
) -> None:
    # Short, and 15 frames a second: the 1080p ladder stays quick on a busy machine.
    clip = make_clip(tmp_path / "welcome-1080p.mp4", width=1920, height=1080, seconds=4, fps=15)
    size = clip.stat().st_size
    instructor = create_user(role="instructor", name="Ines Instructor")
    course = create_course(instructor, title="Filming 101")
    create_section(course, "Getting started")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = site("web", port)
    site("worker", port)

    context = browser.new_context(base_url=base)
    context.set_default_timeout(20000)
    client = login_as(make_client(), instructor)
    client.get("/")
    name, _, value = session_cookie(client, app).partition("=")
    context.add_cookies([{"name": name, "value": value, "url": base}])
    page = context.new_page()
    try:
        # --- the instructor adds a video lesson -----------------------------------------
        page.goto(f"/courses/{course.slug}/curriculum")
        section = page.locator(".editor-section").first
        section.get_by_label("New lesson title").fill("Welcome")
        section.get_by_label("Type").select_option("video")
        section.get_by_role("button", name="Add lesson").click()
        expect(page.get_by_role("heading", name="Edit lesson")).to_be_visible()
        match = re.search(r"/lessons/(\d+)/edit", page.url)
        assert match, page.url
        lesson_id = int(match.group(1))
        page.evaluate("() => { window.sameVisit = true; }")  # gone if the page reloads

        # What the status box says, each time it changes (live progress, no reload).
        said: list[str] = []
        page.expose_function("recordStatus", lambda text: said.append(text))
        page.evaluate(
            """() => new MutationObserver(() => {
                const t = document.querySelector('[data-video-status-text]');
                if (t) { window.recordStatus(t.textContent); }
            }).observe(document.body, {subtree: true, childList: true, characterData: true})"""
        )
        patches: list[int] = []
        page.on(
            "request",
            lambda r: patches.append(int(r.headers.get("upload-offset", "-1")))
            if r.method == "PATCH"
            else None,
        )

        # --- upload at a modest speed, with a visible progress bar ------------------------
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": 0,
                "downloadThroughput": -1,
                "uploadThroughput": UPLOAD_THROUGHPUT,
            },
        )
        page.get_by_label("Video file").set_input_files(str(clip))
        item = page.locator("[data-upload-item]")
        expect(item.locator("progress")).to_be_visible()

        # --- at about 40 %, the web process dies ----------------------------------------
        deadline = time.monotonic() + 30
        while _percent(page) < 40:
            assert time.monotonic() < deadline, "the upload never reached 40 %"
            page.wait_for_timeout(50)
        cut_at = _percent(page)
        assert cut_at < 90, "the upload went too fast to be cut half-way"
        kill_family(web)
        with app.app_context():
            (upload,) = db.session.query(Upload).all()
            stored_when_cut = upload.offset
        assert 0 < stored_when_cut < size
        page.wait_for_timeout(1500)  # the browser finds the server gone, and retries
        assert item.get_attribute("data-upload-state") != "done"

        # --- the web process comes back: the upload goes on from where it stopped ----------
        patches_before_restart = len(patches)
        site("web", port)
        expect(item).to_have_attribute("data-upload-state", "done", timeout=60000)
        resumed = patches[patches_before_restart:]
        assert resumed, "no upload request after the restart"
        # The first request after the restart continues at the server's offset, not at 0.
        assert resumed[0] == stored_when_cut, (resumed, stored_when_cut)
        with app.app_context():
            uploads = db.session.query(Upload).all()
            assert len(uploads) == 1 and uploads[0].offset == size  # one upload, continued
            video = db.session.query(Video).filter_by(lesson_id=lesson_id).one()
            video_id = video.id
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )

        # --- the transcode's progress shows live, then the video is ready ------------------
        status = page.locator("[data-video-status]")
        expect(status).to_have_attribute("data-status", "ready", timeout=120000)
        assert page.evaluate("() => window.sameVisit === true")  # nobody reloaded the page
        percents = {
            int(m.group(1)) for t in said if (m := re.search(r"Processing the video: (\d+)%", t))
        }
        assert any(0 < p < 100 for p in percents), said
        expect(page.locator("[data-video-status-text]")).to_contain_text("Ready")
        with app.app_context():
            video = db.session.get(Video, video_id)
            assert [r["name"] for r in video.renditions] == ["1080p", "720p", "480p", "360p"]

        # --- the lesson plays in hls.js, every rung in the quality menu ----------------------
        page.goto(f"/lessons/{lesson_id}")
        player = page.get_by_test_id("video-player")
        expect(player).to_have_attribute("data-ready", "true")
        quality = page.get_by_label("Quality")
        assert quality.locator("option").all_inner_texts() == [
            "Auto",
            "1080p",
            "720p",
            "480p",
            "360p",
        ]
        page.evaluate(
            "() => { const v = document.querySelector('video');"
            " v.muted = true; v.loop = true; v.play(); }"
        )
        _until(page, "() => document.querySelector('video').currentTime > 0.5")
        for label, height in (("360p", 360), ("1080p", 1080), ("480p", 480)):
            quality.select_option(label=label)
            expect(page.get_by_test_id("video-level")).to_have_text(f"Playing {label}")
            _until(
                page,
                f"() => Math.abs(document.querySelector('video').videoHeight - {height}) <= 2",
            )
        quality.select_option(label="Auto")
        expect(page.get_by_test_id("video-level")).to_contain_text("Auto")
    finally:
        context.close()
