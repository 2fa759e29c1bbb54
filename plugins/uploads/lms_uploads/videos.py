"""Services of the video lesson type: its content row, its source file, its files' end.

Services flush; the request or job that calls them commits.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from lms.commit import on_commit
from lms.errors import ServiceError
from lms.extensions import db
from lms.i18n import _
from lms.models import utcnow
from lms.storage import get_storage
from lms_uploads.models import (
    AWAITING_UPLOAD,
    COMPLETE,
    CONSUMED,
    EXPIRED,
    FAILED,
    PENDING,
    RECEIVING,
    Upload,
    Video,
)

log = logging.getLogger(__name__)


class VideoError(ServiceError):
    """A refused action on a video (answered as the core's JSON error)."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("code", "video_error")
        kwargs.setdefault("status", 409)
        super().__init__(message, **kwargs)


def source_key(video: Video) -> str:
    """Where a video's original file lives in storage."""
    return f"videos/{video.id}/source"


def video_for_lesson(lesson_id: int) -> Video | None:
    return db.session.scalar(select(Video).where(Video.lesson_id == lesson_id))


def ensure_video(lesson: Any, owner_id: int | None = None) -> Video:
    """Return the video row of a "video" lesson, creating it (awaiting its upload)."""
    video = video_for_lesson(lesson.id)
    if video is None:
        video = Video(
            lesson_id=lesson.id,
            course_id=lesson.course_id,
            owner_id=owner_id,
            status=AWAITING_UPLOAD,
            renditions=[],
        )
        db.session.add(video)
        db.session.flush()
    return video


def start_transcode(video: Video, user_id: int | None) -> None:
    """Queue the transcode of `video`'s source (pushed once the caller commits)."""
    from lms.tasks import enqueue
    from lms_uploads.tasks import transcode_video

    task = enqueue(transcode_video, video.id, user_id=user_id, unique_key=f"video:{video.id}")
    video.status = PENDING
    video.error = None
    video.task_id = task.id
    video.updated_at = utcnow()


def attach_upload_to_video(upload: Upload, video: Video) -> None:
    """Make the finished `upload` the source of `video` and queue its transcode.

    The upload's bytes move to ``videos/<id>/source`` (tus uploads aimed at a
    video are written there directly, so usually nothing moves).
    """
    if upload.status != COMPLETE:
        raise VideoError(_("The upload is not finished yet."), code="upload_unfinished")
    target = source_key(video)
    if upload.storage_key != target:
        storage = get_storage()
        storage.copy(upload.storage_key, target)
        old = upload.storage_key
        on_commit(lambda: storage.delete(old))
        upload.storage_key = target
    video.source_key = target
    video.size_bytes = upload.length
    video.owner_id = upload.owner_id
    video.attempts = 0
    upload.status = CONSUMED
    start_transcode(video, upload.owner_id)
    db.session.flush()
    log.info("upload %s attached to video %s", upload.id, video.id)


def retry_video(video: Video, user_id: int | None) -> None:
    """Queue a failed video's transcode again (the owner's retry button)."""
    if video.status != FAILED:
        raise VideoError(
            _("Only a video whose processing failed can be retried."), code="not_failed"
        )
    if not video.source_key:
        raise VideoError(_("Upload the video first."), code="no_source")
    video.attempts = 0
    start_transcode(video, user_id)
    db.session.flush()


def delete_video_files(video: Video) -> None:
    """Delete every stored file of `video` and its unfinished uploads (after the commit)."""
    prefix = video.storage_prefix
    pending = db.session.scalars(
        select(Upload).where(
            Upload.status.in_((RECEIVING, COMPLETE)), Upload.storage_key == source_key(video)
        )
    ).all()
    from lms_uploads.expiry import discard_upload_bytes

    for upload in pending:
        discard_upload_bytes(upload)
        upload.status = EXPIRED
    on_commit(lambda: get_storage().delete_prefix(prefix))
    log.info("video %s: files under %s go with its lesson", video.id, prefix)
