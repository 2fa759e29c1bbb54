"""Profile pictures: checked and re-encoded by the core (lms.images), stored as 256 px PNG."""

from __future__ import annotations

import secrets
from typing import IO

from lms.images import ImageRejected, open_uploaded_image, store_image
from lms.models import User
from lms.storage import get_storage

MAX_AVATAR_BYTES = 5 * 1024 * 1024
AVATAR_SIZE = 256


class AvatarError(ValueError):
    pass


def save_avatar(user: User, stream: IO[bytes]) -> str:
    """Store a 256x256 PNG made from the upload; replace the old one. Return its key."""
    try:
        picture = open_uploaded_image(stream, max_bytes=MAX_AVATAR_BYTES).convert("RGBA")
    except ImageRejected as exc:
        raise AvatarError(exc.message) from exc
    picture.thumbnail((AVATAR_SIZE, AVATAR_SIZE))
    key = f"avatars/{user.id}/{secrets.token_hex(8)}.png"
    store_image(picture, key, "PNG", "image/png")
    old = user.avatar_key
    user.avatar_key = key
    if old and old != key:
        get_storage().delete(old)
    return key
