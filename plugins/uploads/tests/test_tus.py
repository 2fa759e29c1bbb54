"""The tus endpoint with a real client (tuspy) and raw requests for every refusal."""

from __future__ import annotations

import hashlib
import io
import os
import socket
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from lms_uploads.models import COMPLETE, EXPIRED, RECEIVING, Upload
from lms_uploads.testing import TUS, api_token, tus_metadata
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError

from lms.extensions import db
from lms.models import utcnow
from lms.settings import set_setting
from lms.state import lms_state
from lms.storage import StorageError

KIB = 1024
MIB = 1024 * KIB


def _payload(size: int, seed: bytes = b"x") -> bytes:
    """Bytes that differ along the file, so a misplaced chunk shows."""
    block = hashlib.sha256(seed).digest() * 2048  # 64 KiB
    out = bytearray()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(block[:32] + i.to_bytes(4, "big")).digest() + block[32:4096]
        i += 1
    return bytes(out[:size])


def _row(app, upload_id: str) -> Upload | None:
    with app.app_context():
        upload = db.session.get(Upload, upload_id)
        if upload is not None:
            db.session.expunge(upload)
        return upload


def _id(location: str) -> str:
    return urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]


def _stored(app, upload: Upload) -> bytes:
    with app.app_context(), lms_state(app).storage.open(upload.storage_key) as fh:
        return fh.read()


def _upload_rows(app) -> int:
    with app.app_context():
        return db.session.query(Upload).count()


def _storage_files(app) -> list[str]:
    root = lms_state(app).storage.root
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# --- a real client ------------------------------------------------------------------------


def test_tuspy_uploads_a_file_in_chunks_and_the_bytes_arrive_intact(app, live_server, bearer):
    data = _payload(3 * MIB + 12345)
    tus = tus_client.TusClient(live_server.url + "/api/v1/uploads/", headers=bearer)
    uploader = tus.uploader(
        file_stream=io.BytesIO(data),
        chunk_size=MIB,
        metadata={"filename": "notes.pdf", "filetype": "application/pdf"},
    )
    uploader.upload()

    upload = _row(app, _id(uploader.url))
    assert upload.status == COMPLETE
    assert upload.offset == upload.length == len(data)
    assert upload.filename == "notes.pdf"
    assert upload.content_type == "application/pdf"
    assert upload.completed_at is not None
    assert _stored(app, upload) == data


def test_tuspy_resumes_where_the_server_stopped(app, live_server, bearer, tmp_path):
    """A client that stopped half-way (closed tab) resumes from the server's offset."""
    from tusclient.storage.filestorage import FileStorage

    data = _payload(4 * MIB + 7, seed=b"resume")
    source = tmp_path / "lecture.bin"
    source.write_bytes(data)
    urls = FileStorage(str(tmp_path / "urls.json"))
    tus = tus_client.TusClient(live_server.url + "/api/v1/uploads/", headers=bearer)

    first = tus.uploader(str(source), chunk_size=MIB, store_url=True, url_storage=urls)
    first.upload(stop_at=2 * MIB)
    upload_id = _id(first.url)
    assert _row(app, upload_id).offset == 2 * MIB

    # A new client (a new page) finds the upload by the file's fingerprint.
    again = tus.uploader(str(source), chunk_size=MIB, store_url=True, url_storage=urls)
    assert _id(again.url) == upload_id
    assert again.get_offset() == 2 * MIB
    again.upload()
    upload = _row(app, upload_id)
    assert upload.status == COMPLETE
    assert _stored(app, upload) == data


def test_upload_resumes_on_a_restarted_app(app, test_config, bearer, create_tus_upload, http):
    """The first app (its process) is gone; a new one takes the upload over from storage."""
    from lms.app import create_app
    from lms.testing.servers import LiveServer

    data = _payload(3 * MIB, seed=b"restart")
    first = LiveServer(create_app(dict(test_config)))
    first.start()
    try:
        location = http(
            "POST",
            first.url + "/api/v1/uploads/",
            headers={
                **bearer,
                "Upload-Length": str(len(data)),
                "Upload-Metadata": tus_metadata(filename="a.bin"),
            },
        ).headers["Location"]
        r = http(
            "PATCH",
            first.url + location,
            data=data[: 2 * MIB],
            headers={
                **bearer,
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
            },
        )
        assert r.status_code == 204
    finally:
        first.stop()

    second = LiveServer(create_app(dict(test_config)))
    second.start()
    try:
        tus = tus_client.TusClient(second.url + "/api/v1/uploads/", headers=bearer)
        uploader = tus.uploader(
            file_stream=io.BytesIO(data), chunk_size=MIB, url=second.url + location
        )
        assert uploader.get_offset() == 2 * MIB
        uploader.upload()
    finally:
        second.stop()
    upload = _row(app, _id(location))
    assert upload.status == COMPLETE
    assert _stored(app, upload) == data


