"""Stored files behind one interface: local disk (default) or S3-compatible storage.

Keys are relative paths like ``uploads/12/video.mp4``. Reads and writes stream
(never the whole file in memory). Private files are reached only through
signed, expiring URLs that the app hands out after checking access: one file
(`Storage.url`) or a whole folder such as an HLS ladder (`Storage.folder_url`).
Large files arrive in chunks through resumable upload sessions
(`Storage.begin_upload`, `Storage.resume_upload`).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from lms.storage.base import CHUNK, HLS_PLAYLIST, Storage, UploadSession, guess_type
from lms.storage.keys import StorageError, clean_key
from lms.storage.local import LocalStorage
from lms.storage.s3 import S3Storage
from lms.storage.tokens import FolderGrant, FolderTokenError

__all__ = [
    "CHUNK",
    "FolderGrant",
    "FolderTokenError",
    "HLS_PLAYLIST",
    "LocalStorage",
    "S3Storage",
    "Storage",
    "StorageError",
    "UploadSession",
    "clean_key",
    "create_storage",
    "get_storage",
    "guess_type",
]


def create_storage(app: Flask) -> Storage:
    """Build the backend the app's configuration names."""
    cfg = app.config
    if cfg["STORAGE_BACKEND"] == "s3":
        if not cfg.get("STORAGE_S3_BUCKET"):
            raise StorageError("STORAGE_BACKEND is s3 but STORAGE_S3_BUCKET is not set")
        tmp = cfg.get("STORAGE_TMP_PATH")
        return S3Storage(
            cfg["STORAGE_S3_BUCKET"],
            region=cfg["STORAGE_S3_REGION"],
            endpoint_url=cfg.get("STORAGE_S3_ENDPOINT_URL"),
            access_key=cfg.get("STORAGE_S3_ACCESS_KEY_ID"),
            secret_key=cfg.get("STORAGE_S3_SECRET_ACCESS_KEY"),
            default_expiry=cfg["STORAGE_URL_EXPIRES"],
            secret=cfg["SECRET_KEY"],
            tmp_dir=Path(tmp) if tmp else None,
        )
    if cfg["STORAGE_BACKEND"] != "local":
        raise StorageError(f"unknown STORAGE_BACKEND {cfg['STORAGE_BACKEND']!r} (local or s3)")
    root = cfg.get("STORAGE_LOCAL_PATH") or Path(app.instance_path) / "storage"
    return LocalStorage(Path(root), cfg["SECRET_KEY"], cfg["STORAGE_URL_EXPIRES"])


def get_storage() -> Storage:
    """Return the app's storage backend."""
    from lms.state import lms_state

    return lms_state().storage
