"""Course thumbnails: checked by content, resized to one 16:9 size, kept in the core storage."""

from __future__ import annotations

import contextlib
import secrets
import time
from typing import IO

from PIL import Image, ImageOps

from lms.extensions import db
from lms.images import ImageRejected, open_uploaded_image, store_image
from lms.storage import StorageError, get_storage
from lms_catalog.models import Course
from lms_catalog.services import CatalogError

MAX_BYTES = 8 * 1024 * 1024
SIZE = (960, 540)
# Thumbnail URLs change twice a day rather than on every page view, so browsers cache them.
_URL_WINDOW = 12 * 3600


def _refuse(message: str) -> CatalogError:
    return CatalogError(message, code="invalid_image", status=422, fields={"thumbnail": [message]})


def save_thumbnail(course: Course, stream: IO[bytes]) -> str:
    """Check, resize and store an uploaded image as the course's thumbnail; return its key."""
    try:
        image = open_uploaded_image(stream, max_bytes=MAX_BYTES).convert("RGB")
    except ImageRejected as exc:
        raise _refuse(exc.message) from exc
    image = ImageOps.fit(image, SIZE, method=Image.Resampling.LANCZOS)
    key = f"catalog/thumbnails/{course.id}-{secrets.token_hex(6)}.jpg"
    store_image(image, key, "JPEG", "image/jpeg", quality=85, optimize=True, progressive=True)
    old = course.thumbnail_key
    course.thumbnail_key = key
    db.session.flush()
    if old:
        # An orphaned old file is harmless; failing the upload over it is not.
        with contextlib.suppress(StorageError):
            get_storage().delete(old)
    return key


def remove_thumbnail(course: Course) -> None:
    if course.thumbnail_key:
        with contextlib.suppress(StorageError):
            get_storage().delete(course.thumbnail_key)
    course.thumbnail_key = None
    db.session.flush()


def thumbnail_url(course: Course) -> str | None:
    """Return a signed URL of the course's thumbnail (stable for hours, so cacheable)."""
    if not course.thumbnail_key:
        return None
    now = int(time.time())
    expires_at = (now // _URL_WINDOW) * _URL_WINDOW + 2 * _URL_WINDOW
    return get_storage().url(course.thumbnail_key, expires_in=expires_at - now)
