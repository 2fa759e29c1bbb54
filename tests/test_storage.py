"""Stored files: local disk and S3 (moto's server over HTTP), streaming, signed URLs."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from lms.storage import CHUNK, LocalStorage, StorageError, clean_key, get_storage


def _payload(size: int) -> bytes:
    # Not a repeated byte: a reordered or truncated chunk must show.
    return os.urandom(size)


class _CountingReader(io.RawIOBase):
    """A source stream that records the largest read asked of it."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.largest_read = max(self.largest_read, size if size >= 0 else 1 << 62)
        return self._buf.read(size)


# --- keys -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["../secret", "a/../../etc/passwd", "/etc/passwd", "", "a\\..\\b", "uploads/../.."]
)
def test_keys_that_escape_the_storage_root_are_refused(key):
    with pytest.raises(StorageError):
        clean_key(key)


def test_local_storage_refuses_to_write_outside_its_root(app, tmp_path):
    storage = LocalStorage(tmp_path / "root", "secret", 60)
    with pytest.raises(StorageError):
        storage.save("../escaped.txt", io.BytesIO(b"x"))
    assert not (tmp_path / "escaped.txt").exists()


# --- local disk -------------------------------------------------------------------------


def test_local_storage_streams_a_file_larger_than_one_chunk(app):
    data = _payload(CHUNK * 2 + 12345)
    source = _CountingReader(data)
    with app.app_context():
        storage = get_storage()
        assert isinstance(storage, LocalStorage)
        size = storage.save("uploads/1/big.bin", source)
        assert size == len(data)
        # Streamed: the source was read a chunk at a time, never all at once.
        assert 0 < source.largest_read <= CHUNK
        assert storage.exists("uploads/1/big.bin")
        assert storage.size("uploads/1/big.bin") == len(data)
        chunks = list(storage.iter_chunks("uploads/1/big.bin"))
        assert len(chunks) == 3 and all(len(c) <= CHUNK for c in chunks)
        assert b"".join(chunks) == data
        with storage.open("uploads/1/big.bin") as fh:
            assert fh.read() == data
        # No temporary file is left next to the stored one.
        assert sorted(p.name for p in storage.path("uploads/1").iterdir()) == ["big.bin"]

        storage.save("uploads/1/big.bin", io.BytesIO(b"replaced"))
        assert storage.size("uploads/1/big.bin") == len(b"replaced")

        storage.delete("uploads/1/big.bin")
        assert not storage.exists("uploads/1/big.bin")
        with pytest.raises(StorageError):
            storage.open("uploads/1/big.bin")
        storage.delete("uploads/1/big.bin")  # deleting twice is not an error


def _signed_url(app, key: str, **kwargs) -> str:
    with app.test_request_context():
        return get_storage().url(key, **kwargs)


def test_signed_local_url_downloads_the_file(app, client):
    data = _payload(CHUNK + 10)
    with app.app_context():
        get_storage().save("private/report.pdf", io.BytesIO(data))
    url = _signed_url(app, "private/report.pdf")
    assert url.startswith("/media/private/report.pdf?")
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == data
    assert response.headers["Cache-Control"] == "private, max-age=300"


def test_signed_local_url_with_filename_downloads_as_attachment(app, client):
    with app.app_context():
        get_storage().save("private/7/abc", io.BytesIO(b"%PDF-1.4 hello"))
    url = _signed_url(app, "private/7/abc", filename="Grades.pdf")
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == b"%PDF-1.4 hello"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "Grades.pdf" in response.headers["Content-Disposition"]
    assert response.mimetype == "application/pdf"


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


def test_tampered_signature_is_refused(app, client):
    with app.app_context():
        get_storage().save("private/a.txt", io.BytesIO(b"secret"))
    url = _signed_url(app, "private/a.txt")
    sig = parse_qs(urlsplit(url).query)["sig"][0]
    forged = ("0" if sig[0] != "0" else "1") + sig[1:]
    response = client.get(_with_query(url, sig=forged))
    assert response.status_code == 403
    assert b"secret" not in response.data


def test_signed_url_cannot_be_reused_for_another_file(app, client):
    with app.app_context():
        get_storage().save("private/mine.txt", io.BytesIO(b"mine"))
        get_storage().save("private/theirs.txt", io.BytesIO(b"theirs"))
    url = _signed_url(app, "private/mine.txt")
    stolen = url.replace("/media/private/mine.txt", "/media/private/theirs.txt")
    assert client.get(stolen).status_code == 403


def test_extending_the_expiry_breaks_the_signature(app, client):
    with app.app_context():
        get_storage().save("private/a.txt", io.BytesIO(b"secret"))
    url = _signed_url(app, "private/a.txt", expires_in=30)
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    assert client.get(_with_query(url, expires=str(expires + 86400))).status_code == 403


def test_expired_signed_url_is_refused(app, client):
    with app.app_context():
        get_storage().save("private/a.txt", io.BytesIO(b"secret"))
    url = _signed_url(app, "private/a.txt", expires_in=-10)
    response = client.get(url)
    assert response.status_code == 403
    assert b"secret" not in response.data