def test_a_body_cut_off_mid_way_keeps_what_arrived(
    app, live_server, bearer, create_tus_upload, http
):
    data = _payload(2 * MIB, seed=b"cut")
    location = create_tus_upload(bearer, len(data), filename="cut.bin")
    # Announce the whole file, send 1 MiB, then drop the connection.
    host, port = urlsplit(live_server.url).hostname, urlsplit(live_server.url).port
    head = (
        f"PATCH {location} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: {bearer['Authorization']}\r\nTus-Resumable: 1.0.0\r\n"
        "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port)) as sock:
        sock.sendall(head + data[:MIB])
    # The server notices the break, stores what it got and lets go of the upload.
    for _ in range(100):
        r = http("HEAD", location, headers=bearer)
        if r.headers["Upload-Offset"] == str(MIB):
            break
        import time

        time.sleep(0.1)
    assert r.headers["Upload-Offset"] == str(MIB)

    tus = tus_client.TusClient(live_server.url + "/api/v1/uploads/", headers=bearer)
    uploader = tus.uploader(
        file_stream=io.BytesIO(data),
        chunk_size=MIB,
        url=live_server.url + location,
        retries=5,
        retry_delay=1,
    )
    uploader.upload()
    assert _stored(app, _row(app, _id(location))) == data


def test_options_says_what_the_server_supports(http):
    r = http("OPTIONS", "/api/v1/uploads/")
    assert r.status_code == 204
    assert r.headers["Tus-Version"] == "1.0.0"
    assert set(r.headers["Tus-Extension"].split(",")) == {"creation", "termination", "expiration"}
    assert int(r.headers["Tus-Max-Size"]) == 4096 * MIB


def test_head_reports_offset_length_and_expiry(app, bearer, create_tus_upload, http):
    location = create_tus_upload(bearer, 1000, filename="a.txt")
    r = http("HEAD", location, headers=bearer)
    assert r.status_code == 200
    assert r.headers["Upload-Offset"] == "0"
    assert r.headers["Upload-Length"] == "1000"
    assert r.headers["Tus-Resumable"] == "1.0.0"
    assert r.headers["Cache-Control"] == "no-store"
    assert "GMT" in r.headers["Upload-Expires"]
    assert r.content == b""


# --- refusals -----------------------------------------------------------------------------


def _patch(http, location, headers, body: bytes, offset: int, **extra):
    return http(
        "PATCH",
        location,
        data=body,
        headers={
            **headers,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
            **extra,
        },
    )


def test_wrong_offset_is_409_and_changes_nothing(app, bearer, create_tus_upload, http):
    location = create_tus_upload(bearer, 100)
    assert _patch(http, location, bearer, b"a" * 40, 0).status_code == 204

    r = _patch(http, location, bearer, b"b" * 10, 10)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "offset_mismatch"
    assert "HEAD" in r.json()["error"]["message"]
    assert r.headers["Upload-Offset"] == "40"
    assert _row(app, _id(location)).offset == 40
    assert http("HEAD", location, headers=bearer).headers["Upload-Offset"] == "40"


def test_wrong_tus_version_is_412_with_the_supported_version(bearer, create_tus_upload, http):
    location = create_tus_upload(bearer, 100)
    old = {**bearer, "Tus-Resumable": "0.2.2"}
    r = _patch(http, location, old, b"a" * 10, 0)
    assert r.status_code == 412
    assert r.headers["Tus-Version"] == "1.0.0"
    assert r.json()["error"]["code"] == "tus_version_unsupported"
    r = http("POST", "/api/v1/uploads/", headers={**old, "Upload-Length": "10"})
    assert r.status_code == 412
    assert http("HEAD", location, headers=bearer).headers["Upload-Offset"] == "0"


def test_a_file_over_the_size_limit_is_refused_before_any_byte(app, bearer, http):
    with app.app_context():
        set_setting("uploads", "max_file_size_mb", 5)
        db.session.commit()
    r = http(
        "POST",
        "/api/v1/uploads/",
        headers={**bearer, "Upload-Length": str(5 * MIB + 1), "Content-Length": "0"},
    )
    assert r.status_code == 413
    body = r.json()["error"]
    assert body["code"] == "file_too_large"
    assert "largest upload allowed is 5 MB" in body["message"]
    assert _upload_rows(app) == 0
    assert _storage_files(app) == []


def test_an_upload_over_the_quota_is_refused_before_any_byte(
    app, instructor, bearer, http, create_upload
):
    with app.app_context():
        set_setting("uploads", "instructor_quota_gb", 1)
        db.session.commit()
    create_upload(instructor.id, 900 * MIB)  # an unfinished upload counts at its declared size
    r = http("POST", "/api/v1/uploads/", headers={**bearer, "Upload-Length": str(200 * MIB)})
    assert r.status_code == 413
    body = r.json()["error"]
    assert body["code"] == "quota_exceeded"
    assert "124 MB of 1.0 GB left" in body["message"]
    assert _upload_rows(app) == 1
    assert _storage_files(app) == []
    # What fits is still accepted.
    r = http("POST", "/api/v1/uploads/", headers={**bearer, "Upload-Length": str(100 * MIB)})
    assert r.status_code == 201


def test_someone_elses_upload_cannot_be_read_appended_or_deleted(
    app, create_user, bearer, create_tus_upload, http
):
    location = create_tus_upload(bearer, 100)
    assert _patch(http, location, bearer, b"a" * 30, 0).status_code == 204
    other = create_user(role="instructor", username="otto")
    theirs = {"Authorization": f"Bearer {api_token(app, other.username)}", **TUS}

    assert http("HEAD", location, headers=theirs).status_code == 403
    r = _patch(http, location, theirs, b"b" * 10, 30)
    assert r.status_code == 403
    assert r.json()["error"]["message"] == "Only the person who started an upload may continue it."
    assert http("DELETE", location, headers=theirs).status_code == 403
    assert _row(app, _id(location)).offset == 30
    assert http("HEAD", location, headers=bearer).headers["Upload-Offset"] == "30"


def test_anonymous_requests_are_401(bearer, create_tus_upload, http):
    location = create_tus_upload(bearer, 100)
    r = http("POST", "/api/v1/uploads/", headers={**TUS, "Upload-Length": "10"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"
    assert _patch(http, location, TUS, b"a", 0).status_code == 401
    assert http("HEAD", location, headers=TUS).status_code == 401


def test_session_calls_need_the_csrf_header(app, client, instructor, login_as, http):
    from lms.testing.clients import csrf_token_in

    login_as(client, instructor)
    headers = {**TUS, "Upload-Length": "10"}
    r = client.post("/api/v1/uploads/", headers=headers)
    assert r.status_code == 400
    assert r.json["error"]["code"] == "csrf_failed"
    token = csrf_token_in(client.get("/").get_data(as_text=True))
    r = client.post("/api/v1/uploads/", headers={**headers, "X-CSRFToken": token})
    assert r.status_code == 201
    location = r.headers["Location"]
    patch_headers = {**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    r = client.patch(location, data=b"0123456789", headers=patch_headers)
    assert r.status_code == 400
    r = client.patch(location, data=b"0123456789", headers={**patch_headers, "X-CSRFToken": token})
    assert r.status_code == 204
    assert _row(app, _id(location)).status == COMPLETE


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"Upload-Length": "-1"}, 400, "bad_request"),
        ({"Upload-Length": "abc"}, 400, "bad_request"),
        ({}, 400, "bad_request"),
        ({"Upload-Length": "0"}, 400, "empty_file"),
        ({"Upload-Defer-Length": "1"}, 400, "length_required"),
        ({"Upload-Length": "10", "Upload-Metadata": "filename !!notbase64"}, 400, "bad_metadata"),
        (
            {"Upload-Length": "10", "Upload-Metadata": tus_metadata(purpose="Bad Purpose")},
            400,
            "bad_metadata",
        ),
    ],
)
def test_bad_creation_headers_are_refused_clearly(app, bearer, http, headers, status, code):
    r = http("POST", "/api/v1/uploads/", headers={**bearer, **headers})
    assert r.status_code == status
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["message"]
    assert _upload_rows(app) == 0


