"""Folder tokens: one signed, expiring URL for a whole HLS ladder, on local disk and S3."""

from __future__ import annotations

import io
import os
import time
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from itsdangerous import URLSafeSerializer

from lms.state import lms_state
from lms.storage import HLS_PLAYLIST, FolderGrant, StorageError, get_storage

PREFIX = "videos/7/hls"
SEGMENTS = 100


@pytest.fixture(params=["local", "s3"])
def app_storage(request, app):
    """The app's storage: its local disk, or S3 on moto's loopback server."""
    if request.param == "local":
        with app.app_context():
            yield get_storage()
        return
    s3 = request.getfixturevalue("s3_storage")
    state = lms_state(app)
    saved, state.storage = state.storage, s3
    try:
        yield s3
    finally:
        state.storage = saved


def _store_ladder(storage) -> dict[str, bytes]:
    """Store an HLS-shaped folder: master playlist, one rung's playlist, 100 segments."""
    segments = {f"720p/seg_{n:03d}.ts": os.urandom(1500 + n) for n in range(SEGMENTS)}
    rung = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n" + "".join(
        f"#EXTINF:2.0,\n{name.removeprefix('720p/')}\n" for name in segments
    )
    files = {
        "master.m3u8": b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=2800000\n720p/index.m3u8\n",
        "720p/index.m3u8": (rung + "#EXT-X-ENDLIST\n").encode(),
        **segments,
    }
    for name, data in files.items():
        storage.save(f"{PREFIX}/{name}", io.BytesIO(data))
    _store_neighbours(storage)
    return files


def _store_neighbours(storage) -> None:
    """Store files next to the ladder that its token must not reach."""
    storage.save("videos/7/source.mp4", io.BytesIO(b"the original upload"))
    storage.save("videos/70/hls/master.m3u8", io.BytesIO(b"another video"))


def _folder_url(app, storage, expires_in: int = 600) -> str:
    with app.test_request_context():
        return storage.folder_url(PREFIX, "master.m3u8", expires_in=expires_in)


def _fetch(client, storage, url: str) -> bytes:
    """GET like a player: follow the app's redirect to S3 without credentials."""
    response = client.get(url)
    if response.status_code == 302:
        assert response.headers["Cache-Control"] == "no-store"
        follow = requests.get(response.headers["Location"], timeout=10)
        assert follow.status_code == 200, follow.text
        return follow.content
    assert response.status_code == 200, response.data[:200]
    return response.data


def _uris(playlist: bytes) -> list[str]:
    return [line for line in playlist.decode().splitlines() if line and not line.startswith("#")]


def test_folder_token_serves_every_file_of_a_ladder_by_relative_url(app, client, app_storage):
    files = _store_ladder(app_storage)
    master_url = _folder_url(app, app_storage)
    assert master_url.startswith("/media-folder/")

    master = client.get(master_url)
    assert master.status_code == 200
    assert master.mimetype == HLS_PLAYLIST
    assert master.data == files["master.m3u8"]

    # Resolved the way a player resolves them: relative to the playlist's own URL.
    (rung_url,) = (urljoin(master_url, uri) for uri in _uris(master.data))
    rung = client.get(rung_url)
    assert rung.status_code == 200
    assert rung.data == files["720p/index.m3u8"]

    segment_urls = [urljoin(rung_url, uri) for uri in _uris(rung.data)]
    assert len(segment_urls) == SEGMENTS
    for n, url in enumerate(segment_urls):
        assert _fetch(client, app_storage, url) == files[f"720p/seg_{n:03d}.ts"]


@pytest.mark.parametrize(
    "escape",
    [
        "../source.mp4",
        "720p/../../source.mp4",
        "%2e%2e/source.mp4",
        "..%2Fsource.mp4",
        "../../70/hls/master.m3u8",
        "/videos/7/source.mp4",
        "..\\source.mp4",
        ".uploads/state.json",
    ],
)
def test_folder_token_refuses_files_outside_its_folder(app, client, app_storage, escape):
    _store_neighbours(app_storage)
    master_url = _folder_url(app, app_storage)
    token_root = master_url.removesuffix("master.m3u8")
    response = client.get(token_root + escape)
    if response.status_code == 308:  # Werkzeug merges "//" first; the merged path is inside
        response = client.get(response.headers["Location"])
    if response.status_code == 302:
        # S3: the app does not ask S3 whether a file exists before redirecting;
        # the presigned URL names a key inside the folder, which S3 lacks.
        location = urlsplit(response.headers["Location"]).path
        assert location == f"/{app_storage.bucket}/{PREFIX}/videos/7/source.mp4"
        assert requests.get(response.headers["Location"], timeout=10).status_code == 404
        return
    assert response.status_code == 404
    assert b"original upload" not in response.data and b"another video" not in response.data
    assert "Location" not in response.headers


