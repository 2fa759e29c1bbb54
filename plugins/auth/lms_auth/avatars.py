"""Profile pictures: decoded and re-encoded by Pillow, so only real images are stored."""

from __future__ import annotations

import io
import secrets
from typing import IO

from PIL import Image, UnidentifiedImageError

from lms.models import User
from lms.storage import get_storage

MAX_AVATAR_BYTES = 5 * 1024 * 1024
MAX_SOURCE_PIXELS = 40_000_000  # refuses decompression bombs before decoding
AVATAR_SIZE = 256


class AvatarError(ValueError):
    pass


def save_avatar(user: User, stream: IO[bytes]) -> str:
    """Store a 256x256 PNG made from the upload; replace the old one. Return its key."""
    data = stream.read(MAX_AVATAR_BYTES + 1)
    if len(data) > MAX_AVATAR_BYTES:
        raise AvatarError("The picture is larger than 5 MB.")
    if not data:
        raise AvatarError("The file is empty.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_SOURCE_PIXELS:
                raise AvatarError("The picture has too many pixels.")
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.seek(0)  # first frame of animations
            picture = img.convert("RGBA")
    except AvatarError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise AvatarError(
            "That file is not a picture we can read (PNG, JPEG, GIF or WebP)."
        ) from None
    picture.thumbnail((AVATAR_SIZE, AVATAR_SIZE))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    out.seek(0)
    key = f"avatars/{user.id}/{secrets.token_hex(8)}.png"
    storage = get_storage()
    storage.save(key, out, content_type="image/png")
    old = user.avatar_key
    user.avatar_key = key
    if old and old != key:
        storage.delete(old)
    return key
