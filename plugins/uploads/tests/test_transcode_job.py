"""The transcode job, called directly: ladder published once, refusals, re-runs, leftovers.

Real ffmpeg and ffprobe on small synthetic clips; the worker-process behaviour
(SIGKILL, live progress) is in test_transcode_worker.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lms_uploads.media import ladder
from lms_uploads.media.samples import make_clip
from lms_uploads.models import FAILED, PENDING, READY, Video
from lms_uploads.tasks import transcode_video
from lms_uploads.transcode import FINAL_FAILURE, TranscodeError, hls_root

from lms.extensions import db
from lms.models import Task, TaskStatus
from lms.state import lms_state
from lms.storage import get_storage


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    make_clip(folder / "480p.mp4", width=854, height=480, seconds=3)
    return folder


@pytest.fixture
def work_root(app, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "media-work"
    monkeypatch.setitem(app.config, "UPLOADS_WORK_DIR", str(root))
    return root


@pytest.fixture
def video_lesson(create_course, create_section, create_video_lesson, create_user):
    """make(source) -> (lesson id, video id) of a draft video lesson with that source file."""

    def make(source: Path | bytes):
        teacher = create_user(role="instructor", name="Tess Teacher")
        course = create_course(teacher, title="Filming 101")
        section = create_section(course)
        data = source.read_bytes() if isinstance(source, Path) else source
        return create_video_lesson(section, "Lecture", source=data, owner_id=teacher.id)

    return make


def _video(app, video_id: int) -> Video:
    with app.app_context():
        video = db.session.get(Video, video_id)
        db.session.expunge(video)
        return video


def _keys(app, prefix: str) -> list[str]:
    with app.app_context():
        return list(get_storage().list(prefix))


def _run(app, video_id: int) -> dict:
    with app.app_context():
        return transcode_video(video_id)


def test_a_480p_video_gets_480p_and_360p_published_once_with_a_poster(
    app, clips, video_lesson, work_root
):
    lesson_id, video_id = video_lesson(clips / "480p.mp4")
    result = _run(app, video_id)
    assert result["status"] == "ready"

    video = _video(app, video_id)
    assert video.status == READY and video.error is None
    assert [r["name"] for r in video.renditions] == ["480p", "360p"]
    assert video.renditions[0] == {"name": "480p", "height": 480, "width": 854,
                                   "bandwidth": (1498 + 96) * 1000}  # fmt: skip
    assert (video.width, video.height, video.has_audio) == (854, 480, True)
    assert video.duration_seconds == pytest.approx(3, abs=0.1)
    assert video.hls_prefix.startswith(hls_root(video_id))

    keys = _keys(app, hls_root(video_id))
    assert all(key.startswith(video.hls_prefix) for key in keys)  # one ladder, no other
    names = {key.removeprefix(video.hls_prefix) for key in keys}
    assert {"master.m3u8", "480p/index.m3u8", "360p/index.m3u8", "poster.jpg"} <= names
    assert any(n.startswith("480p/seg_") for n in names)
    assert video.thumbnail_key == video.hls_prefix + "poster.jpg"
    with app.app_context():
        master = get_storage().open(video.hls_prefix + "master.m3u8").read().decode()
        from lms_lessons import get_lesson

        assert get_lesson(lesson_id).duration_seconds == 3
    assert "RESOLUTION=854x480" in master and "RESOLUTION=640x360" in master
    assert list(work_root.iterdir()) == []  # the run's work folder is gone


def test_running_it_again_is_safe_and_a_new_run_replaces_the_ladder_once(
    app, clips, video_lesson, work_root
):
    _, video_id = video_lesson(clips / "480p.mp4")
    _run(app, video_id)
    first = _video(app, video_id).hls_prefix
    before = _keys(app, hls_root(video_id))

    # A duplicate run (say, pushed twice) finds the video ready and changes nothing.
    assert _run(app, video_id) == {"status": "skipped", "detail": "already ready"}
    assert _keys(app, hls_root(video_id)) == before

    # A new source (the owner re-uploads): the new ladder replaces the old one.
    with app.app_context():
        db.session.get(Video, video_id).status = PENDING
        db.session.commit()
    _run(app, video_id)
    second = _video(app, video_id).hls_prefix
    assert second != first
    keys = _keys(app, hls_root(video_id))
    assert keys and all(key.startswith(second) for key in keys)
    assert len(keys) == len(before)


def test_what_a_killed_run_left_is_removed_by_the_next_run(app, clips, video_lesson, work_root):
    _, video_id = video_lesson(clips / "480p.mp4")
    # A run killed while copying left half a ladder in storage and its work folder.
    with app.app_context():
        storage = get_storage()
        half = f"{hls_root(video_id)}deadbeef/"
        storage.save(half + "720p/seg_00000.ts", __import__("io").BytesIO(b"half"))
    dead = work_root / f"video-{video_id}-999999-abcd"
    (dead / "out").mkdir(parents=True)
    (dead / "out" / "seg.ts").write_bytes(b"x")

    _run(app, video_id)
    video = _video(app, video_id)
    assert all(key.startswith(video.hls_prefix) for key in _keys(app, hls_root(video_id)))
    assert list(work_root.iterdir()) == []


def test_a_text_file_named_mp4_fails_at_once_with_the_reason_and_no_files(
    app, video_lesson, work_root
):
    _, video_id = video_lesson(b"Week 1 notes: bring a camera.\n" * 50)
    result = _run(app, video_id)
    assert result == {"status": "refused", "detail": "text"}
    video = _video(app, video_id)
    assert video.status == FAILED
    assert video.error == (
        "This is a text file, not a video, whatever its name says. Upload a video file."
    )
    assert video.hls_prefix is None
    assert _keys(app, hls_root(video_id)) == []
    assert list(work_root.iterdir()) == []


def test_an_ffmpeg_failure_is_retried_then_fails_in_words(
    app, clips, video_lesson, work_root, monkeypatch
):
    _, video_id = video_lesson(clips / "480p.mp4")
    monkeypatch.setattr(ladder, "PRESET", "no-such-preset")  # libx264 refuses to start
    with pytest.raises(TranscodeError, match="ffmpeg exited"):
        _run(app, video_id)
    video = _video(app, video_id)
    assert video.status == PENDING and video.error is None  # a retry follows
    assert _keys(app, hls_root(video_id)) == []
    assert list(work_root.iterdir()) == []

    # The last attempt, run the way the worker runs it: the core gives up and
    # the owner reads why, in words.
    from lms.tasks import enqueue, run_task

    with app.app_context():
        task = enqueue(transcode_video, video_id)
        task.attempts = task.max_retries  # the retries are spent
        task_id = task.id
        db.session.get(Video, video_id).task_id = task_id
        db.session.commit()
        db.session.close()  # run_task works in a session of its own
        with pytest.raises(TranscodeError):
            run_task(task_id)
        assert db.session.get(Task, task_id).status == TaskStatus.FAILED
    video = _video(app, video_id)
    assert video.status == FAILED and video.error == FINAL_FAILURE
    assert list(work_root.iterdir()) == []


def test_a_video_without_sound_gets_a_silent_ladder(app, tmp_path, video_lesson, work_root):
    clip = make_clip(tmp_path / "silent.mp4", width=640, height=360, seconds=2, audio=False)
    _, video_id = video_lesson(clip)
    assert _run(app, video_id)["status"] == "ready"
    video = _video(app, video_id)
    assert video.has_audio is False
    assert [r["name"] for r in video.renditions] == ["360p"]
    with app.app_context():
        master = get_storage().open(video.hls_prefix + "master.m3u8").read().decode()
    assert "mp4a" not in master


def test_the_same_job_publishes_to_s3(app, clips, video_lesson, work_root, s3_storage, monkeypatch):
    monkeypatch.setattr(lms_state(app), "storage", s3_storage)
    _, video_id = video_lesson(clips / "480p.mp4")
    assert _run(app, video_id)["status"] == "ready"
    video = _video(app, video_id)
    keys = list(s3_storage.list(hls_root(video_id)))
    assert video.hls_prefix + "master.m3u8" in keys
    assert video.hls_prefix + "360p/index.m3u8" in keys
    assert all(key.startswith(video.hls_prefix) for key in keys)
    assert list(work_root.iterdir()) == []
