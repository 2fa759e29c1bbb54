"""The tus 1.0 endpoint: core protocol plus creation, termination and expiration.

    OPTIONS /api/v1/uploads/        what the server supports (no auth)
    POST    /api/v1/uploads/        create an upload (Upload-Length, Upload-Metadata)
    HEAD    /api/v1/uploads/<id>    where to resume (Upload-Offset)
    PATCH   /api/v1/uploads/<id>    append bytes at Upload-Offset
    DELETE  /api/v1/uploads/<id>    terminate: free the bytes

Every request but OPTIONS is authenticated by the core's API check (Bearer
token, or the session with an X-CSRFToken header). Only the uploader may
HEAD, PATCH or DELETE an upload. Limits (largest file, the person's quota)
are checked from Upload-Length on POST, before any byte is stored.

A PATCH body is streamed to the core storage's resumable write a buffer at a
time, so the web process's memory does not grow with the file. No database
transaction is open while the body arrives (a slow client must not hold
SQLite's write lock). A short Redis lock per upload keeps two PATCH requests
from appending at once; it expires on its own when a process dies, so a
restarted server can take the upload over.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import re
import time
import uuid
from datetime import datetime
from email.utils import format_datetime
from typing import IO, Any

from flask import Response, current_app, request, url_for
from flask_login import current_user
from redis.exceptions import LockError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import ClientDisconnected

from lms.errors import json_error
from lms.extensions import db
from lms.i18n import _
from lms.models import utcnow
from lms.redis_store import get_redis
from lms.request_body import streams_request_body
from lms.storage import get_storage
from lms.storage.keys import StorageError
from lms_uploads import quota
from lms_uploads.blueprint import tus_bp
from lms_uploads.expiry import discard_upload_bytes, upload_lifetime
from lms_uploads.models import COMPLETE, CONSUMED, EXPIRED, RECEIVING, Upload

log = logging.getLogger(__name__)

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration"
OCTET_STREAM = "application/offset+octet-stream"
METADATA_MAX = 4096
PURPOSE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MIME_RE = re.compile(r"^[\w.+-]{1,50}/[\w.+-]{1,49}$")
UPLOAD_ID_RE = re.compile(r"^[0-9a-f]{32}$")
# Seconds a PATCH's lock lives without being renewed (renewed while bytes arrive).
LOCK_SECONDS_DEFAULT = 20


class TusError(Exception):
    """A refusal: the status and the core's JSON error (no body on HEAD).

    Refusals a person reads (not signed in, expired, not yours, quota) are
    translated; those about the protocol itself (headers, offsets) speak to the
    tus client's programmer and stay English, like the headers and codes.
    """

    def __init__(self, status: int, message: str, code: str, **headers: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers


class LockLost(Exception):
    """Another request took this upload over while our body was still arriving."""


@tus_bp.errorhandler(TusError)
def _tus_error(exc: TusError) -> Response:
    if request.method == "HEAD":
        response = Response(status=exc.status)
        response.headers.update(exc.headers)
        return response
    return json_error(exc.status, exc.message, code=exc.code, headers=exc.headers)


@tus_bp.after_request
def _tus_headers(response: Response) -> Response:
    # Every answer but OPTIONS carries the protocol version (tus 1.0 "Tus-Resumable").
    response.headers["Tus-Resumable"] = TUS_VERSION
    response.headers["Cache-Control"] = "no-store"
    return response


# --- helpers -------------------------------------------------------------------------


def _http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def _require_version() -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise TusError(
            412,
            f"This server speaks tus {TUS_VERSION}; send the header Tus-Resumable: {TUS_VERSION}.",
            "tus_version_unsupported",
            **{"Tus-Version": TUS_VERSION},
        )


def _require_user() -> Any:
    if not current_user.is_authenticated:
        raise TusError(401, _("Sign in (or send an API token) to upload."), "unauthorized")
    return current_user._get_current_object()


def _int_header(name: str, required: bool = True) -> int | None:
    value = request.headers.get(name)
    if value is None:
        if required:
            raise TusError(400, f"The header {name} is missing.", "bad_request")
        return None
    if not value.isdigit() or len(value) > 18:
        raise TusError(400, f"The header {name} must be a whole number of bytes.", "bad_request")
    return int(value)


def parse_metadata(header: str | None) -> dict[str, str]:
    """Decode tus Upload-Metadata ("key base64,key2 base64"); TusError if malformed."""
    if not header:
        return {}
    if len(header) > METADATA_MAX:
        raise TusError(400, "The Upload-Metadata header is too long.", "bad_metadata")
    meta: dict[str, str] = {}
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        key = parts[0]
        if not key or len(parts) > 2 or not key.isascii() or not key.isprintable():
            raise TusError(400, "The Upload-Metadata header is malformed.", "bad_metadata")
        try:
            value = base64.b64decode(parts[1], validate=True).decode() if len(parts) == 2 else ""
        except (binascii.Error, UnicodeDecodeError):
            raise TusError(
                400, f"The Upload-Metadata value of {key!r} is not base64 text.", "bad_metadata"
            ) from None
        if "\x00" in value:
            raise TusError(
                400, f"The Upload-Metadata value of {key!r} is not allowed.", "bad_metadata"
            )
        meta[key] = value
    return meta


def encode_metadata(meta: dict[str, Any]) -> str:
    return ",".join(
        f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in meta.items() if k.isascii()
    )


def _get_owned_upload(upload_id: str, user: Any) -> Upload:
    """The upload, if it exists and is `user`'s; 404 / 403 / 410 otherwise."""
    if not UPLOAD_ID_RE.match(upload_id):
        raise TusError(404, _("There is no such upload."), "not_found")
    upload = db.session.get(Upload, upload_id)
    if upload is None:
        raise TusError(404, _("There is no such upload."), "not_found")
    if upload.owner_id != user.id:
        raise TusError(
            403, _("Only the person who started an upload may continue it."), "forbidden"
        )
    if upload.status == RECEIVING and upload.expires_at < utcnow():
        # Overdue but the periodic job has not run yet: expire it now.
        discard_upload_bytes(upload)
        upload.status = EXPIRED
        db.session.commit()
    if upload.status == EXPIRED:
        raise TusError(
            410, _("This upload expired and its bytes were deleted; start it again."), "expired"
        )
    return upload