def test_unsigned_media_url_is_refused(app, client):
    with app.app_context():
        get_storage().save("private/a.txt", io.BytesIO(b"secret"))
    assert client.get("/media/private/a.txt").status_code == 403


def test_signed_url_for_a_missing_file_is_404(app, client):
    url = _signed_url(app, "private/gone.txt")
    assert client.get(url).status_code == 404


def test_local_storage_health_probe_reports_free_space(app):
    with app.app_context():
        assert "GiB free" in get_storage().check()


# --- S3 (moto's S3 server over HTTP) ----------------------------------------------------------


def test_s3_storage_round_trip(s3_storage):
    data = _payload(CHUNK * 2 + 777)
    source = _CountingReader(data)
    size = s3_storage.save("videos/3/source.mp4", source, content_type="video/mp4")
    assert size == len(data)
    assert s3_storage.exists("videos/3/source.mp4")
    assert s3_storage.size("videos/3/source.mp4") == len(data)
    head = s3_storage.client.head_object(Bucket=s3_storage.bucket, Key="videos/3/source.mp4")
    assert head["ContentType"] == "video/mp4"
    with s3_storage.open("videos/3/source.mp4") as fh:
        assert fh.read() == data
    assert b"".join(s3_storage.iter_chunks("videos/3/source.mp4")) == data
    assert "s3 bucket" in s3_storage.check()

    s3_storage.delete("videos/3/source.mp4")
    assert not s3_storage.exists("videos/3/source.mp4")
    with pytest.raises(StorageError):
        s3_storage.open("videos/3/source.mp4")


def test_s3_storage_refuses_escaping_keys(s3_storage):
    with pytest.raises(StorageError):
        s3_storage.save("../other-bucket/x", io.BytesIO(b"x"))


def test_s3_presigned_url_downloads_the_bytes(s3_storage):
    data = _payload(200_000)
    s3_storage.save("private/notes.pdf", io.BytesIO(data))
    url = s3_storage.url("private/notes.pdf", filename="Notes.pdf")
    # Fetched like a browser would: plain HTTP, no AWS credentials.
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == data
    # moto ignores response-content-disposition; S3 answers with it as the header.
    query = parse_qs(urlsplit(url).query)
    assert query["response-content-disposition"] == ['attachment; filename="Notes.pdf"']


def _presigned_lifetime(url: str) -> tuple[datetime, int]:
    query = parse_qs(urlsplit(url).query)
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return signed_at, int(query["X-Amz-Expires"][0])


def test_s3_presigned_url_lives_as_long_as_asked(s3_storage):
    """S3 refuses a presigned URL once X-Amz-Date + X-Amz-Expires has passed.

    moto's server does not enforce that expiry (it serves an expired URL), so
    what we can check over HTTP is that the URL we hand out carries the
    lifetime we asked for, signed at the time we asked.
    """
    s3_storage.save("private/notes.pdf", io.BytesIO(b"private"))
    before = datetime.now(UTC).replace(microsecond=0)
    signed_at, lifetime = _presigned_lifetime(s3_storage.url("private/notes.pdf", expires_in=120))
    assert lifetime == 120
    assert before <= signed_at <= datetime.now(UTC)
    # Without a lifetime, the configured default (STORAGE_URL_EXPIRES) applies.
    assert _presigned_lifetime(s3_storage.url("private/notes.pdf"))[1] == 60


def test_s3_health_probe_fails_for_a_missing_bucket(s3_storage):
    s3_storage.client.delete_bucket(Bucket=s3_storage.bucket)
    with pytest.raises(Exception):  # noqa: B017 - botocore's ClientError; any error is right
        s3_storage.check()


# --- operations on both backends ------------------------------------------------------------


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "root", "secret", 60)
    return request.getfixturevalue("s3_storage")


def _read(storage, key: str) -> bytes:
    with storage.open(key) as fh:
        return fh.read()


def test_list_and_delete_prefix_stay_inside_the_folder(backend):
    for key in ("a/1.txt", "a/b/2.txt", "a/b/c/3.txt", "a0/4.txt", "ab/5.txt", "a.txt"):
        backend.save(key, io.BytesIO(key.encode()))

    assert list(backend.list("a")) == ["a/1.txt", "a/b/2.txt", "a/b/c/3.txt"]
    assert list(backend.list("a/b")) == ["a/b/2.txt", "a/b/c/3.txt"]
    assert list(backend.list("missing")) == []

    assert backend.delete_prefix("a/b") == 2
    assert list(backend.list("a")) == ["a/1.txt"]
    assert backend.delete_prefix("a") == 1
    assert backend.delete_prefix("a") == 0
    # Neighbours whose names merely start the same are untouched.
    assert [k for k in ("a0/4.txt", "ab/5.txt", "a.txt") if backend.exists(k)] == [
        "a0/4.txt",
        "ab/5.txt",
        "a.txt",
    ]


