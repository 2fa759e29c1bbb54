"""Files on local disk under one root folder, served by the app (or nginx)."""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import urlencode

from lms.storage.base import CHUNK, Storage, UploadSession, app_url, as_stream
from lms.storage.keys import StorageError, check_upload_id, clean_key

# Files moved in (save_file, uploads) get the mode a fresh file would get; a
# temporary file's 0600 would keep nginx from sending it. Read once, at import,
# because reading the umask means setting it.
_UMASK = os.umask(0o022)
os.umask(_UMASK)

# Unfinished uploads live beside the files (same filesystem: completing is a rename).
_UPLOADS = ".uploads"


def _signature(secret: str, key: str, expires: int, filename: str) -> str:
    msg = f"{key}\n{expires}\n{filename}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def _move(src: Path, target: Path) -> None:
    """Move `src` to `target` atomically; copy first if they are on different filesystems."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        tmp = target.with_name(f".{target.name}.part")
        shutil.copyfile(src, tmp)
        tmp.replace(target)
        src.unlink()
    target.chmod(0o666 & ~_UMASK)


class LocalStorage(Storage):
    def __init__(self, root: Path, secret: str, default_expiry: int) -> None:
        self.root = Path(root)
        self.secret = secret
        self.default_expiry = default_expiry
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.root / clean_key(key)

    def save(self, key: str, stream: IO[bytes], content_type: str | None = None) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")
        with tmp.open("wb") as out:
            shutil.copyfileobj(stream, out, CHUNK)
        tmp.replace(target)  # atomic: readers never see half a file
        return target.stat().st_size

    def save_file(self, path: Path, key: str, content_type: str | None = None) -> int:
        target = self.path(key)
        if not Path(path).is_file():
            raise StorageError(f"no file at {path}")
        _move(Path(path), target)
        return target.stat().st_size

    def open(self, key: str) -> IO[bytes]:
        try:
            return self.path(key).open("rb")
        except FileNotFoundError as exc:
            raise StorageError(f"no stored file {key!r}") from exc

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        folder = self.path(prefix)
        count = sum(1 for _ in self.list(prefix))
        shutil.rmtree(folder, ignore_errors=True)
        return count

    def list(self, prefix: str) -> Iterator[str]:
        keys = []
        for dirpath, dirnames, filenames in os.walk(self.path(prefix)):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            base = Path(dirpath).relative_to(self.root).as_posix()
            keys.extend(f"{base}/{name}" for name in filenames if not name.startswith("."))
        yield from sorted(keys)

    def copy(self, src: str, dst: str) -> None:
        target = self.path(dst)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")
        try:
            shutil.copyfile(self.path(src), tmp)
        except FileNotFoundError as exc:
            raise StorageError(f"no stored file {src!r}") from exc
        tmp.replace(target)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        path = self.path(key)
        if not path.is_file():
            raise StorageError(f"no stored file {key!r}")
        yield path

    def url(
        self,
        key: str,
        expires_in: int | None = None,
        filename: str | None = None,
        external: bool = False,
    ) -> str:
        expires = int(self.clock()) + (expires_in or self.default_expiry)
        name = filename or ""
        query = {"expires": expires, "sig": _signature(self.secret, clean_key(key), expires, name)}
        if name:
            query["filename"] = name
        return app_url("core.media", external, key=key) + "?" + urlencode(query)

    def verify(self, key: str, expires: str, sig: str, filename: str = "") -> bool:
        """True if the signature matches and the URL has not expired."""
        try:
            expires_at = int(expires)
        except (TypeError, ValueError):
            return False
        if expires_at < self.clock():
            return False
        expected = _signature(self.secret, clean_key(key), expires_at, filename)
        return hmac.compare_digest(expected, sig or "")

    def begin_upload(self, key: str, content_type: str | None = None) -> LocalUpload:
        upload = LocalUpload(self, uuid.uuid4().hex, clean_key(key))
        upload.state_path.parent.mkdir(parents=True, exist_ok=True)
        upload.data_path.touch()
        upload.state_path.write_text(json.dumps({"key": upload.key}))
        return upload

    def resume_upload(self, upload_id: str) -> LocalUpload:
        state_path = self.root / _UPLOADS / f"{check_upload_id(upload_id)}.json"
        try:
            state = json.loads(state_path.read_text())
        except FileNotFoundError as exc:
            raise StorageError(f"no upload {upload_id!r}") from exc
        return LocalUpload(self, upload_id, state["key"])

    def check(self) -> str:
        probe = self.root / ".health"
        probe.write_bytes(b"ok")
        probe.unlink()
        free = shutil.disk_usage(self.root).free
        return f"local disk, {free // (1024**3)} GiB free"


class LocalUpload(UploadSession):
    """Chunks appended to a file beside the root's files, renamed into place at the end."""

    def __init__(self, storage: LocalStorage, upload_id: str, key: str) -> None:
        self.storage = storage
        self.id = upload_id
        self.key = key
        self.state_path = storage.root / _UPLOADS / f"{upload_id}.json"
        self.data_path = storage.root / _UPLOADS / f"{upload_id}.data"

    def _require_open(self) -> None:
        if not self.state_path.is_file():
            raise StorageError(f"upload {self.id!r} is finished or gone")

    @property
    def offset(self) -> int:
        self._require_open()
        return self.data_path.stat().st_size

    def append(self, data: bytes | IO[bytes]) -> int:
        self._require_open()
        with self.data_path.open("ab") as out:
            try:
                shutil.copyfileobj(as_stream(data), out, CHUNK)
            finally:
                out.flush()
        return self.offset

    def complete(self) -> int:
        self._require_open()
        target = self.storage.path(self.key)
        _move(self.data_path, target)
        self.state_path.unlink()
        return target.stat().st_size

    def abort(self) -> None:
        self.data_path.unlink(missing_ok=True)
        self.state_path.unlink(missing_ok=True)
