"""Transcodes through real worker processes (`python worker.py media`), as production runs them.

Issue acceptance 2: SIGKILL the worker half-way through a transcode and start
a new one: the video reaches ready with no human action, its files exist
once, no temporary files remain. Its owner watches the progress live over
Socket.IO, and waiting transcodes learn their place in line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import psutil
import pytest
from lms_uploads.media.samples import make_clip
from lms_uploads.models import READY, Video
from lms_uploads.transcode import announce_queue_positions, hls_root, queue_position
from lms_uploads.videos import start_transcode

from lms.extensions import db
from lms.models import Task, TaskStatus
from lms.storage import get_storage
from lms.testing.plugin import session_cookie
from lms.testing.processes import kill_family

pytestmark = pytest.mark.slow

SECONDS = 10  # long enough to be killed half-way (2 s segments: 5 per rung)


def _wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def media_worker(start_worker: Callable[..., Any]) -> Callable[[Path], Any]:
    """start(work_dir) -> Popen of `python worker.py media` working in `work_dir`."""
    return lambda work_dir: start_worker("media", UPLOADS_WORK_DIR=str(work_dir))


@pytest.fixture
def owner_and_lesson(app, client, create_user, login_as, create_course, create_section,
                     create_video_lesson, tmp_path):  # fmt: skip
    teacher = create_user(role="instructor", name="Tess Teacher")
    login_as(client, teacher)
    course = create_course(teacher, title="Filming 101")
    section = create_section(course)

    def make(title: str, **clip: Any) -> int:
        path = make_clip(tmp_path / f"{title}.mp4", **clip)
        return create_video_lesson(section, title, source=str(path), owner_id=teacher.id).video_id

    return teacher, make


def _row(app, model: Any, key: int) -> Any:
    with app.app_context():
        row = db.session.get(model, key)
        db.session.expunge(row)
        return row


def _ffmpeg_using(folder: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        with suppress(psutil.Error):
            if "ffmpeg" in (proc.info["name"] or "") and str(folder) in " ".join(
                proc.info["cmdline"] or []
            ):
                found.append(proc)
    return found


def test_a_worker_killed_mid_transcode_loses_nothing_and_leaves_nothing(
    app, client, owner_and_lesson, socket_connect, media_worker, tmp_path
):
    teacher, make = owner_and_lesson
    video_id = make("Lecture", width=1920, height=1080, seconds=SECONDS)
    client.get("/notifications")
    sio = socket_connect(cookie=session_cookie(client, app))
    events: list[dict[str, Any]] = []
    sio.on("task_progress", events.append)

    work_root = tmp_path / "media-work"
    with app.app_context():
        start_transcode(db.session.get(Video, video_id), teacher.id)
        db.session.commit()
        task_id = db.session.get(Video, video_id).task_id
    first = media_worker(work_root)

    # Half-way through the ladder (progress 3..95 is the encode).
    _wait_for(lambda: _row(app, Task, task_id).progress >= 35, 240, "the transcode to pass 35%")
    assert _row(app, Video, video_id).status == "processing"
    assert _ffmpeg_using(work_root), "ffmpeg should be encoding in the work folder"
    # The owner's page saw the encode move, with its speed and the time left.
    encoding = [e for e in events if e.get("status") == "running" and e.get("progress", 0) > 3]
    assert encoding, events
    assert re.fullmatch(r"Converting the video \(\d+\.\dx real time\)\.", encoding[-1]["message"])
    assert encoding[-1]["eta"] is not None and encoding[-1]["eta"] >= 0

    # The worker and its work horse; ffmpeg is left to die by itself. Nothing gets to clean up.
    kill_family(first, spare=lambda p: "ffmpeg" in p.name())
    # ffmpeg dies with its parent (PR_SET_PDEATHSIG) instead of running on unowned.
    _wait_for(lambda: not _ffmpeg_using(work_root), 15, "the orphaned ffmpeg to die")
    assert any(work_root.iterdir())  # the killed run's folder is still there...
    assert _row(app, Task, task_id).status == TaskStatus.RUNNING

    media_worker(work_root)  # ...until a new worker's run takes the video up again
    _wait_for(lambda: _row(app, Video, video_id).status == READY, 400, "the video to be ready")
    _wait_for(
        lambda: _row(app, Task, task_id).status == TaskStatus.FINISHED, 30, "the task to finish"
    )
    task = _row(app, Task, task_id)
    assert task.attempts == 2 and task.progress == 100

    video = _row(app, Video, video_id)
    assert [r["name"] for r in video.renditions] == ["1080p", "720p", "480p", "360p"]
    with app.app_context():
        keys = list(get_storage().list(hls_root(video_id)))
    # One published ladder: nothing of the killed run, each segment once.
    assert keys and all(key.startswith(video.hls_prefix) for key in keys)
    segments = SECONDS // 2
    for rung in ("1080p", "720p", "480p", "360p"):
        names = [k for k in keys if k.startswith(f"{video.hls_prefix}{rung}/seg_")]
        assert len(names) == segments, (rung, names)
    assert list(work_root.iterdir()) == []  # no temporary files remain
    _wait_for(
        lambda: any(e.get("status") == "finished" and e.get("task_id") == task_id for e in events),
        15,
        "the finished event",
    )


def test_waiting_transcodes_learn_their_place_in_line(
    app, client, owner_and_lesson, socket_connect
):
    teacher, make = owner_and_lesson
    first = make("First", seconds=1)
    second = make("Second", seconds=1)
    client.get("/notifications")
    sio = socket_connect(cookie=session_cookie(client, app))
    events: list[dict[str, Any]] = []
    sio.on("task_progress", events.append)

    with app.app_context():
        for video_id in (first, second):
            start_transcode(db.session.get(Video, video_id), teacher.id)
        db.session.commit()
        tasks = [db.session.get(Video, v).task_id for v in (first, second)]
        assert [queue_position(t) for t in tasks] == [1, 2]
        announce_queue_positions()  # what each transcode does when it starts and ends
    assert [_row(app, Task, t).message for t in tasks] == [
        "Waiting to be processed: next in line.",
        "Waiting to be processed: 1 ahead in line.",
    ]
    _wait_for(lambda: len(events) >= 2, 15, "the queue positions to reach the page")
    assert {(e["task_id"], e["position"], e["status"]) for e in events} == {
        (tasks[0], 1, "queued"),
        (tasks[1], 2, "queued"),
    }
