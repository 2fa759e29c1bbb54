"""Shared pieces of the uploads plugin's tests.

- People, a token, raw tus requests (upload tests).
- Playback: a school, a video lesson, and a real HLS ladder made by ffmpeg. The
  ladder is what a transcode produces (master playlist, one folder per rung with
  its playlist and 2-second MPEG-TS segments), made here with ffmpeg directly so
  the playback tests do not depend on the transcode job.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from lms_uploads.testing import TUS, api_token, tus_metadata


@pytest.fixture
def instructor(create_user: Callable[..., Any]) -> Any:
    return create_user(role="instructor", username="ines")


@pytest.fixture
def bearer(app: Any, instructor: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(app, instructor.username)}", **TUS}


@pytest.fixture
def http(live_server: Any) -> Iterator[Callable[..., requests.Response]]:
    """Return call(method, path, **kwargs) against the live server."""
    session = requests.Session()

    def call(method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else live_server.url + path
        return session.request(method, url, timeout=30, **kwargs)

    yield call
    session.close()


@pytest.fixture
def create_tus_upload(
    http: Callable[..., requests.Response],
) -> Callable[..., str]:
    """Return create(headers, length, **meta) -> the upload's path (POST, checked 201)."""

    def create(headers: dict[str, str], length: int, **meta: Any) -> str:
        r = http(
            "POST",
            "/api/v1/uploads/",
            headers={
                **headers,
                "Upload-Length": str(length),
                "Upload-Metadata": tus_metadata(**meta),
            },
        )
        assert r.status_code == 201, r.text
        return r.headers["Location"]

    return create


# --- playback -------------------------------------------------------------------------

# (name, height, video bitrate): small on purpose, the tests only need real HLS.
SMALL_LADDER = (("480p", 480, "900k"), ("360p", 360, "500k"), ("240p", 240, "250k"))


def make_ladder(
    out: Path,
    rungs: tuple[tuple[str, int, str], ...] = SMALL_LADDER,
    seconds: int = 10,
    width: int = 854,
    height: int = 480,
) -> list[dict[str, Any]]:
    """Write a real HLS ladder into `out` with one ffmpeg process; return its renditions."""
    import imageio_ffmpeg

    out.mkdir(parents=True, exist_ok=True)
    n = len(rungs)
    split = f"[0:v]split={n}" + "".join(f"[s{i}]" for i in range(n)) + ";"
    scales = ";".join(f"[s{i}]scale=-2:{h}[v{i}]" for i, (_name, h, _b) in enumerate(rungs))
    args = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={width}x{height}:rate=30:duration={seconds}",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:duration={seconds}",
        "-filter_complex",
        split + scales,
    ]
    for i in range(n):
        args += ["-map", f"[v{i}]"]
    for _ in range(n):
        args += ["-map", "1:a"]
    for i, (_name, _h, bitrate) in enumerate(rungs):
        args += [f"-b:v:{i}", bitrate, f"-maxrate:v:{i}", bitrate, f"-bufsize:v:{i}", bitrate]
    args += [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "60",
        "-keyint_min",
        "60",
        "-sc_threshold",
        "0",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        "-f",
        "hls",
        "-hls_time",
        "2",
        "-hls_playlist_type",
        "vod",
        "-hls_segment_filename",
        str(out / "%v" / "seg_%03d.ts"),
        "-master_pl_name",
        "master.m3u8",
        "-var_stream_map",
        " ".join(f"v:{i},a:{i},name:{name}" for i, (name, _h, _b) in enumerate(rungs)),
        str(out / "%v" / "index.m3u8"),
    ]
    subprocess.run(args, check=True, timeout=120)
    return [
        {
            "name": name,
            "height": h,
            "width": (h * width // height + 1) // 2 * 2,
            "bandwidth": int(b.rstrip("k")) * 1000,
        }
        for name, h, b in rungs
    ]


@pytest.fixture(scope="session")
def hls_ladder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ladder, made once per test session (ffmpeg takes a few seconds)."""
    folder = tmp_path_factory.mktemp("ladder")
    make_ladder(folder)
    return folder


def store_ladder(storage: Any, prefix: str, folder: Path) -> list[str]:
    """Copy a ladder's files into storage under `prefix`; return their relative names."""
    names = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            name = path.relative_to(folder).as_posix()
            with path.open("rb") as fh:
                storage.save(f"{prefix}/{name}", fh)
            names.append(name)
    return names


@dataclass
class VideoWorld:
    admin: Any
    instructor: Any
    other_instructor: Any
    student: Any
    outsider: Any
    course: Any
    section_id: int
    lesson_id: int
    video_id: int
    prefix: str


@pytest.fixture
def video_world(
    app: Flask,
    create_user: Callable[..., Any],
    create_course: Callable[..., Any],
    create_enrolment: Callable[..., Any],
    create_section: Callable[..., int],
    create_video_lesson: Callable[..., Any],
    hls_ladder: Path,
) -> Callable[..., VideoWorld]:
    """Return make(storage=None, status="ready") -> a course with a ready video lesson.

    People: an admin, the course's instructor, another instructor, an
    enrolled student and a student who is not enrolled.
    """

    def make(storage: Any = None, status: str = "ready") -> VideoWorld:
        from lms_lessons import Lesson
        from lms_uploads.models import Video

        from lms.extensions import db
        from lms.storage import get_storage

        admin = create_user(role="admin", name="Ada Admin")
        instructor = create_user(role="instructor", name="Ines Instructor")
        other = create_user(role="instructor", name="Otto Other")
        student = create_user(role="student", name="Sam Student")
        outsider = create_user(role="student", name="Olga Outsider")
        course = create_course(instructor, title="Filming 101", status="published")
        create_enrolment(student, course)
        section_id = create_section(course)
        ids = create_video_lesson(
            section_id, "Lights", status="published", source=b"not read", owner_id=instructor.id
        )
        lesson_id, video_id = ids.lesson_id, ids.video_id
        prefix = f"videos/{video_id}/hls"
        with app.app_context():
            video = db.session.get(Video, video_id)
            if status == "ready":
                store_ladder(storage or get_storage(), prefix, hls_ladder)
                video.renditions = make_ladder_renditions()
                video.hls_prefix = prefix
            video.status = status
            video.duration_seconds = 10.0
            video.width, video.height, video.has_audio = 854, 480, True
            # As the transcode does: the lesson's duration is the video's.
            db.session.get(Lesson, lesson_id).duration_seconds = 10
            db.session.commit()
        return VideoWorld(
            admin,
            instructor,
            other,
            student,
            outsider,
            course,
            section_id,
            lesson_id,
            video_id,
            prefix,
        )

    return make


def make_ladder_renditions() -> list[dict[str, Any]]:
    return [
        {"name": name, "height": h, "width": (h * 854 // 480 + 1) // 2 * 2, "bandwidth": 0}
        for name, h, _b in SMALL_LADDER
    ]
