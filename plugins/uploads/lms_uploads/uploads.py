"""Services on uploads for the plugins that use them (the tus endpoint writes them)."""

from __future__ import annotations

from typing import Any

from lms.extensions import db
from lms_uploads.models import COMPLETE, CONSUMED, Upload


def get_upload(upload_id: str, owner: Any | None = None) -> Upload | None:
    """Return the upload `upload_id`, or None if unknown or (with `owner`) not theirs."""
    if not isinstance(upload_id, str) or not upload_id.isalnum() or len(upload_id) > 32:
        return None
    upload = db.session.get(Upload, upload_id)
    if upload is None or (owner is not None and upload.owner_id != owner.id):
        return None
    return upload


def consume_upload(upload: Upload) -> None:
    """Mark a finished upload as used: it no longer expires (its new owner keeps the file)."""
    if upload.status != COMPLETE:
        raise ValueError(f"upload {upload.id} is {upload.status}, not complete")
    upload.status = CONSUMED
    db.session.flush()
