"""The contract: one Plugin subclass the entry point names."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from lms.i18n import _l
from lms.plugins import PeriodicJob, Plugin
from lms.settings import SettingSpec

# How often the worker looks for abandoned uploads (seconds).
EXPIRY_SWEEP_EVERY = 15 * 60


class UploadsPlugin(Plugin):
    """Uploads

    Resumable browser uploads (the tus protocol) for every plugin that needs a
    file, and the "video" lesson type: one-pass HLS transcoding on the media
    queue, live progress, captions and private playback.
    """

    # The plugin's name on the settings page, in the reader's language.
    label = _l("Uploads")

    requires = ("catalog", "lessons")
    default_settings = {
        "max_file_size_mb": SettingSpec(
            int,
            4096,
            min=1,
            max=1024 * 1024,
            label=_l("Largest upload (MB)"),
            description=_l(
                "An upload declaring more bytes than this is refused before any "
                "byte is stored (4096 MB = 4 GB)."
            ),
        ),
        "instructor_quota_gb": SettingSpec(
            int,
            50,
            min=1,
            max=1024 * 1024,
            label=_l("Storage per instructor (GB)"),
            description=_l(
                "The uploads and videos of one person may take at most this much "
                "storage; a new upload that would pass it is refused before its first byte."
            ),
        ),
        "upload_expiry_hours": SettingSpec(
            int,
            24,
            min=1,
            max=24 * 30,
            label=_l("Unfinished uploads expire after (hours)"),
            description=_l(
                "An upload that receives no bytes for this long is abandoned "
                "and its bytes are deleted; the browser then starts it again from zero."
            ),
        ),
        "max_duration_minutes": SettingSpec(
            int,
            240,
            min=1,
            max=24 * 60,
            label=_l("Longest video (minutes)"),
            description=_l("A video longer than this is refused when its upload is checked."),
        ),
    }
    default_config: dict[str, Any] = {
        # Bytes of a PATCH body read and written to storage at a time (memory stays flat).
        "UPLOADS_CHUNK_BYTES": 1024 * 1024,
        # The chunk size the browser client sends per PATCH request (tus-js-client chunkSize).
        "UPLOADS_CLIENT_CHUNK_BYTES": 8 * 1024 * 1024,
        # Seconds a PATCH's lock on its upload lives without being renewed: after a
        # web process dies mid-PATCH, the client resumes once it has expired.
        "UPLOADS_LOCK_SECONDS": 20,
        # Where transcodes make their files before publishing them ("": the system temp folder).
        "UPLOADS_WORK_DIR": "",
    }

    def init(self) -> None:
        from lms_lessons import lesson_deleted, register_lesson_type

        from lms_uploads.lesson_type import VIDEO, video_lesson_deleted

        register_lesson_type(self.app, VIDEO)
        self.connect(lesson_deleted, video_lesson_deleted)

        from lms.signals import task_failed
        from lms_uploads.transcode import on_task_failed

        # A transcode the core gave up on (retries spent, or lost for good): "failed", in words.
        self.connect(task_failed, on_task_failed)

    def get_blueprints(self) -> list[Blueprint]:
        from lms_uploads import (  # noqa: F401 - their routes join the blueprints
            captions_views,
            playback,
            tus,
            views,
        )
        from lms_uploads.blueprint import bp, tus_bp

        return [bp, tus_bp]

    def get_api_blueprints(self) -> list[Any]:
        from lms_uploads.api import blp
        from lms_uploads.playback_api import blp as playback_blp

        return [blp, playback_blp]

    def get_periodic_jobs(self) -> list[PeriodicJob]:
        from lms_uploads.tasks import expire_uploads

        return [PeriodicJob("uploads-expire", expire_uploads, EXPIRY_SWEEP_EVERY)]
