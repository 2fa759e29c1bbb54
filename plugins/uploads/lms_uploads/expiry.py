"""Expiry of abandoned uploads (tus "expiration" extension): their bytes are freed."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from sqlalchemy import select

from lms.commit import on_commit
from lms.extensions import db
from lms.models import utcnow
from lms.settings import get_setting
from lms.storage import get_storage
from lms.storage.keys import StorageError
from lms_uploads.models import COMPLETE, EXPIRED, RECEIVING, Upload

log = logging.getLogger(__name__)

# A finished upload that nothing consumed is kept this much longer than an unfinished one
# (a client may finish the last byte and only then tell the page to use it).
COMPLETE_GRACE = timedelta(hours=24)
BATCH = 200


def upload_lifetime() -> timedelta:
    """How long an upload lives after its last received byte (the setting)."""
    return timedelta(hours=int(get_setting("uploads", "upload_expiry_hours")))


def discard_upload_bytes(upload: Upload) -> None:
    """Delete whatever bytes `upload` holds in storage (after the commit)."""
    session_id, key, status = upload.session_id, upload.storage_key, upload.status

    def free() -> None:
        storage = get_storage()
        if status == RECEIVING and session_id:
            with contextlib.suppress(StorageError):  # already gone
                storage.resume_upload(session_id).abort()
        elif status == COMPLETE:
            storage.delete(key)

    on_commit(free)


def expire_abandoned_uploads() -> int:
    """Mark overdue uploads expired and free their bytes; return how many (commits)."""
    now = utcnow()
    count = 0
    while True:
        rows = db.session.scalars(
            select(Upload)
            .where(
                ((Upload.status == RECEIVING) & (Upload.expires_at < now))
                | ((Upload.status == COMPLETE) & (Upload.expires_at < now - COMPLETE_GRACE))
            )
            .limit(BATCH)
        ).all()
        if not rows:
            return count
        for upload in rows:
            discard_upload_bytes(upload)
            upload.status = EXPIRED
            log.info(
                "upload %s expired at offset %s of %s", upload.id, upload.offset, upload.length
            )
        db.session.commit()
        count += len(rows)
