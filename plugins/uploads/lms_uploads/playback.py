"""Private playback: who may play a video, its playlists, and the player's template variables.

The master and variant playlists are served by the app, after the access
check, on every request (a student unenrolled a minute ago gets 403). The
variant playlist lists its segments under a folder token
(``/media-folder/<token>/<segment>``, core storage): signed, expiring, valid
for that one rung's folder only. On local disk the core hands those files to
nginx with ``X-Accel-Redirect`` when ``STORAGE_ACCEL_REDIRECT_PREFIX`` is set
(else streams them); on S3 it redirects to a presigned URL, so the bytes of a
segment never pass through the app.

Players that cannot send the session cookie or a bearer token with every
request (a native app's player, Safari's own HLS) get playlist URLs carrying a
short-lived playback grant (``?grant=``) from the playback API: it names the
video and the user, and the user's access is checked again on each playlist.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import Response, abort, current_app, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from lms_catalog import get_course, get_enrollment
from lms_lessons import Lesson

from lms.extensions import db
from lms.i18n import _
from lms.models import User
from lms.storage import StorageError, get_storage
from lms.urls import external_url
from lms_uploads.blueprint import bp
from lms_uploads.captions import captions_of
from lms_uploads.models import Caption, Video

# A rung's folder name, as the ladder writes it ("1080p", "720p", "audio").
_RUNG = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_URI_ATTR = re.compile(r'URI="([^"]*)"')
_GRANT_SALT = "lms_uploads.playback-grant"
READY = "ready"

#: Default lifetime of the segment URLs in a variant playlist (seconds); a
#: video plays for longer than that only if paused: the player then reloads.
DEFAULT_SEGMENT_EXPIRES = 3 * 3600
#: Lifetime of a playback grant handed out by the playback API (seconds).
DEFAULT_GRANT_EXPIRES = 6 * 3600

NO_STORE = "private, no-store"


@dataclass(frozen=True)
class PlaybackAccess:
    video: Video
    lesson: Lesson
    course: Any
    is_staff: bool
    is_enrolled: bool


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def access_for(video: Video | None, user: Any) -> PlaybackAccess | None:
    """Return who `user` is to the video's course if they may play it, else None.

    Players are the course's staff (admins included), and students with an
    active enrolment in the course when the lesson is published; a published
    free-preview lesson plays for anyone signed in who may see the course,
    as the lessons plugin shows its content to them.
    """
    if video is None or not _authenticated(user):
        return None
    lesson = db.session.get(Lesson, video.lesson_id)
    course = get_course(video.course_id)
    if lesson is None or course is None or not course.can_view(user):
        return None
    if course.is_staff(user):
        return PlaybackAccess(video, lesson, course, True, False)
    if not lesson.is_available:
        return None
    enrollment = get_enrollment(user.id, course.id)
    enrolled = enrollment is not None and enrollment.is_active
    if not (enrolled or lesson.free_preview):
        return None
    return PlaybackAccess(video, lesson, course, False, enrolled)


def can_play(video: Video | None, user: Any) -> bool:
    """Whether `user` may play the video (the access rule of every playback route)."""
    return access_for(video, user) is not None


def video_of_lesson(lesson_id: int) -> Video | None:
    return db.session.execute(
        db.select(Video).where(Video.lesson_id == lesson_id)
    ).scalar_one_or_none()


def _config(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


# --- playback grants (for players without the session) -----------------------------


def _grants() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_GRANT_SALT)


def issue_grant(video: Video, user: Any) -> str:
    """Return a grant letting `user`'s player fetch the video's playlists without a session."""
    return _grants().dumps({"v": video.id, "u": user.id})


def grant_lifetime() -> int:
    """How long a playback grant stays valid (seconds)."""
    return _config("UPLOADS_GRANT_EXPIRES", DEFAULT_GRANT_EXPIRES)


def _grant_user(video: Video, grant: str) -> Any:
    """Return the user a grant names if it is ours, alive and for this video; else None."""
    try:
        data = _grants().loads(grant, max_age=grant_lifetime())
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or data.get("v") != video.id or type(data.get("u")) is not int:
        return None
    user = db.session.get(User, data["u"])
    return user if user is not None and user.is_active else None


def _player_user(video: Video) -> Any:
    grant = request.args.get("grant", "")
    return _grant_user(video, grant) if grant else current_user


def _require_playable(video_id: int) -> tuple[PlaybackAccess, str]:
    """Return the access and the grant of a playlist request; 404/403 otherwise.

    Anonymous visitors, and users who may not see the course at all, get 404
    (the video's existence must not leak); signed-in users who may see the
    course but not play get 403; a video not ready yet is a 404 for everyone.
    """
    video = db.session.get(Video, video_id)
    if video is None:
        abort(404)
    user = _player_user(video)
    found = access_for(video, user)
    if found is None:
        course = get_course(video.course_id)
        if _authenticated(user) and course is not None and course.can_view(user):
            abort(403, _("Enrol in this course to watch its videos."))
        abort(404)
    if video.status != READY or not video.hls_prefix:
        abort(404, _("This video is not ready to play yet."))
    return found, request.args.get("grant", "")


def ladder_prefix(video: Video) -> str:
    """The storage folder of the published ladder (the job may store it with a final '/')."""
    return str(video.hls_prefix or "").rstrip("/")


def _playlist(text: str) -> Response:
    response = Response(text, mimetype="application/vnd.apple.mpegurl")
    # Playlists carry expiring, per-user URLs: never cached or shared.
    response.headers["Cache-Control"] = NO_STORE
    return response


def _read_text(key: str) -> str:
    try:
        with get_storage().open(key) as fh:
            return fh.read(4 * 1024 * 1024).decode("utf-8")
    except (StorageError, UnicodeDecodeError, OSError):
        abort(404)


def _uri_lines(text: str) -> list[tuple[int, str]]:
    """Return (index, uri) of the playlist's URI lines (not tags, not blank)."""
    return [
        (i, line.strip())
        for i, line in enumerate(text.splitlines())
        if line.strip() and not line.startswith("#")
    ]


@bp.route("/videos/<int:video_id>/hls/master.m3u8")
def master_playlist(video_id: int) -> Response:
    """The ladder's master playlist, its variant URIs pointing back at the app."""
    found, grant = _require_playable(video_id)
    text = _read_text(f"{ladder_prefix(found.video)}/master.m3u8")
    lines = text.splitlines()
    extra = {"grant": grant} if grant else {}

    def variant_url(uri: str) -> str:
        rung = uri.split("/", 1)[0]
        if not _RUNG.match(rung) or uri != f"{rung}/index.m3u8":
            abort(404)  # not a playlist of our ladder's shape
        return url_for(".variant_playlist", video_id=video_id, rung=rung, **extra)

    for i, uri in _uri_lines(text):
        lines[i] = variant_url(uri)
    # Tags naming a playlist too (EXT-X-MEDIA renditions, EXT-X-I-FRAME-STREAM-INF).
    for i, line in enumerate(lines):
        if line.startswith("#") and 'URI="' in line:
            lines[i] = _URI_ATTR.sub(lambda m: f'URI="{variant_url(m.group(1))}"', line)
    return _playlist("\n".join(lines) + "\n")


@bp.route("/videos/<int:video_id>/hls/<rung>/index.m3u8")
def variant_playlist(video_id: int, rung: str) -> Response:
    """One rung's playlist, each segment a signed, expiring URL of that rung's folder."""
    found, _grant = _require_playable(video_id)
    if not _RUNG.match(rung):
        abort(404)
    folder = f"{ladder_prefix(found.video)}/{rung}"
    text = _read_text(f"{folder}/index.m3u8")
    storage = get_storage()
    expires_in = _config("UPLOADS_SEGMENT_URL_EXPIRES", DEFAULT_SEGMENT_EXPIRES)
    token = storage.folder_token(folder, expires_in=expires_in)
    base = url_for("core.media_folder", token=token, path="x")[: -len("x")]
    lines = text.splitlines()
    for i, uri in _uri_lines(text):
        if "/" in uri or ":" in uri or uri.startswith("."):
            abort(404)  # our ladder names segments plainly; anything else is not ours
        lines[i] = base + quote(uri)
    # EXT-X-MAP (fMP4 init segments) names a file too.
    for i, line in enumerate(lines):
        match = re.match(r'^#EXT-X-MAP:URI="([^"/:]+)"(.*)$', line)
        if match:
            lines[i] = f'#EXT-X-MAP:URI="{base}{quote(match.group(1))}"{match.group(2)}'
    return _playlist("\n".join(lines) + "\n")


@bp.route("/videos/<int:video_id>/captions/<int:caption_id>.vtt")
def caption_file(video_id: int, caption_id: int) -> Response:
    """A caption track, for whoever may play the video."""
    video = db.session.get(Video, video_id)
    if video is None:
        abort(404)
    found = access_for(video, _player_user(video))
    if found is None:
        abort(404)
    caption = db.session.get(Caption, caption_id)
    if caption is None or caption.video_id != video.id:
        abort(404)
    try:
        with get_storage().open(caption.storage_key) as fh:
            body = fh.read()
    except (StorageError, OSError):
        abort(404)
    response = Response(body, mimetype="text/vtt")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# --- what the player and the API get -------------------------------------------------


def master_url(video: Video, *, grant: str = "", external: bool = False) -> str:
    values: dict[str, Any] = {"video_id": video.id}
    if grant:
        values["grant"] = grant
    if external:
        return external_url("uploads.master_playlist", **values)
    return url_for("uploads.master_playlist", **values)


def caption_tracks(
    video: Video, *, grant: str = "", external: bool = False
) -> list[dict[str, Any]]:
    tracks = []
    for caption in captions_of(video.id):
        values: dict[str, Any] = {"video_id": video.id, "caption_id": caption.id}
        if grant:
            values["grant"] = grant
        url = (
            external_url("uploads.caption_file", **values)
            if external
            else url_for("uploads.caption_file", **values)
        )
        tracks.append(
            {"id": caption.id, "language": caption.language, "label": caption.label, "url": url}
        )
    return tracks


def poster_url(video: Video, *, external: bool = False) -> str | None:
    if not video.thumbnail_key:
        return None
    try:
        return get_storage().url(video.thumbnail_key, expires_in=3600, external=external)
    except StorageError:
        return None


def rung_labels(video: Video) -> list[str]:
    """The ladder's rungs, highest first ("1080p", "720p" ...)."""
    rungs = sorted(video.renditions or [], key=lambda r: -int(r.get("height") or 0))
    return [str(r.get("name")) for r in rungs if r.get("name")]


def player_context(lesson: Lesson, course: Any, user: Any) -> Mapping[str, Any]:
    """Template variables of uploads/player.html (the lessons plugin calls it)."""
    video = video_of_lesson(lesson.id)
    found = access_for(video, user)
    context: dict[str, Any] = {"video": video, "video_playable": False}
    if video is None:
        return context
    context.update(
        video_playable=found is not None and video.status == READY and bool(video.hls_prefix),
        video_rungs=rung_labels(video),
        video_can_manage=found is not None and found.is_staff,
        video_can_track=found is not None and found.is_enrolled,
    )
    if context["video_playable"]:
        context.update(
            video_master_url=master_url(video),
            video_captions=caption_tracks(video),
            video_poster_url=poster_url(video),
        )
    return context
