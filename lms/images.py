"""Pictures people upload (avatars, course thumbnails): checked by content, re-encoded.

Only the bytes decide what a file is, never its name. A small file can decode to
billions of pixels (a decompression bomb), so the size in pixels is checked
before anything is decoded. Callers resize and store what comes back; what is
stored is always our own re-encoding, never the uploaded bytes.
"""

from __future__ import annotations

import io
import warnings
from typing import IO, Any

import filetype
from PIL import Image, ImageOps

from lms.errors import ServiceError
from lms.i18n import _
from lms.storage import get_storage

ALLOWED_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
MAX_PIXELS = 40_000_000
_MIB = 1024 * 1024


class ImageRejected(ServiceError):
    """An upload that is not a picture we accept; the message says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_image", status=422)


def open_uploaded_image(
    stream: IO[bytes], *, max_bytes: int, max_pixels: int = MAX_PIXELS
) -> Image.Image:
    """Read an upload (at most `max_bytes`) and return it decoded, upright (EXIF applied)."""
    data = stream.read(max_bytes + 1)
    if not data:
        raise ImageRejected(_("The file is empty. Choose a JPEG, PNG, WebP or GIF image."))
    if len(data) > max_bytes:
        raise ImageRejected(_("The image is larger than %(num)d MB.", num=max_bytes // _MIB))
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise ImageRejected(
            _("This file is not an image we can use. Choose a JPEG, PNG, WebP or GIF.")
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > max_pixels:
                raise ImageRejected(
                    _(
                        "The image has too many pixels; use one under %(num)d megapixels.",
                        num=max_pixels // 1_000_000,
                    )
                )
            image.seek(0)  # the first frame of an animation
            image.load()
    except ImageRejected:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        raise ImageRejected(_("The image could not be read; it may be damaged.")) from exc
    return ImageOps.exif_transpose(image)


def store_image(
    image: Image.Image, key: str, image_format: str, content_type: str, **options: Any
) -> None:
    """Encode `image` (e.g. "PNG", "JPEG" with quality=85) and store it under `key`."""
    out = io.BytesIO()
    image.save(out, image_format, **options)
    out.seek(0)
    get_storage().save(key, out, content_type=content_type)
