"""Upload limits: the largest file and each person's storage quota (both from settings).

Both are checked from the declared Upload-Length when an upload is created,
before its first byte is stored.
"""

from __future__ import annotations

from flask_babel import format_decimal, format_number
from sqlalchemy import func, select

from lms.errors import ServiceError
from lms.extensions import db
from lms.i18n import _
from lms.settings import get_setting
from lms_uploads.models import COMPLETE, RECEIVING, Upload, Video

MB = 1024 * 1024
GB = 1024 * MB


class LimitError(ServiceError):
    """An upload that a limit refuses (answered 413 by the tus endpoint)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code, status=413)


def max_file_size() -> int:
    """The largest upload accepted, in bytes."""
    return int(get_setting("uploads", "max_file_size_mb")) * MB


def quota_bytes() -> int:
    """How many bytes one person's uploads and videos may take."""
    return int(get_setting("uploads", "instructor_quota_gb")) * GB


def used_bytes(user_id: int) -> int:
    """Bytes `user_id` holds: unfinished or unused uploads (declared size) and video sources."""
    uploads = db.session.scalar(
        select(func.coalesce(func.sum(Upload.length), 0)).where(
            Upload.owner_id == user_id, Upload.status.in_((RECEIVING, COMPLETE))
        )
    )
    videos = db.session.scalar(
        select(func.coalesce(func.sum(Video.size_bytes), 0)).where(Video.owner_id == user_id)
    )
    return int(uploads or 0) + int(videos or 0)


def human_size(n: int) -> str:
    """Say a size the way people read it, in the current language: "512 KB", "4.0 GB"."""
    if n < MB:
        return _("%(size)s KB", size=format_number(max(1, n // 1024)))
    if n < GB:
        return _("%(size)s MB", size=format_number(round(n / MB)))
    return _("%(size)s GB", size=format_decimal(n / GB, "#,##0.0"))


def check_upload_allowed(user_id: int, length: int) -> None:
    """Raise LimitError when a file of `length` bytes is too big or would pass the quota."""
    largest = max_file_size()
    if length > largest:
        raise LimitError(
            _(
                "This file is %(size)s; the largest upload allowed is %(limit)s.",
                size=human_size(length),
                limit=human_size(largest),
            ),
            code="file_too_large",
        )
    quota = quota_bytes()
    used = used_bytes(user_id)
    if used + length > quota:
        free = max(0, quota - used)
        raise LimitError(
            _(
                "This file (%(size)s) does not fit in your storage quota: %(free)s of "
                "%(quota)s left. Delete videos you no longer need, or ask an administrator "
                "for more space.",
                size=human_size(length),
                free=human_size(free),
                quota=human_size(quota),
            ),
            code="quota_exceeded",
        )
