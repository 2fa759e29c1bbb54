"""Folder tokens: one signed, expiring grant to read every file under a prefix.

An HLS ladder is a playlist plus hundreds of segments fetched by relative URL;
signing each file would mean rewriting every playlist. A folder token sits in
the URL path instead (``/media-folder/<token>/<path>``), so relative URLs in a
playlist resolve under the same token, and each file is checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from lms.storage.keys import StorageError, clean_key

# Keeps these tokens apart from anything else signed with the app's secret.
_SALT = "lms.storage.folder-token"


class FolderTokenError(StorageError):
    """The token is not one we signed, or it has expired."""


@dataclass(frozen=True)
class FolderGrant:
    prefix: str
    expires_at: int

    def key_for(self, path: str) -> str:
        """Return the key of `path` inside the folder; StorageError if it leaves it."""
        return f"{self.prefix}/{clean_key(path)}"


class FolderTokens:
    """Issues and opens folder tokens signed with the app's secret."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeSerializer(secret, salt=_SALT)

    def issue(self, prefix: str, expires_at: int) -> str:
        """Return a token for every file under `prefix` until `expires_at` (Unix time)."""
        return self._serializer.dumps({"p": clean_key(prefix), "e": int(expires_at)})

    def open(self, token: str, now: float) -> FolderGrant:
        """Return the token's grant if it is ours and alive at `now`."""
        try:
            data: Any = self._serializer.loads(token)
        except BadSignature as exc:
            raise FolderTokenError("folder token is not valid") from exc
        if not (
            isinstance(data, dict) and isinstance(data.get("p"), str) and type(data.get("e")) is int
        ):
            raise FolderTokenError("folder token is not valid")
        if data["e"] <= now:
            raise FolderTokenError("folder token has expired")
        return FolderGrant(prefix=data["p"], expires_at=data["e"])
