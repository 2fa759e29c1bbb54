"""JSON API of playback and captions under /api/v1 (the videos' status API is in api.py).

- ``GET /videos/<id>/playback``: the master playlist's URL (with a playback
  grant, so any HLS player can fetch it without the session), caption tracks,
  poster, rungs.
- ``GET/POST /videos/<id>/captions``, ``DELETE /videos/<id>/captions/<language>``.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from lms_catalog import get_course

from lms.api import ApiBlueprint, ApiError, require_user
from lms.extensions import db
from lms.i18n import _
from lms.permissions import check_first, login_required
from lms_uploads import playback
from lms_uploads.captions import (
    CaptionError,
    captions_of,
    delete_caption,
    max_bytes,
    read_limited,
    save_caption,
)
from lms_uploads.models import Caption, Video
from lms_uploads.playback_schemas import CaptionIn, CaptionList, CaptionOut, PlaybackOut

blp = ApiBlueprint(
    "uploads_playback_api",
    __name__,
    description="Private playback of uploaded videos (HLS) and their captions.",
)


def _video(video_id: int) -> Video:
    video = db.session.get(Video, video_id)
    if video is None:
        raise ApiError(404, _("There is no such video."), code="not_found")
    return video


def _playable(video_id: int) -> playback.PlaybackAccess:
    """Return the caller's access to the video; 404 if they may not see its course, else 403."""
    user = require_user()
    video = _video(video_id)
    found = playback.access_for(video, user)
    if found is None:
        course = get_course(video.course_id)
        if course is None or not course.can_view(user):
            raise ApiError(404, _("There is no such video."), code="not_found")
        raise ApiError(403, _("Enrol in this course to watch its videos."), code="forbidden")
    return found


def _edits_video(video_id: int, **_path: Any) -> None:
    user = require_user()
    video = _video(video_id)
    course = get_course(video.course_id)
    if course is None or not course.can_view(user):
        raise ApiError(404, _("There is no such video."), code="not_found")
    if not course.can_edit(user):
        raise ApiError(
            403, _("Only this course's instructors can change its captions."), code="forbidden"
        )


def _caption_json(caption: Caption, video: Video) -> dict[str, Any]:
    tracks = {t["id"]: t for t in playback.caption_tracks(video, external=True)}
    return {
        "id": caption.id,
        "language": caption.language,
        "label": caption.label,
        "url": tracks.get(caption.id, {}).get("url"),
    }


@blp.route("/videos/<int:video_id>/playback")
class VideoPlayback(MethodView):
    @blp.errors(403, 409)
    @login_required
    @blp.response(200, PlaybackOut)
    def get(self, video_id: int) -> dict[str, Any]:
        """Where to play the video: its HLS master playlist and caption tracks.

        The URLs carry a playback grant for the caller (valid for hours, and
        checked against their access again on every playlist request), so
        players that cannot send a session or token work too. Segment URLs
        inside the playlists are signed and expire.
        """
        found = _playable(video_id)
        video = found.video
        if video.status != playback.READY or not video.hls_prefix:
            raise ApiError(409, _("This video is not ready to play yet."), code="not_ready")
        grant = playback.issue_grant(video, require_user())
        return {
            "video_id": video.id,
            "lesson_id": video.lesson_id,
            "master_url": playback.master_url(video, grant=grant, external=True),
            "expires_in": playback.grant_lifetime(),
            "renditions": playback.rung_labels(video),
            "duration_seconds": video.duration_seconds,
            "poster_url": playback.poster_url(video, external=True),
            "captions": playback.caption_tracks(video, grant=grant, external=True),
        }


@blp.route("/videos/<int:video_id>/captions")
class VideoCaptions(MethodView):
    @blp.errors(403)
    @login_required
    @blp.response(200, CaptionList)
    def get(self, video_id: int) -> dict[str, Any]:
        """List the video's caption tracks (for whoever may play it)."""
        video = _playable(video_id).video
        items = [_caption_json(c, video) for c in captions_of(video.id)]
        return {"items": items, "total": len(items)}

    @blp.errors(403, 413, 422)
    @check_first(_edits_video)
    @blp.arguments(CaptionIn, location="form")
    @blp.response(201, CaptionOut)
    def post(self, data: dict[str, Any], video_id: int) -> dict[str, Any]:
        """Add (or replace) the captions of one language: multipart/form-data.

        Fields: `file` (WebVTT, or SRT which is converted), `language` (BCP 47,
        like en or pt-BR), `label` (optional, shown in the captions menu).
        """
        video = _video(video_id)
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise CaptionError(_("Choose a caption file (WebVTT or SRT) to upload."))
            content = read_limited(upload.stream, max_bytes())
            caption, converted = save_caption(
                video, data.get("language"), data.get("label"), content
            )
        except CaptionError as exc:
            db.session.rollback()
            raise ApiError(
                422, str(exc), code="caption_rejected", fields={exc.field: [str(exc)]}
            ) from exc
        db.session.commit()
        out = _caption_json(caption, video)
        out["converted_from_srt"] = converted
        return out


@blp.route("/videos/<int:video_id>/captions/<language>")
class VideoCaption(MethodView):
    @blp.errors(403)
    @check_first(_edits_video)
    @blp.response(204)
    def delete(self, video_id: int, language: str) -> None:
        """Delete the captions of one language."""
        caption = db.session.execute(
            db.select(Caption).where(Caption.video_id == video_id, Caption.language == language)
        ).scalar_one_or_none()
        if caption is None:
            raise ApiError(404, _("This video has no captions in that language."), code="not_found")
        delete_caption(caption)
        db.session.commit()