def test_list_does_not_show_an_unfinished_upload_or_a_half_written_file(backend):
    backend.save("v/done.ts", io.BytesIO(b"x"))
    backend.begin_upload("v/pending.ts").append(b"half")
    if isinstance(backend, LocalStorage):
        (backend.root / "v" / ".late.ts.part").write_bytes(b"half")  # what save() writes first
    assert list(backend.list("v")) == ["v/done.ts"]


@pytest.mark.parametrize("prefix", ["", "/", "..", "../x", "a/../..", ".uploads"])
def test_delete_prefix_refuses_the_root_and_escaping_prefixes(backend, prefix):
    backend.save("keep/me.txt", io.BytesIO(b"x"))
    with pytest.raises(StorageError):
        backend.delete_prefix(prefix)
    assert backend.exists("keep/me.txt")


def test_copy_leaves_the_source_and_replaces_the_target(backend):
    data = _payload(CHUNK + 5)
    backend.save("src/a.bin", io.BytesIO(data))
    backend.save("dst/a.bin", io.BytesIO(b"old"))
    backend.copy("src/a.bin", "dst/a.bin")
    assert _read(backend, "dst/a.bin") == data
    assert _read(backend, "src/a.bin") == data
    with pytest.raises(StorageError):
        backend.copy("src/missing.bin", "dst/b.bin")
    assert not backend.exists("dst/b.bin")


def test_save_file_moves_a_finished_file_in(backend, tmp_path):
    source = tmp_path / "ffmpeg-out" / "index.m3u8"
    source.parent.mkdir()
    source.write_bytes(b"#EXTM3U\n")
    assert backend.save_file(source, "v/1/index.m3u8") == 8
    assert not source.exists()  # moved, not copied
    assert _read(backend, "v/1/index.m3u8") == b"#EXTM3U\n"
    if not isinstance(backend, LocalStorage):
        head = backend.client.head_object(Bucket=backend.bucket, Key="v/1/index.m3u8")
        assert head["ContentType"] == "application/vnd.apple.mpegurl"
    with pytest.raises(StorageError):
        backend.save_file(source, "v/1/again.m3u8")


def test_local_save_file_renames_on_the_same_filesystem(tmp_path):
    storage = LocalStorage(tmp_path / "root", "secret", 60)
    source = tmp_path / "segment.ts"
    source.write_bytes(b"x" * 1000)
    os.chmod(source, 0o600)  # as a temporary file is created
    inode = source.stat().st_ino
    storage.save_file(source, "v/segment.ts")
    stored = storage.path("v/segment.ts").stat()
    assert stored.st_ino == inode  # the same file: no bytes were copied
    umask = os.umask(0)
    os.umask(umask)
    # Readable like any stored file (nginx may send it), not the temp file's 0600.
    assert stored.st_mode & 0o777 == 0o666 & ~umask


def test_local_path_gives_a_readable_file_and_cleans_up(backend):
    data = _payload(CHUNK + 3)
    backend.save("videos/9/source.mp4", io.BytesIO(data))
    with backend.local_path("videos/9/source.mp4") as path:
        assert path.read_bytes() == data
        assert path.suffix == ".mp4"  # ffmpeg may look at the extension
        if isinstance(backend, LocalStorage):
            assert path == backend.path("videos/9/source.mp4")  # the file itself
    if isinstance(backend, LocalStorage):
        assert path.exists()
    else:
        assert not path.exists() and not path.parent.exists()  # the download is gone
    with pytest.raises(StorageError), backend.local_path("videos/9/missing.mp4"):
        pass


def test_signed_url_outside_a_request_uses_the_site_url(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SITE_URL", "https://school.example/")
    with app.app_context():  # as in a worker or a mail: no request
        get_storage().save("private/a.txt", io.BytesIO(b"secret"))
        url = get_storage().url("private/a.txt")
    assert url.startswith("https://school.example/media/private/a.txt?")
    assert client.get(url.removeprefix("https://school.example")).data == b"secret"


def test_local_file_with_a_name_through_nginx_keeps_its_download_name(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_ACCEL_REDIRECT_PREFIX", "/_protected")
    with app.app_context():
        get_storage().save("private/7/abc", io.BytesIO(b"%PDF-1.4"))
    response = client.get(_signed_url(app, "private/7/abc", filename="Grades 2026.pdf"))
    assert response.status_code == 200
    assert response.headers["X-Accel-Redirect"] == "/_protected/private/7/abc"
    assert response.headers["Content-Disposition"] == 'attachment; filename="Grades 2026.pdf"'
    assert response.mimetype == "application/pdf"
    # A name beyond Latin-1 reaches the browser intact (RFC 5987), never a 500.
    response = client.get(_signed_url(app, "private/7/abc", filename="成绩 Übersicht.pdf"))
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''%E6%88%90%E7%BB%A9%20%C3%9Cbersicht.pdf" in disposition