def test_patch_needs_the_tus_content_type(bearer, create_tus_upload, http):
    location = create_tus_upload(bearer, 100)
    r = _patch(http, location, bearer, b"a", 0, **{"Content-Type": "application/json"})
    assert r.status_code == 415


def test_more_bytes_than_declared_are_refused(app, bearer, create_tus_upload, http):
    location = create_tus_upload(bearer, 10)
    r = _patch(http, location, bearer, b"a" * 11, 0)
    assert r.status_code == 413
    assert _row(app, _id(location)).offset == 0


def test_unknown_upload_is_404(bearer, http):
    assert http("HEAD", "/api/v1/uploads/" + "0" * 32, headers=bearer).status_code == 404
    r = _patch(http, "/api/v1/uploads/not-an-id", bearer, b"a", 0)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_a_second_patch_while_one_runs_is_423(app, bearer, create_tus_upload, http):
    from lms.redis_store import get_redis

    location = create_tus_upload(bearer, 100)
    with app.app_context():
        lock = get_redis(app).lock(f"lms:uploads:lock:{_id(location)}", timeout=30)
        assert lock.acquire(blocking=False)
    try:
        r = _patch(http, location, bearer, b"a" * 10, 0)
        assert r.status_code == 423
    finally:
        lock.release()
    assert _patch(http, location, bearer, b"a" * 10, 0).status_code == 204