def _stored_offset(upload: Upload) -> int:
    """The storage's own count of received bytes (the truth after a crash)."""
    if upload.status != RECEIVING:
        return upload.offset
    try:
        return get_storage().resume_upload(upload.session_id or "").offset
    except StorageError:
        raise TusError(410, _("This upload's bytes are gone; start it again."), "expired") from None


def _upload_headers(upload: Upload, offset: int) -> dict[str, str]:
    headers = {"Upload-Offset": str(offset), "Upload-Length": str(upload.length)}
    if upload.status == RECEIVING:
        headers["Upload-Expires"] = _http_date(upload.expires_at)
    return headers


def _purpose_target(user: Any, meta: dict[str, str]) -> tuple[str, Any]:
    """Check what the upload is for; return (purpose, the video it feeds or None)."""
    purpose = meta.get("purpose", "file")
    if not PURPOSE_RE.match(purpose):
        raise TusError(400, "The upload's purpose is not valid.", "bad_metadata")
    if purpose != "video":
        return purpose, None
    from lms_catalog import course_permission, get_course
    from lms_lessons import get_lesson

    from lms_uploads.videos import ensure_video

    lesson_id = meta.get("lesson_id", "")
    lesson = get_lesson(int(lesson_id)) if lesson_id.isdigit() and len(lesson_id) < 10 else None
    if lesson is None or lesson.type != "video":
        raise TusError(404, _("There is no such video lesson."), "not_found")
    course = get_course(lesson.course_id)
    if course is None or not course_permission(user, course, "edit"):
        raise TusError(403, _("Only the course's instructors may upload its videos."), "forbidden")
    return purpose, ensure_video(lesson, owner_id=user.id)


def _lock(upload_id: str) -> Any:
    seconds = int(current_app.config.get("UPLOADS_LOCK_SECONDS", LOCK_SECONDS_DEFAULT))
    return get_redis().lock(f"lms:uploads:lock:{upload_id}", timeout=seconds, blocking=False)


