"""Course thumbnails: checked by content, resized to one 16:9 size, kept in the core storage."""

from __future__ import annotations

import contextlib
import io
import secrets
import time
import warnings
from typing import IO

import filetype
from PIL import Image, ImageOps

from lms.extensions import db
from lms.storage import StorageError, get_storage
from lms_catalog.models import Course
from lms_catalog.services import CatalogError

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 10 MB PNG can hide a billion pixels; refuse before decoding
SIZE = (960, 540)
ALLOWED_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
# Thumbnail URLs change twice a day rather than on every page view, so browsers cache them.
_URL_WINDOW = 12 * 3600


def _refuse(message: str) -> CatalogError:
    return CatalogError(message, code="invalid_image", status=422, fields={"thumbnail": [message]})


def save_thumbnail(course: Course, stream: IO[bytes]) -> str:
    """Check, resize and store an uploaded image as the course's thumbnail; return its key."""
    data = stream.read(MAX_BYTES + 1)
    if not data:
        raise _refuse("The file is empty. Choose a JPEG, PNG, WebP or GIF image.")
    if len(data) > MAX_BYTES:
        raise _refuse(f"The image is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise _refuse("This file is not an image we can use. Choose a JPEG, PNG, WebP or GIF.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise _refuse("The image has too many pixels; use one under 40 megapixels.")
            image.load()
    except CatalogError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        raise _refuse("The image could not be read; it may be damaged.") from exc
    image = ImageOps.exif_transpose(image).convert("RGB")
    image = ImageOps.fit(image, SIZE, method=Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    out.seek(0)
    key = f"catalog/thumbnails/{course.id}-{secrets.token_hex(6)}.jpg"
    storage = get_storage()
    storage.save(key, out, content_type="image/jpeg")
    old = course.thumbnail_key
    course.thumbnail_key = key
    db.session.flush()
    if old:
        # An orphaned old file is harmless; failing the upload over it is not.
        with contextlib.suppress(StorageError):
            storage.delete(old)
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