def test_termination_frees_the_bytes(app, bearer, create_tus_upload, http):
    location = create_tus_upload(bearer, 100)
    assert _patch(http, location, bearer, b"a" * 50, 0).status_code == 204
    upload = _row(app, _id(location))
    assert _storage_files(app)  # the partial bytes
    r = http("DELETE", location, headers=bearer)
    assert r.status_code == 204
    assert http("HEAD", location, headers=bearer).status_code == 404
    assert _row(app, upload.id) is None
    with app.app_context(), pytest.raises(StorageError):
        lms_state(app).storage.resume_upload(upload.session_id)


# --- expiration ---------------------------------------------------------------------------


def test_the_expiry_job_frees_abandoned_uploads_and_they_answer_410(
    app, bearer, create_tus_upload, http
):
    from lms_uploads.tasks import expire_uploads

    stale = create_tus_upload(bearer, 100)
    fresh = create_tus_upload(bearer, 100)
    assert _patch(http, stale, bearer, b"a" * 50, 0).status_code == 204
    assert _patch(http, fresh, bearer, b"a" * 50, 0).status_code == 204
    with app.app_context():
        db.session.get(Upload, _id(stale)).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        assert expire_uploads() == {"expired": 1}
    stale_row = _row(app, _id(stale))
    assert stale_row.status == EXPIRED
    with app.app_context(), pytest.raises(StorageError):
        lms_state(app).storage.resume_upload(stale_row.session_id)

    assert http("HEAD", stale, headers=bearer).status_code == 410
    r = _patch(http, stale, bearer, b"a" * 10, 50)
    assert r.status_code == 410
    assert "expired" in r.json()["error"]["message"]
    assert _row(app, _id(fresh)).status == RECEIVING
    assert http("HEAD", fresh, headers=bearer).headers["Upload-Offset"] == "50"


def test_an_overdue_upload_is_410_even_before_the_job_runs(app, bearer, create_tus_upload, http):
    location = create_tus_upload(bearer, 100)
    with app.app_context():
        db.session.get(Upload, _id(location)).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert _patch(http, location, bearer, b"a" * 10, 0).status_code == 410
    assert _row(app, _id(location)).status == EXPIRED


def test_the_expiry_job_is_declared_periodic(app):
    periodic = {p.name: p for p in lms_state(app).periodic_jobs}
    assert "uploads-expire" in periodic
    assert periodic["uploads-expire"].every <= 3600


def test_expired_uploads_stop_counting_against_the_quota(app, instructor, create_upload):
    from lms_uploads.quota import used_bytes

    create_upload(instructor.id, 10 * MIB, expires_in=timedelta(seconds=-1))
    with app.app_context():
        assert used_bytes(instructor.id) == 10 * MIB
        from lms_uploads.expiry import expire_abandoned_uploads

        assert expire_abandoned_uploads() == 1
        assert used_bytes(instructor.id) == 0


