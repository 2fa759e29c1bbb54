"""The storage interface every backend implements, and helpers they share."""

from __future__ import annotations

import io
import mimetypes
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import IO, Any

from flask import has_request_context, url_for

from lms.storage.keys import clean_key
from lms.storage.tokens import FolderGrant, FolderTokens
from lms.urls import external_url

CHUNK = 1024 * 1024

HLS_PLAYLIST = "application/vnd.apple.mpegurl"
# Types that mimetypes does not know everywhere; HLS players rely on the first two.
_MEDIA_TYPES = {
    ".m3u8": HLS_PLAYLIST,
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".vtt": "text/vtt",
}


def guess_type(name: str) -> str:
    """Return the media type for a file name (HLS types included)."""
    suffix = PurePosixPath(name).suffix.lower()
    return _MEDIA_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def as_stream(data: bytes | IO[bytes]) -> IO[bytes]:
    """Return `data` as a readable binary stream."""
    return io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data


def app_url(endpoint: str, external: bool = False, **values: Any) -> str:
    """Build a URL of the app: relative inside a request, else from the site URL."""
    if external or not has_request_context():
        return external_url(endpoint, **values)
    return url_for(endpoint, **values)


class UploadSession(ABC):
    """A file written in chunks, resumable by `id` from another process.

    Appends to one session must not run concurrently (the caller locks, e.g.
    per tus upload); each append streams, so memory stays flat.
    """

    id: str
    key: str

    @property
    @abstractmethod
    def offset(self) -> int:
        """Return how many bytes are stored so far (where the next append starts)."""

    @abstractmethod
    def append(self, data: bytes | IO[bytes]) -> int:
        """Append bytes or a whole stream; return the new offset.

        If the stream fails half-way (a dropped connection), what was read
        before stays stored, and the raised error propagates.
        """

    @abstractmethod
    def complete(self) -> int:
        """Publish the bytes under `key` (replacing it); return the size."""

    @abstractmethod
    def abort(self) -> None:
        """Discard the session and every byte it holds."""


class Storage(ABC):
    """Stored files under relative keys like ``uploads/12/video.mp4``."""

    secret: str
    default_expiry: int
    # The time source of expiry checks; tests replace it instead of sleeping.
    clock: Callable[[], float] = time.time

    @abstractmethod
    def save(self, key: str, stream: IO[bytes], content_type: str | None = None) -> int:
        """Store the stream under `key` (replacing it); return the size in bytes."""

    @abstractmethod
    def save_file(self, path: Path, key: str, content_type: str | None = None) -> int:
        """Move a finished local file in under `key` (the file at `path` is gone after)."""

    @abstractmethod
    def open(self, key: str) -> IO[bytes]:
        """Return a readable binary stream; the caller closes it."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Delete the file under `key`; a missing file is not an error."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Delete every file under the folder `prefix`; return how many."""

    @abstractmethod
    def list(self, prefix: str) -> Iterator[str]:
        """Yield the keys of every file under the folder `prefix`, in key order."""

    @abstractmethod
    def copy(self, src: str, dst: str) -> None:
        """Copy the file under `src` to `dst` (replacing it)."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Return whether a file is stored under `key`."""

    @abstractmethod
    def size(self, key: str) -> int:
        """Return the size in bytes of the file under `key`."""

    @abstractmethod
    def local_path(self, key: str) -> AbstractContextManager[Path]:
        """Give a path on local disk holding the file (for ffmpeg and friends).

        On local disk it is the stored file itself (read it, never write it);
        elsewhere a temporary copy, removed when the block ends.
        """

    @abstractmethod
    def url(
        self,
        key: str,
        expires_in: int | None = None,
        filename: str | None = None,
        external: bool = False,
    ) -> str:
        """Return a signed URL valid for `expires_in` seconds."""

    @abstractmethod
    def begin_upload(self, key: str, content_type: str | None = None) -> UploadSession:
        """Start a chunked upload that `complete()` publishes under `key`."""

    @abstractmethod
    def resume_upload(self, upload_id: str) -> UploadSession:
        """Return the unfinished upload `upload_id`; StorageError if there is none."""

    @abstractmethod
    def check(self) -> str:
        """Raise if the backend is unusable; return a short description."""

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        """Yield the file's bytes a chunk at a time."""
        with self.open(key) as fh:
            while chunk := fh.read(CHUNK):
                yield chunk

    # --- folder tokens: one expiring grant to every file under a prefix ----------------

    def folder_token(self, prefix: str, expires_in: int | None = None) -> str:
        """Return a token granting read access to every file under `prefix`."""
        expires_at = int(self.clock()) + (expires_in or self.default_expiry)
        return self._folder_tokens.issue(clean_key(prefix), expires_at)

    def folder_url(
        self,
        prefix: str,
        path: str,
        expires_in: int | None = None,
        external: bool = False,
    ) -> str:
        """Return the URL of `prefix/path` under a fresh folder token.

        Relative URLs inside the file (an HLS playlist's segments) resolve to
        the same token, so the whole folder plays from this one URL.
        """
        token = self.folder_token(prefix, expires_in)
        return app_url("core.media_folder", external, token=token, path=clean_key(path))

    def open_folder_token(self, token: str) -> FolderGrant:
        """Return the grant a token carries; FolderTokenError if forged or expired."""
        return self._folder_tokens.open(token, now=self.clock())

    @cached_property
    def _folder_tokens(self) -> FolderTokens:
        return FolderTokens(self.secret)