class _GuardedBody:
    """The request body, at most `limit` bytes, renewing the upload's lock as it goes.

    If the lock was lost (this request stalled so long that another took over),
    reading stops before handing over another byte, so nothing lands out of order.
    """

    def __init__(self, stream: IO[bytes], limit: int, lock: Any, buffer: int) -> None:
        self.stream = stream
        self.left = limit
        self.lock = lock
        self.buffer = buffer
        self.renewed = time.monotonic()

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        want = self.buffer if size is None or size < 0 else min(size, self.buffer)
        data = self.stream.read(min(want, self.left))
        self.left -= len(data)
        if time.monotonic() - self.renewed > 2:
            try:
                self.lock.reacquire()
            except LockError:
                raise LockLost() from None
            self.renewed = time.monotonic()
        return data


# --- the endpoint ----------------------------------------------------------------------


@tus_bp.route("/", methods=["OPTIONS"], provide_automatic_options=False)
@tus_bp.route("/<upload_id>", methods=["OPTIONS"], provide_automatic_options=False)
def options(upload_id: str | None = None) -> Response:
    response = Response(status=204)
    response.headers["Tus-Version"] = TUS_VERSION
    response.headers["Tus-Extension"] = TUS_EXTENSIONS
    response.headers["Tus-Max-Size"] = str(quota.max_file_size())
    return response


@tus_bp.route("/", methods=["POST"])
def create() -> Response:
    """Create an upload: check the limits from Upload-Length, before any byte."""
    user = _require_user()
    _require_version()
    if request.headers.get("Upload-Defer-Length"):
        raise TusError(
            400, "Send Upload-Length: this server needs the size up front.", "length_required"
        )
    length = _int_header("Upload-Length")
    assert length is not None
    if length == 0:
        raise TusError(400, _("The file is empty."), "empty_file")
    meta = parse_metadata(request.headers.get("Upload-Metadata"))
    purpose, video = _purpose_target(user, meta)
    # One creation per person at a time, so that two parallel requests cannot both
    # fit in the same free space (the check and the insert commit under the lock).
    lock = get_redis().lock(f"lms:uploads:quota:{user.id}", timeout=30, blocking_timeout=10)
    if not lock.acquire():
        raise TusError(423, _("Another of your uploads is being created; try again."), "locked")
    try:
        try:
            quota.check_upload_allowed(user.id, length)
        except quota.LimitError as exc:
            raise TusError(413, exc.message, exc.code) from None
        upload = _new_upload(user.id, length, meta, purpose, video)
    finally:
        with contextlib.suppress(LockError):
            lock.release()
    log.info("upload %s created by user %s: %s bytes (%s)", upload.id, user.id, length, purpose)
    response = Response(status=201)
    response.headers["Location"] = url_for("uploads_tus.upload", upload_id=upload.id)
    response.headers["Upload-Expires"] = _http_date(upload.expires_at)
    return response


def _new_upload(
    owner_id: int, length: int, meta: dict[str, str], purpose: str, video: Any
) -> Upload:
    """Start the storage's resumable write and record the upload (commits)."""
    filename = (meta.get("filename") or meta.get("name") or "")[:255]
    content_type = meta.get("filetype") or meta.get("type") or ""
    if not MIME_RE.match(content_type):
        content_type = "application/octet-stream"
    upload = Upload(
        id=uuid.uuid4().hex,
        owner_id=owner_id,
        purpose=purpose,
        filename=filename,
        content_type=content_type,
        length=length,
        offset=0,
        meta=meta,
        status=RECEIVING,
        expires_at=utcnow() + upload_lifetime(),
    )
    upload.storage_key = (
        f"videos/{video.id}/source" if video is not None else f"uploads/{owner_id}/{upload.id}"
    )
    session = get_storage().begin_upload(upload.storage_key, content_type)
    upload.session_id = session.id
    db.session.add(upload)
    try:
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        session.abort()
        raise
    return upload


@tus_bp.route("/<upload_id>", methods=["HEAD"], endpoint="upload")
def head(upload_id: str) -> Response:
    user = _require_user()
    _require_version()
    upload = _get_owned_upload(upload_id, user)
    response = Response(status=200)
    response.headers.update(_upload_headers(upload, _stored_offset(upload)))
    if upload.meta:
        response.headers["Upload-Metadata"] = encode_metadata(upload.meta)
    return response


