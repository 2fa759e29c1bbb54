"""Resumable chunked uploads on local disk and S3 (moto's server over HTTP)."""

from __future__ import annotations

import io
import os

import pytest

from lms.storage import CHUNK, LocalStorage, S3Storage, StorageError
from lms.storage.s3 import MIN_PART_SIZE

MIB = 1024 * 1024


class _Reader(io.RawIOBase):
    """A request body: records the largest read asked of it; can break off like a dropped client."""

    def __init__(self, data: bytes, break_after: int | None = None) -> None:
        self._buf = io.BytesIO(data)
        self.largest_read = 0
        self.break_after = break_after

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.largest_read = max(self.largest_read, size if size >= 0 else 1 << 62)
        if self.break_after is not None and self._buf.tell() >= self.break_after:
            raise ConnectionResetError("client went away")
        if self.break_after is not None and size >= 0:
            size = min(size, self.break_after - self._buf.tell())
        return self._buf.read(size)


def _restarted(storage):
    """A second storage object on the same files, as a restarted process would build."""
    if isinstance(storage, LocalStorage):
        return LocalStorage(storage.root, storage.secret, storage.default_expiry)
    return S3Storage(
        storage.bucket,
        region="us-east-1",
        endpoint_url=storage.client.meta.endpoint_url,
        access_key="testing",
        secret_key="testing",
        default_expiry=storage.default_expiry,
        secret=storage.secret,
        part_size=storage.part_size,
    )


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "root", "secret", 60)
    s3 = request.getfixturevalue("s3_storage")
    s3.part_size = MIN_PART_SIZE  # the smallest S3 allows: several parts in a small test
    return s3


def _leftovers(storage) -> list[str]:
    """Everything an upload keeps besides the stored files: state, spool, multipart parts."""
    if isinstance(storage, LocalStorage):
        folder = storage.root / ".uploads"
        return sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    objects = storage.client.list_objects_v2(Bucket=storage.bucket, Prefix=".uploads/")
    pending = storage.client.list_multipart_uploads(Bucket=storage.bucket)
    return [o["Key"] for o in objects.get("Contents", [])] + [
        u["UploadId"] for u in pending.get("Uploads", [])
    ]


def _stored(storage, key: str) -> bytes:
    with storage.open(key) as fh:
        return fh.read()


def test_chunks_appended_across_a_restart_give_the_exact_bytes(storage):
    data = os.urandom(13 * MIB + 4321)
    cuts = [0, 100, 3 * MIB, 3 * MIB + 1, 9 * MIB, len(data)]
    first, rest = cuts[:4], cuts[3:]

    upload = storage.begin_upload("videos/5/source.mp4", content_type="video/mp4")
    assert upload.offset == 0
    for start, end in zip(first, first[1:], strict=False):
        assert upload.append(data[start:end]) == end
    assert not storage.exists("videos/5/source.mp4")  # nothing published before complete()

    # The process restarts: only the upload's id survives (the caller stored it).
    resumed = _restarted(storage).resume_upload(upload.id)
    assert resumed.key == "videos/5/source.mp4"
    assert resumed.offset == first[-1]
    for start, end in zip(rest, rest[1:], strict=False):
        body = _Reader(data[start:end])
        assert resumed.append(body) == end
        assert 0 < body.largest_read <= CHUNK  # streamed, whatever the chunk's size
    assert resumed.complete() == len(data)

    assert _stored(storage, "videos/5/source.mp4") == data
    if isinstance(storage, S3Storage):
        head = storage.client.head_object(Bucket=storage.bucket, Key="videos/5/source.mp4")
        assert head["ContentType"] == "video/mp4"
    assert _leftovers(storage) == []
    with pytest.raises(StorageError):
        storage.resume_upload(upload.id)


def test_a_dropped_connection_keeps_what_arrived_and_resumes_from_there(storage):
    data = os.urandom(7 * MIB + 99)
    upload = storage.begin_upload("videos/6/source.mp4")
    with pytest.raises(ConnectionResetError):
        upload.append(_Reader(data, break_after=6 * MIB + 5))

    resumed = _restarted(storage).resume_upload(upload.id)
    assert resumed.offset == 6 * MIB + 5
    resumed.append(io.BytesIO(data[resumed.offset :]))
    resumed.complete()
    assert _stored(storage, "videos/6/source.mp4") == data


def test_abort_frees_everything(storage):
    upload = storage.begin_upload("videos/8/source.mp4")
    upload.append(os.urandom(6 * MIB))
    upload.append(os.urandom(1000))
    assert _leftovers(storage) != []

    _restarted(storage).resume_upload(upload.id).abort()

    assert _leftovers(storage) == []
    assert not storage.exists("videos/8/source.mp4")
    with pytest.raises(StorageError):
        storage.resume_upload(upload.id)


def test_small_and_empty_uploads_complete(storage):
    small = storage.begin_upload("notes/a.txt")
    small.append(b"hello ")
    small.append(io.BytesIO(b"world"))
    assert small.complete() == 11
    assert _stored(storage, "notes/a.txt") == b"hello world"

    empty = storage.begin_upload("notes/empty.txt", content_type="text/plain")
    assert empty.complete() == 0
    assert _stored(storage, "notes/empty.txt") == b""
    if isinstance(storage, S3Storage):
        head = storage.client.head_object(Bucket=storage.bucket, Key="notes/empty.txt")
        assert head["ContentType"] == "text/plain"
    assert _leftovers(storage) == []


def test_a_finished_upload_cannot_be_appended_to(storage):
    upload = storage.begin_upload("notes/b.txt")
    upload.append(b"x")
    upload.complete()
    with pytest.raises(StorageError):
        upload.append(b"more")
    assert _stored(storage, "notes/b.txt") == b"x"


@pytest.mark.parametrize("upload_id", ["", "../../etc/passwd", "0" * 31, "Z" * 32, "0" * 32])
def test_resuming_an_unknown_or_malformed_upload_is_refused(storage, upload_id):
    with pytest.raises(StorageError):
        storage.resume_upload(upload_id)


def test_an_upload_cannot_target_a_key_outside_the_storage(storage):
    for key in ("../escape", ".uploads/x", "/etc/passwd"):
        with pytest.raises(StorageError):
            storage.begin_upload(key)
    assert _leftovers(storage) == []