def test_tuspy_reports_a_refusal_as_an_error(live_server, app, bearer):
    with app.app_context():
        set_setting("uploads", "max_file_size_mb", 1)
        db.session.commit()
    tus = tus_client.TusClient(live_server.url + "/api/v1/uploads/", headers=bearer)
    uploader = tus.uploader(file_stream=io.BytesIO(os.urandom(MIB + 1)), chunk_size=MIB)
    with pytest.raises(TusCommunicationError) as caught:
        uploader.upload()
    assert caught.value.status_code == 413


def test_a_patch_may_be_larger_than_the_sites_form_limit(app, bearer, create_tus_upload, http):
    """MAX_CONTENT_LENGTH bounds bodies read into memory; a PATCH is streamed instead."""
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = MIB
    try:
        location = create_tus_upload(bearer, 3 * MIB)
        r = _patch(http, location, bearer, b"z" * (3 * MIB), 0)
        assert r.status_code == 204, r.text
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
    assert _row(app, _id(location)).status == COMPLETE


@pytest.fixture
def s3_site(app, s3_storage):
    """The site's storage is S3 (moto's server over HTTP on loopback) for this test."""
    state = lms_state(app)
    local = state.storage
    state.storage = s3_storage
    yield s3_storage
    state.storage = local


def test_tuspy_upload_resumes_on_s3_storage(app, live_server, bearer, s3_site, tmp_path):
    """Chunks smaller than S3's 5 MiB parts, a stop half-way, a resume, one object at the end."""
    from tusclient.storage.filestorage import FileStorage

    data = _payload(11 * MIB + 3, seed=b"s3")
    source = tmp_path / "lecture.bin"
    source.write_bytes(data)
    urls = FileStorage(str(tmp_path / "urls.json"))
    tus = tus_client.TusClient(live_server.url + "/api/v1/uploads/", headers=bearer)
    first = tus.uploader(str(source), chunk_size=3 * MIB, store_url=True, url_storage=urls)
    first.upload(stop_at=6 * MIB)
    upload_id = _id(first.url)
    r = tus.uploader(str(source), chunk_size=3 * MIB, store_url=True, url_storage=urls)
    assert r.get_offset() == 6 * MIB
    r.upload()
    upload = _row(app, upload_id)
    assert upload.status == COMPLETE
    with app.app_context(), s3_site.open(upload.storage_key) as fh:
        assert fh.read() == data
    # Nothing of the multipart upload's bookkeeping is left beside the file.
    keys = [
        o["Key"] for o in s3_site.client.list_objects_v2(Bucket=s3_site.bucket).get("Contents", [])
    ]
    assert keys == [upload.storage_key]


def test_a_finished_upload_nothing_used_expires_a_day_later(app, bearer, create_tus_upload, http):
    from lms_uploads.expiry import COMPLETE_GRACE, expire_abandoned_uploads

    location = create_tus_upload(bearer, 10)
    assert _patch(http, location, bearer, b"0123456789", 0).status_code == 204
    upload = _row(app, _id(location))
    assert upload.status == COMPLETE
    with app.app_context():
        row = db.session.get(Upload, upload.id)
        row.expires_at = utcnow() - timedelta(minutes=1)  # past its own expiry: kept still
        db.session.commit()
        assert expire_abandoned_uploads() == 0
        row = db.session.get(Upload, upload.id)
        row.expires_at = utcnow() - COMPLETE_GRACE - timedelta(minutes=1)
        db.session.commit()
        assert expire_abandoned_uploads() == 1
        assert not lms_state(app).storage.exists(upload.storage_key)
    assert _row(app, upload.id).status == EXPIRED


def test_parallel_creations_cannot_both_take_the_last_free_space(app, bearer, http):
    from concurrent.futures import ThreadPoolExecutor

    with app.app_context():
        set_setting("uploads", "instructor_quota_gb", 1)
        db.session.commit()
    headers = {**bearer, "Upload-Length": str(600 * MIB)}
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(lambda _: http("POST", "/api/v1/uploads/", headers=headers), range(4))
        )
    assert sorted(r.status_code for r in answers) == [201, 413, 413, 413]
    assert _upload_rows(app) == 1
