"""Files in an S3-compatible bucket, reached through presigned URLs."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any

from lms.storage.base import CHUNK, Storage, UploadSession, as_stream, guess_type
from lms.storage.keys import StorageError, check_upload_id, clean_key

MIB = 1024 * 1024
# S3 refuses multipart parts under 5 MiB (but the last) and more than 10,000
# parts: 8 MiB parts allow files up to 78 GiB.
MIN_PART_SIZE = 5 * MIB
DEFAULT_PART_SIZE = 8 * MIB

# Unfinished uploads keep their state here, in the bucket, so any process resumes them.
_UPLOADS = ".uploads"


def _is_missing(exc: Exception) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    return code in {"404", "NoSuchKey", "NoSuchUpload", "NotFound"}


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
        secret: str,
        tmp_dir: Path | None = None,
        part_size: int = DEFAULT_PART_SIZE,
    ) -> None:
        import boto3
        from botocore.config import Config

        if part_size < MIN_PART_SIZE:
            raise StorageError(f"S3 parts must be at least {MIN_PART_SIZE} bytes")
        self.bucket = bucket
        self.default_expiry = default_expiry
        self.secret = secret
        self.tmp_dir = tmp_dir
        self.part_size = part_size
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

    def _content_args(self, key: str, content_type: str | None) -> dict[str, str]:
        return {"ContentType": content_type or guess_type(key)}

    def save(self, key: str, stream: IO[bytes], content_type: str | None = None) -> int:
        extra = {"ContentType": content_type} if content_type else None
        # upload_fileobj streams in multipart chunks; it never reads the whole file.
        self.client.upload_fileobj(stream, self.bucket, clean_key(key), ExtraArgs=extra)
        return self.size(key)

    def save_file(self, path: Path, key: str, content_type: str | None = None) -> int:
        path = Path(path)
        if not path.is_file():
            raise StorageError(f"no file at {path}")
        size = path.stat().st_size
        self.client.upload_file(
            str(path), self.bucket, clean_key(key), ExtraArgs=self._content_args(key, content_type)
        )
        path.unlink()
        return size

    def open(self, key: str) -> IO[bytes]:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=clean_key(key))["Body"]
        except ClientError as exc:
            raise StorageError(f"no stored file {key!r}") from exc

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=clean_key(key))

    def _delete_raw_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with `prefix` (internal keys included)."""
        count = 0
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            objects = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if not objects:
                continue
            # A listing page holds at most 1,000 keys: exactly what one request may delete.
            answer = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
            )
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise StorageError(f"could not delete {first['Key']!r}: {first.get('Message')}")
            count += len(objects)
        return count

    def delete_prefix(self, prefix: str) -> int:
        return self._delete_raw_prefix(clean_key(prefix) + "/")

    def list(self, prefix: str) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=clean_key(prefix) + "/"
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"]

    def copy(self, src: str, dst: str) -> None:
        from botocore.exceptions import ClientError

        source = {"Bucket": self.bucket, "Key": clean_key(src)}
        try:
            # The managed copy switches to a multipart copy for large files, server-side.
            self.client.copy(source, self.bucket, clean_key(dst))
        except ClientError as exc:
            if _is_missing(exc):
                raise StorageError(f"no stored file {src!r}") from exc
            raise

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=clean_key(key))
        except ClientError:
            return False
        return True

    def size(self, key: str) -> int:
        return int(self.client.head_object(Bucket=self.bucket, Key=clean_key(key))["ContentLength"])

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        from botocore.exceptions import ClientError

        folder = Path(tempfile.mkdtemp(prefix="lms-s3-", dir=self.tmp_dir))
        try:
            # Keep the name: tools like ffmpeg look at the extension.
            path = folder / PurePosixPath(clean_key(key)).name
            try:
                self.client.download_file(self.bucket, clean_key(key), str(path))
            except ClientError as exc:
                raise StorageError(f"no stored file {key!r}") from exc
            yield path
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def url(
        self,
        key: str,
        expires_in: int | None = None,
        filename: str | None = None,
        external: bool = False,
    ) -> str:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": clean_key(key)}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_in or self.default_expiry
        )

    def begin_upload(self, key: str, content_type: str | None = None) -> S3Upload:
        key = clean_key(key)
        content = self._content_args(key, content_type)
        answer = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, **content)
        state = {"key": key, "upload_id": answer["UploadId"], "parts": [], **content}
        upload = S3Upload(self, uuid.uuid4().hex, state)
        upload.save_state()
        return upload

    def resume_upload(self, upload_id: str) -> S3Upload:
        from botocore.exceptions import ClientError

        key = f"{_UPLOADS}/{check_upload_id(upload_id)}/state.json"
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            if _is_missing(exc):
                raise StorageError(f"no upload {upload_id!r}") from exc
            raise
        with body:
            return S3Upload(self, upload_id, json.loads(body.read()))

    def check(self) -> str:
        self.client.head_bucket(Bucket=self.bucket)
        return f"s3 bucket {self.bucket}"


