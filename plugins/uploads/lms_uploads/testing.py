"""pytest plugin of the uploads plugin: factories for video lessons and uploads.

Registered through the ``pytest11`` entry point, beside the catalog's and the
lessons' factories, which these build on. Each factory commits and returns ids.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple

import pytest
from flask import Flask

#: The header every tus request carries.
TUS = {"Tus-Resumable": "1.0.0"}


def api_token(app: Flask, login: str, password: str | None = None) -> str:
    """Sign in through the API, as a script would, and return its Bearer token."""
    from lms.testing.plugin import DEFAULT_PASSWORD

    r = app.test_client().post(
        "/api/v1/auth/login", json={"login": login, "password": password or DEFAULT_PASSWORD}
    )
    assert r.status_code == 200, r.json
    return r.json["token"]


def tus_metadata(**values: Any) -> str:
    """Encode an Upload-Metadata header."""
    return ",".join(f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in values.items())


class VideoLesson(NamedTuple):
    lesson_id: int
    video_id: int


@pytest.fixture
def create_video_lesson(
    app: Flask, create_lesson: Callable[..., int]
) -> Callable[..., VideoLesson]:
    """Return a factory: create_video_lesson(section_id, title, source=None, **video) -> ids.

    `source` (bytes or a path) is stored as the video's original file, as a finished
    upload would be (no transcode is queued); `video` sets columns of the Video row
    (status="ready", hls_prefix=..., renditions=[...]).
    """

    def make(
        section_id: int,
        title: str = "A video",
        *,
        status: str = "draft",
        source: bytes | str | None = None,
        owner_id: int | None = None,
        **video_fields: Any,
    ) -> VideoLesson:
        import io
        from pathlib import Path

        from lms_lessons import get_lesson

        from lms.extensions import db
        from lms.storage import get_storage
        from lms_uploads.models import PENDING
        from lms_uploads.videos import source_key, video_for_lesson

        lesson_id = create_lesson(section_id, title, type="video", status="draft")
        with app.app_context():
            lesson = get_lesson(lesson_id)
            video = video_for_lesson(lesson_id)
            assert video is not None
            video.owner_id = owner_id
            if source is not None:
                data = Path(source).read_bytes() if isinstance(source, str) else source
                video.source_key = source_key(video)
                video.size_bytes = get_storage().save(video.source_key, io.BytesIO(data))
                video.status = PENDING
            for key, value in video_fields.items():
                setattr(video, key, value)
            lesson.status = status
            db.session.commit()
            return VideoLesson(lesson_id, video.id)

    return make


@pytest.fixture
def create_upload(app: Flask) -> Callable[..., str]:
    """Return a factory: create_upload(owner_id, length, status="receiving", ...) -> upload id.

    The row alone (declared length, no bytes), e.g. to fill someone's quota.
    """

    def make(
        owner_id: int,
        length: int,
        *,
        status: str = "receiving",
        purpose: str = "file",
        expires_in: timedelta = timedelta(hours=1),
    ) -> str:
        from lms.extensions import db
        from lms.models import utcnow
        from lms_uploads.models import Upload

        with app.app_context():
            upload = Upload(
                owner_id=owner_id,
                purpose=purpose,
                filename="fixture.bin",
                length=length,
                offset=0,
                storage_key=f"uploads/{owner_id}/fixture",
                meta={},
                status=status,
                expires_at=utcnow() + expires_in,
            )
            db.session.add(upload)
            db.session.commit()
            return upload.id

    return make