@tus_bp.route("/<upload_id>", methods=["PATCH"])
@streams_request_body
def patch(upload_id: str) -> Response:
    """Append the body at Upload-Offset, streaming it to storage."""
    user = _require_user()
    _require_version()
    if request.mimetype != OCTET_STREAM:
        raise TusError(415, f"A PATCH body must be sent as {OCTET_STREAM}.", "unsupported_media")
    claimed = _int_header("Upload-Offset")
    upload = _get_owned_upload(upload_id, user)
    if upload.status in (COMPLETE, CONSUMED):
        if claimed == upload.length and not request.content_length:
            response = Response(status=204)
            response.headers.update(_upload_headers(upload, upload.length))
            return response
        raise TusError(409, _("This upload is already complete."), "upload_complete")
    lock = _lock(upload.id)
    if not lock.acquire():
        raise TusError(423, _("This upload is receiving bytes in another request."), "locked")
    try:
        return _append(upload, claimed or 0, lock)
    finally:
        with contextlib.suppress(LockError):  # it expired: another request may hold it now
            lock.release()


def _append(upload: Upload, claimed: int, lock: Any) -> Response:
    storage = get_storage()
    try:
        session = storage.resume_upload(upload.session_id or "")
    except StorageError:
        raise TusError(410, _("This upload's bytes are gone; start it again."), "expired") from None
    offset = session.offset
    if claimed != offset:
        raise TusError(
            409,
            f"Upload-Offset is {claimed} but the server holds {offset} bytes; "
            "ask with HEAD where to resume.",
            "offset_mismatch",
            **{"Upload-Offset": str(offset)},
        )
    remaining = upload.length - offset
    declared = request.content_length
    if declared is not None and declared > remaining:
        raise TusError(
            413,
            f"The body has {declared} bytes but only {remaining} remain of the declared length.",
            "too_many_bytes",
        )
    upload_id, lifetime = upload.id, upload_lifetime()
    # No transaction stays open while the body arrives (it may take minutes).
    db.session.commit()
    # Our own limit and streaming: the site-wide MAX_CONTENT_LENGTH is for forms.
    # (None would fall back to the site's setting: allow exactly what remains).
    request.max_content_length = max(remaining, 1)
    buffer = int(current_app.config["UPLOADS_CHUNK_BYTES"])
    body = _GuardedBody(request.stream, remaining, lock, buffer)
    failure: BaseException | None = None
    try:
        session.append(body)
    except (ClientDisconnected, OSError, LockLost) as exc:
        # What arrived before the break is stored; the client resumes from there.
        failure = exc
    new_offset = session.offset
    upload = db.session.get(Upload, upload_id)  # type: ignore[assignment]
    if upload is None or upload.status != RECEIVING:  # terminated meanwhile
        raise TusError(404, _("There is no such upload."), "not_found")
    upload.offset = new_offset
    upload.expires_at = utcnow() + lifetime
    if new_offset >= upload.length:
        session.complete()
        upload.status = COMPLETE
        upload.completed_at = utcnow()
        _finished(upload)
    db.session.commit()
    if isinstance(failure, LockLost):
        raise TusError(409, _("Another request took this upload over."), "locked")
    if failure is not None:
        log.info("upload %s: body broke off at %s (%s)", upload_id, new_offset, failure)
    response = Response(status=204)
    response.headers.update(_upload_headers(upload, new_offset))
    return response


def _finished(upload: Upload) -> None:
    """Hand a finished upload to what it is for (a video's source)."""
    if upload.purpose != "video":
        return
    from lms_uploads.videos import attach_upload_to_video, video_for_lesson

    lesson_id = str(upload.meta.get("lesson_id", ""))
    video = video_for_lesson(int(lesson_id)) if lesson_id.isdigit() else None
    if video is not None:
        attach_upload_to_video(upload, video)


@tus_bp.route("/<upload_id>", methods=["DELETE"])
def terminate(upload_id: str) -> Response:
    """Termination: delete an unfinished (or finished, unused) upload and its bytes."""
    user = _require_user()
    _require_version()
    upload = _get_owned_upload(upload_id, user)
    if upload.status == CONSUMED:
        raise TusError(409, _("This upload is already in use and cannot be deleted."), "in_use")
    lock = _lock(upload.id)
    if not lock.acquire():
        raise TusError(423, _("This upload is receiving bytes in another request."), "locked")
    try:
        discard_upload_bytes(upload)
        db.session.delete(upload)
        db.session.commit()
    finally:
        with contextlib.suppress(LockError):
            lock.release()
    log.info("upload %s terminated by user %s", upload_id, user.id)
    return Response(status=204)
