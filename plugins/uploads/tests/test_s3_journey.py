"""Issue 8, acceptance 5: the journey on S3 storage (moto's S3 server on loopback, over HTTP).

An instructor uploads a clip with a real tus client (tuspy) in chunks; the
transcode job (RQ's worker loop) probes it and publishes the ladder to the
bucket; an enrolled student plays it: playlists through the app after the
access check, segments as redirects to presigned S3 URLs fetched without any
credentials. Who may not play gets nothing; expired and forged links are
refused; deleting the lesson deletes its files from the bucket.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from lms_uploads.media.samples import make_clip
from lms_uploads.models import Video
from lms_uploads.testing import api_token
from tusclient import client as tus_client

from lms.extensions import db
from lms.state import lms_state

MIB = 1024 * 1024


@pytest.fixture
def on_s3(
    app: Any, s3_storage: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """The app (and the job) store everything in a fresh bucket of moto's S3 server."""
    state = lms_state(app)
    saved, state.storage = state.storage, s3_storage
    monkeypatch.setitem(app.config, "UPLOADS_WORK_DIR", str(tmp_path / "media-work"))
    try:
        yield s3_storage
    finally:
        state.storage = saved


def _uris(playlist: bytes) -> list[str]:
    return [line for line in playlist.decode().splitlines() if line and not line.startswith("#")]


def test_upload_transcode_and_private_playback_on_s3(
    app: Any,
    on_s3: Any,
    live_server: Any,
    worker: Any,
    create_user: Any,
    create_course: Any,
    create_enrolment: Any,
    create_section: Any,
    create_video_lesson: Any,
    make_client: Any,
    login_as: Any,
    tmp_path: Any,
) -> None:
    instructor = create_user(role="instructor", username="ines")
    student = create_user(role="student")
    outsider = create_user(role="student")
    course = create_course(instructor, title="Filming on S3")
    create_enrolment(student, course)
    ids = create_video_lesson(create_section(course), "Welcome", owner_id=instructor.id)

    # --- the upload: tuspy, 1 MiB chunks, into the bucket --------------------------------
    clip = make_clip(tmp_path / "welcome.mp4", width=854, height=480, seconds=4)
    bearer = {"Authorization": f"Bearer {api_token(app, 'ines')}"}
    tus = tus_client.TusClient(live_server.url + "/api/v1/uploads/", headers=bearer)
    uploader = tus.uploader(
        str(clip),
        chunk_size=MIB,
        metadata={"filename": "welcome.mp4", "purpose": "video", "lesson_id": str(ids.lesson_id)},
    )
    uploader.upload()
    with app.app_context():
        video = db.session.get(Video, ids.video_id)
        assert video.status == "pending"
        assert on_s3.size(video.source_key) == clip.stat().st_size

    # --- the transcode, on the media queue -------------------------------------------------
    assert worker.run(["media"]) >= 1
    with app.app_context():
        video = db.session.get(Video, ids.video_id)
        assert video.status == "ready", video.error
        assert [r["name"] for r in video.renditions] == ["480p", "360p"]
        prefix = video.hls_prefix.rstrip("/")
    stored = list(on_s3.list(prefix))
    assert f"{prefix}/master.m3u8" in stored
    assert any(key.endswith(".ts") for key in stored)

    # The lesson is published for students once its video is there.
    teacher = login_as(make_client(), instructor)
    published = teacher.api("PATCH", f"/api/v1/lessons/{ids.lesson_id}", {"status": "published"})
    assert published.status_code == 200, published.data

    # --- the enrolled student plays it ------------------------------------------------------
    viewer = login_as(make_client(), student)
    page = viewer.get(f"/lessons/{ids.lesson_id}")
    assert page.status_code == 200
    assert b'data-testid="video-player"' in page.data
    master_url = f"/videos/{ids.video_id}/hls/master.m3u8"
    master = viewer.get(master_url)
    assert master.status_code == 200
    variants = _uris(master.data)
    assert [v.rsplit("/", 2)[-2] for v in variants] == ["480p", "360p"]
    variant = viewer.get(variants[0])
    assert variant.status_code == 200
    segments = [urljoin(variants[0], uri) for uri in _uris(variant.data)]
    assert len(segments) == 2
    for url in segments:
        redirect = viewer.get(url)
        assert redirect.status_code == 302
        location = redirect.headers["Location"]
        assert location.startswith(on_s3.client.meta.endpoint_url)
        assert "X-Amz-Signature=" in location and "X-Amz-Expires=" in location
        segment = requests.get(location, timeout=10)  # no cookie, no key: the URL alone
        assert segment.status_code == 200
        assert segment.content[:1] == b"\x47"
    # The bucket itself is private: the same object without a signature is refused.
    bare = location.split("?", 1)[0]
    assert requests.get(bare, timeout=10).status_code == 403

    # --- nobody else ------------------------------------------------------------------------
    stranger = login_as(make_client(), outsider)
    assert stranger.get(master_url).status_code == 403
    assert stranger.get(variants[0]).status_code == 403
    assert make_client().get(master_url).status_code == 404

    # --- expired and forged links -------------------------------------------------------------
    on_s3.clock = lambda: time.time() + 4 * 3600
    try:
        assert viewer.get(segments[0]).status_code == 403
    finally:
        on_s3.clock = time.time
    token = segments[0].split("/")[2]
    payload, signature = token.rsplit(".", 1)
    forged = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    assert viewer.get(segments[0].replace(token, forged)).status_code == 403

    # --- deleting the lesson deletes its files from the bucket -------------------------------
    deleted = teacher.api("DELETE", f"/api/v1/lessons/{ids.lesson_id}")
    assert deleted.status_code == 204
    assert list(on_s3.list(f"videos/{ids.video_id}")) == []