def test_a_token_for_one_folder_does_not_open_a_sibling_with_a_longer_name():
    grant = FolderGrant(prefix="videos/7", expires_at=2**40)
    assert grant.key_for("hls/master.m3u8") == "videos/7/hls/master.m3u8"
    for path in ("../70/hls/master.m3u8", "../7/x", "", "/etc/passwd"):
        with pytest.raises(StorageError):
            grant.key_for(path)


def test_folder_token_refuses_every_file_after_expiry(app, client, app_storage, monkeypatch):
    files = _store_ladder(app_storage)
    issued_at = time.time()
    monkeypatch.setattr(app_storage, "clock", lambda: issued_at)
    master_url = _folder_url(app, app_storage, expires_in=600)
    segment_url = urljoin(master_url, "720p/seg_042.ts")

    # Ten minutes minus a second later: still served.
    monkeypatch.setattr(app_storage, "clock", lambda: issued_at + 599)
    assert _fetch(client, app_storage, segment_url) == files["720p/seg_042.ts"]

    monkeypatch.setattr(app_storage, "clock", lambda: issued_at + 601)
    for url in (master_url, urljoin(master_url, "720p/index.m3u8"), segment_url):
        response = client.get(url)
        assert response.status_code == 403
        assert b"expired" in response.data
        assert "Location" not in response.headers


def test_s3_redirect_never_outlives_the_folder_token(app, client, s3_storage, monkeypatch):
    state = lms_state(app)
    monkeypatch.setattr(state, "storage", s3_storage)
    _store_ladder(s3_storage)
    issued_at = time.time()
    monkeypatch.setattr(s3_storage, "clock", lambda: issued_at)
    segment_url = urljoin(_folder_url(app, s3_storage, expires_in=600), "720p/seg_000.ts")

    monkeypatch.setattr(s3_storage, "clock", lambda: issued_at + 590)
    response = client.get(segment_url)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 10


def _token_of(url: str) -> str:
    return url.split("/")[2]


def test_tampered_folder_tokens_are_refused(app, client):
    with app.app_context():
        storage = get_storage()
        _store_ladder(storage)
    master_url = _folder_url(app, storage)
    token = _token_of(master_url)
    payload, signature = token.rsplit(".", 1)

    # Change the first character: the last one's low bits are base64 padding,
    # so changing it alone can decode to the very same signature bytes.
    forged_signature = ("A" if signature[0] != "A" else "B") + signature[1:]
    # The payload of a token for another folder, with this token's signature.
    other = URLSafeSerializer("not-the-secret", salt="x").dumps({"p": "videos/70/hls", "e": 2**40})
    foreign_payload = other.rsplit(".", 1)[0]
    # Signed with the app's secret, but not as a folder token (another salt).
    other_salt = URLSafeSerializer(app.config["SECRET_KEY"]).dumps({"p": PREFIX, "e": 2**40})
    for bad in (
        f"{payload}.{forged_signature}",
        f"{foreign_payload}.{signature}",
        other,
        other_salt,
        "garbage",
    ):
        response = client.get(master_url.replace(token, bad))
        assert response.status_code == 403, bad
        assert b"#EXTM3U" not in response.data


def test_local_folder_files_go_through_nginx_when_configured(app, client, monkeypatch):
    with app.app_context():
        storage = get_storage()
        storage.save(f"{PREFIX}/720p/seg 001.ts", io.BytesIO(b"segment bytes"))
    monkeypatch.setitem(app.config, "STORAGE_ACCEL_REDIRECT_PREFIX", "/_protected/")
    url = urljoin(_folder_url(app, storage), "720p/seg%20001.ts")
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == b""  # nginx sends the bytes
    assert response.headers["X-Accel-Redirect"] == f"/_protected/{PREFIX}/720p/seg%20001.ts"
    assert response.mimetype == "video/mp2t"


def test_folder_url_outside_a_request_uses_the_site_url(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SITE_URL", "https://school.example/")
    with app.app_context():
        storage = get_storage()
        storage.save(f"{PREFIX}/master.m3u8", io.BytesIO(b"#EXTM3U\n"))
        url = storage.folder_url(PREFIX, "master.m3u8")
    assert url.startswith("https://school.example/media-folder/")
    assert client.get(url.removeprefix("https://school.example")).data == b"#EXTM3U\n"
