"""The "video" lesson type: its editor form (the upload drop zone) and its hooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import render_template
from lms_lessons import WATCHED, ContentForm, Lesson, LessonType
from markupsafe import Markup
from wtforms import Field

from lms.i18n import _, _l
from lms_uploads import videos
from lms_uploads.models import AWAITING_UPLOAD, FAILED, PENDING, PROCESSING, READY


class DropZoneWidget:
    """Render the upload drop zone (a file input the script turns into tus uploads)."""

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        from lms_uploads.quota import human_size, max_file_size

        lesson = getattr(field, "lesson", None)
        video = videos.video_for_lesson(lesson.id) if lesson is not None else None
        # render_template escapes everything it inserts: the result is safe HTML.
        return Markup(  # noqa: S704
            render_template(
                "uploads/_drop_zone.html",
                field=field,
                video=video,
                lesson=lesson,
                attrs=kwargs,
                max_size=max_file_size(),
                max_size_label=human_size(max_file_size()),
                status_text=status_text(video),
            )
        )


STATUS_TEXT = {
    AWAITING_UPLOAD: _l("No video uploaded yet."),
    PENDING: _l("Uploaded; waiting to be processed."),
    PROCESSING: _l("Processing the video…"),
    READY: _l("Ready: students can watch it."),
    FAILED: _l("Processing failed."),
}


def status_text(video: Any) -> str:
    """Say where a video stands, for its owner."""
    if video is None:
        return str(STATUS_TEXT[AWAITING_UPLOAD])
    if video.status == FAILED and video.error:
        return _("Processing failed: %(error)s", error=video.error)
    return str(STATUS_TEXT.get(video.status, video.status))


class DropZoneField(Field):
    """A field without a value: the bytes go through the tus endpoint, not this form."""

    widget = DropZoneWidget()
    lesson: Lesson | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None


class VideoForm(ContentForm):
    video = DropZoneField(
        _l("Video file"),
        description=_l(
            "MP4, MOV, MKV, WebM, AVI, MPEG-TS, OGG or FLV. The upload resumes "
            "where it stopped if the connection drops or you close the page."
        ),
    )

    def load(self, lesson: Lesson) -> None:
        self.video.lesson = lesson

    def save(self, lesson: Lesson) -> None:
        # The file arrives through the tus endpoint; saving only makes sure the
        # lesson has its video row (the drop zone names it in its uploads).
        self.video.lesson = lesson
        videos.ensure_video(lesson)


def _video_json(lesson: Lesson) -> Mapping[str, Any]:
    video = videos.video_for_lesson(lesson.id)
    if video is None:
        return {"video_id": None, "video_status": AWAITING_UPLOAD}
    return {
        "video_id": video.id,
        "video_status": video.status,
        "duration_seconds": video.duration_seconds,
        "renditions": [r.get("name") for r in video.renditions or []],
    }


def _video_problem(lesson: Lesson) -> str | None:
    video = videos.video_for_lesson(lesson.id)
    if video is None or not video.source_key:
        return _("Upload the video before publishing the lesson.")
    return None


def _player_context(lesson: Lesson, course: Any, user: Any) -> Mapping[str, Any]:
    # playback.py (the player's side) is written alongside; until it is there the
    # player gets the video row alone.
    try:
        from lms_uploads.playback import player_context
    except ImportError:
        return {"video": videos.video_for_lesson(lesson.id)}
    return player_context(lesson, course, user)


def video_lesson_deleted(lesson: Lesson, **_: Any) -> None:
    """Delete a video lesson's stored files (the lessons plugin's lesson_deleted signal)."""
    if lesson.type != VIDEO.name:
        return
    video = videos.video_for_lesson(lesson.id)
    if video is not None:
        videos.delete_video_files(video)


VIDEO = LessonType(
    name="video",
    label=_l("Video"),
    description=_l("An uploaded video, streamed in the quality that suits each viewer."),
    player_template="uploads/player.html",
    editor_form=VideoForm,
    completion=WATCHED,
    completion_hint=_l("Watch the video to complete this lesson."),
    player_context=_player_context,
    content_json=_video_json,
    publish_problem=_video_problem,
)
