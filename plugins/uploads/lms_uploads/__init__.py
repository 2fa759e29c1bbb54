"""lms-uploads: resumable uploads (tus), the "video" lesson type, transcoding and playback.

This module is the plugin's public API; other plugins import only what
``__all__`` lists. Any plugin that needs a file from a browser sends it through
the tus endpoint ``/api/v1/uploads/`` (README: "Uploading a file"), with the
metadata ``purpose`` naming what it is for, then takes the finished upload::

    from lms_uploads import COMPLETE, get_upload

    upload = get_upload(upload_id, owner=current_user)   # None: not theirs / unknown
    if upload is not None and upload.status == COMPLETE:
        ...  # read get_storage().open(upload.storage_key), then consume_upload(upload)

Videos: ``attach_upload_to_video(upload, video)`` makes a finished upload a
video's source and queues its transcode (the tus endpoint does it by itself
for uploads whose metadata names a ``lesson_id`` of a video lesson).
"""

from lms_uploads.models import (
    AWAITING_UPLOAD,
    COMPLETE,
    CONSUMED,
    EXPIRED,
    FAILED,
    PENDING,
    PROCESSING,
    READY,
    RECEIVING,
    Caption,
    Upload,
    Video,
)
from lms_uploads.uploads import consume_upload, get_upload
from lms_uploads.videos import (
    VideoError,
    attach_upload_to_video,
    ensure_video,
    source_key,
    video_for_lesson,
)

__all__ = [
    "AWAITING_UPLOAD",
    "COMPLETE",
    "CONSUMED",
    "EXPIRED",
    "FAILED",
    "PENDING",
    "PROCESSING",
    "READY",
    "RECEIVING",
    "Caption",
    "Upload",
    "Video",
    "VideoError",
    "attach_upload_to_video",
    "consume_upload",
    "ensure_video",
    "get_upload",
    "source_key",
    "video_for_lesson",
]