class S3Upload(UploadSession):
    """A multipart upload whose state (part ETags, the unsent tail) lives in the bucket.

    Parts must be at least 5 MiB, and a chunk can be any size, so bytes gather
    in a local spool file until a whole part is there. The bytes left over when
    an append ends (the tail) are stored as an object of their own, so another
    process can resume; each append writes a new tail object, then the state
    that names it, then deletes the old one, so a crash at any point leaves a
    state whose offset matches the bytes it points to.
    """

    def __init__(self, storage: S3Storage, upload_id: str, state: dict[str, Any]) -> None:
        self.storage = storage
        self.client = storage.client
        self.bucket = storage.bucket
        self.id = upload_id
        self.key = state["key"]
        self.state = state
        self.folder = f"{_UPLOADS}/{upload_id}"

    def save_state(self) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=f"{self.folder}/state.json", Body=json.dumps(self.state)
        )

    @property
    def offset(self) -> int:
        tail = self.state.get("tail")
        return sum(part["Size"] for part in self.state["parts"]) + (tail["size"] if tail else 0)

    def _spool(self) -> IO[bytes]:
        """Return a local file holding the stored tail, positioned at its end."""
        spool = tempfile.TemporaryFile(dir=self.storage.tmp_dir)  # noqa: SIM115 - caller closes
        tail = self.state.get("tail")
        if tail:
            self.client.download_fileobj(self.bucket, tail["key"], spool)
        spool.seek(0, 2)
        return spool

    def _send_part(self, spool: IO[bytes]) -> None:
        size = spool.tell()
        spool.seek(0)
        number = len(self.state["parts"]) + 1
        answer = self.client.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.state["upload_id"],
            PartNumber=number,
            Body=spool,
        )
        self.state["parts"].append({"PartNumber": number, "ETag": answer["ETag"], "Size": size})
        spool.seek(0)
        spool.truncate()

    def _store_tail(self, spool: IO[bytes]) -> None:
        old = self.state.get("tail")
        size = spool.tell()
        new = None
        if size:
            new = {"key": f"{self.folder}/tail-{uuid.uuid4().hex}", "size": size}
            spool.seek(0)
            self.client.put_object(Bucket=self.bucket, Key=new["key"], Body=spool)
        self.state["tail"] = new
        self.save_state()
        if old:
            self.client.delete_object(Bucket=self.bucket, Key=old["key"])

    def _require_open(self) -> None:
        if self.state.get("done"):
            raise StorageError(f"upload {self.id!r} is finished or gone")

    def append(self, data: bytes | IO[bytes]) -> int:
        self._require_open()
        stream = as_stream(data)
        part_size = self.storage.part_size
        with self._spool() as spool:
            received = False
            try:
                while True:
                    if spool.tell() >= part_size:
                        self._send_part(spool)
                    chunk = stream.read(min(CHUNK, part_size - spool.tell()))
                    if not chunk:
                        break
                    spool.write(chunk)
                    received = True
                if spool.tell() >= part_size:
                    self._send_part(spool)
            finally:
                # Also when the stream broke off: what arrived is kept.
                if received:
                    self._store_tail(spool)
        return self.offset

    def complete(self) -> int:
        self._require_open()
        size = self.offset
        if size == 0:
            # A multipart upload needs a part; an empty file is a plain write.
            self.abort()
            self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=b"", ContentType=self.state["ContentType"]
            )
            return 0
        with self._spool() as spool:
            if spool.tell():
                self._send_part(spool)  # the last part may be smaller than 5 MiB
        parts = [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in self.state["parts"]]
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.state["upload_id"],
            MultipartUpload={"Parts": parts},
        )
        self.storage._delete_raw_prefix(self.folder + "/")
        self.state["done"] = True
        return size

    def abort(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.state["upload_id"]
            )
        except ClientError as exc:
            if not _is_missing(exc):
                raise
        self.storage._delete_raw_prefix(self.folder + "/")
        self.state["done"] = True
