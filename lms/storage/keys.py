"""Storage keys: what a key may be, and the error every backend raises."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

# Upload ids name folders and objects: nothing but what uuid4().hex produces.
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")


class StorageError(RuntimeError):
    pass


def clean_key(key: str) -> str:
    """Refuse keys that could escape the storage root or reach its own hidden files.

    Names starting with a dot are the storage's own (temporary files, upload
    sessions), so no caller can read or overwrite them through a key.
    """
    path = PurePosixPath(key)
    if (
        path.is_absolute()
        or not path.parts
        or "\\" in key
        or any(part.startswith(".") for part in path.parts)
    ):
        raise StorageError(f"invalid storage key {key!r}")
    return str(path)


def check_upload_id(upload_id: str) -> str:
    """Refuse anything but an id that `begin_upload` could have made."""
    if not isinstance(upload_id, str) or not _UPLOAD_ID.fullmatch(upload_id):
        raise StorageError(f"no upload {upload_id!r}")
    return upload_id
