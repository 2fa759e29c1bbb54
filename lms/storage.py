"""Stored files behind one interface: local disk (default) or S3-compatible storage.

Keys are relative paths like ``uploads/12/video.mp4``. Reads and writes stream
(never the whole file in memory). Private files are reached only through
signed, expiring URLs that the app hands out after checking access.
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import urlencode

from flask import Flask, url_for

CHUNK = 1024 * 1024


class StorageError(RuntimeError):
    pass


def clean_key(key: str) -> str:
    """Refuse keys that could escape the storage root."""
    path = PurePosixPath(key)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in key:
        raise StorageError(f"invalid storage key {key!r}")
    return str(path)


class Storage(ABC):
    @abstractmethod
    def save(self, key: str, stream: IO[bytes], content_type: str | None = None) -> int:
        """Store the stream under `key` (replacing it); return the size in bytes."""

    @abstractmethod
    def open(self, key: str) -> IO[bytes]:
        """Return a readable binary stream; the caller closes it."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int: ...

    @abstractmethod
    def url(self, key: str, expires_in: int | None = None, filename: str | None = None) -> str:
        """Return a signed URL valid for `expires_in` seconds."""

    @abstractmethod
    def check(self) -> str:
        """Raise if the backend is unusable; return a short description."""

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        with self.open(key) as fh:
            while chunk := fh.read(CHUNK):
                yield chunk


# --- local disk ----------------------------------------------------------------


def _signature(secret: str, key: str, expires: int, filename: str) -> str:
    msg = f"{key}\n{expires}\n{filename}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


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

    def open(self, key: str) -> IO[bytes]:
        try:
            return self.path(key).open("rb")
        except FileNotFoundError as exc:
            raise StorageError(f"no stored file {key!r}") from exc

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def url(self, key: str, expires_in: int | None = None, filename: str | None = None) -> str:
        expires = int(time.time()) + (expires_in or self.default_expiry)
        name = filename or ""
        query = {"expires": expires, "sig": _signature(self.secret, clean_key(key), expires, name)}
        if name:
            query["filename"] = name
        return url_for("core.media", key=key) + "?" + urlencode(query)

    def verify(self, key: str, expires: str, sig: str, filename: str = "") -> bool:
        """True if the signature matches and the URL has not expired."""
        try:
            expires_at = int(expires)
        except (TypeError, ValueError):
            return False
        if expires_at < time.time():
            return False
        expected = _signature(self.secret, clean_key(key), expires_at, filename)
        return hmac.compare_digest(expected, sig or "")

    def check(self) -> str:
        probe = self.root / ".health"
        probe.write_bytes(b"ok")
        probe.unlink()
        free = shutil.disk_usage(self.root).free
        return f"local disk, {free // (1024**3)} GiB free"


# --- S3-compatible ---------------------------------------------------------------


class S3Storage(Storage):
    def __init__(
        self,
        bucket: str,
        *,
        region: str,
        endpoint_url: str | None,
        access_key: str | None,
        secret_key: str | None,
        default_expiry: int,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.default_expiry = default_expiry
        self.client = boto3.client(
            "s3",
            region_name=region,
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(
                signature_version="s3v4",
                connect_timeout=3,
                read_timeout=30,
                retries={"max_attempts": 2},
            ),
        )

    def save(self, key: str, stream: IO[bytes], content_type: str | None = None) -> int:
        extra = {"ContentType": content_type} if content_type else None
        # upload_fileobj streams in multipart chunks; it never reads the whole file.
        self.client.upload_fileobj(stream, self.bucket, clean_key(key), ExtraArgs=extra)
        return self.size(key)

    def open(self, key: str) -> IO[bytes]:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=clean_key(key))["Body"]
        except ClientError as exc:
            raise StorageError(f"no stored file {key!r}") from exc

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=clean_key(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=clean_key(key))
        except ClientError:
            return False
        return True

    def size(self, key: str) -> int:
        return int(self.client.head_object(Bucket=self.bucket, Key=clean_key(key))["ContentLength"])

    def url(self, key: str, expires_in: int | None = None, filename: str | None = None) -> str:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": clean_key(key)}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_in or self.default_expiry
        )

    def check(self) -> str:
        self.client.head_bucket(Bucket=self.bucket)
        return f"s3 bucket {self.bucket}"


def create_storage(app: Flask) -> Storage:
    cfg = app.config
    if cfg["STORAGE_BACKEND"] == "s3":
        if not cfg.get("STORAGE_S3_BUCKET"):
            raise StorageError("STORAGE_BACKEND is s3 but STORAGE_S3_BUCKET is not set")
        return S3Storage(
            cfg["STORAGE_S3_BUCKET"],
            region=cfg["STORAGE_S3_REGION"],
            endpoint_url=cfg.get("STORAGE_S3_ENDPOINT_URL"),
            access_key=cfg.get("STORAGE_S3_ACCESS_KEY_ID"),
            secret_key=cfg.get("STORAGE_S3_SECRET_ACCESS_KEY"),
            default_expiry=cfg["STORAGE_URL_EXPIRES"],
        )
    if cfg["STORAGE_BACKEND"] != "local":
        raise StorageError(f"unknown STORAGE_BACKEND {cfg['STORAGE_BACKEND']!r} (local or s3)")
    root = cfg.get("STORAGE_LOCAL_PATH") or Path(app.instance_path) / "storage"
    return LocalStorage(Path(root), cfg["SECRET_KEY"], cfg["STORAGE_URL_EXPIRES"])


def get_storage() -> Storage:
    """Return the app's storage backend."""
    from lms.state import lms_state

    return lms_state().storage
