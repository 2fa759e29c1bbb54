"""Private playback: who gets the playlists and segments, on local disk and on S3.

A real HLS ladder (made by ffmpeg) is stored; people fetch it through the app
as a player would: the master playlist, a variant playlist, then its segments
from the signed, expiring folder URLs the variant playlist lists.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from lms.state import lms_state
from lms.storage import get_storage

MASTER = "/videos/{id}/hls/master.m3u8"
VARIANT = "/videos/{id}/hls/{rung}/index.m3u8"


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, app: Any) -> Iterator[Any]:
    """The app's storage: its local disk, or S3 on moto's loopback server."""
    if request.param == "local":
        with app.app_context():
            store = get_storage()
        yield store
        store.clock = time.time
        return
    s3 = request.getfixturevalue("s3_storage")
    state = lms_state(app)
    saved, state.storage = state.storage, s3
    try:
        yield s3
    finally:
        state.storage = saved


def _uris(playlist: bytes) -> list[str]:
    return [line for line in playlist.decode().splitlines() if line and not line.startswith("#")]


def _get_segment(client: Any, url: str) -> tuple[int, bytes]:
    """GET a segment like a player: the app answers, or redirects to S3 (followed, no cookies)."""
    response = client.get(url)
    if response.status_code == 302:
        assert response.headers["Cache-Control"] == "no-store"
        follow = requests.get(response.headers["Location"], timeout=10)
        return follow.status_code, follow.content
    return response.status_code, response.data


def _signed_in(make_client: Any, login_as: Any, user: Any) -> Any:
    return login_as(make_client(), user)


def test_enrolled_student_staff_and_admin_play_every_rung(
    storage: Any, video_world: Any, make_client: Any, login_as: Any
) -> None:
    world = video_world(storage)
    for person in (world.student, world.instructor, world.admin):
        client = _signed_in(make_client, login_as, person)
        master = client.get(MASTER.format(id=world.video_id))
        assert master.status_code == 200, (person.name, master.data[:200])
        assert master.mimetype == "application/vnd.apple.mpegurl"
        assert "no-store" in master.headers["Cache-Control"]
        variants = _uris(master.data)
        # Every rung, each one a URL of the app (the playlists pass the access check too).
        rungs = ("480p", "360p", "240p")
        assert variants == [VARIANT.format(id=world.video_id, rung=r) for r in rungs]
        for variant_url in variants:
            variant = client.get(variant_url)
            assert variant.status_code == 200
            assert b"#EXT-X-ENDLIST" in variant.data
            segments = _uris(variant.data)
            assert len(segments) == 5  # 10 s in 2-second segments
            for uri in segments:
                assert uri.startswith("/media-folder/")
                status, body = _get_segment(client, urljoin(variant_url, uri))
                assert status == 200
                assert body[:1] == b"\x47"  # an MPEG-TS packet's sync byte


def test_not_enrolled_student_other_instructor_and_anonymous_are_refused(
    storage: Any, video_world: Any, make_client: Any, login_as: Any
) -> None:
    world = video_world(storage)
    urls = [MASTER.format(id=world.video_id), VARIANT.format(id=world.video_id, rung="480p")]
    for person in (world.outsider, world.other_instructor):
        client = _signed_in(make_client, login_as, person)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 403, (person.name, url)
            assert b"#EXTM3U" not in response.data
    anonymous = make_client()
    for url in urls:
        assert anonymous.get(url).status_code == 404
    # A video that does not exist looks the same as one you may not see.
    assert anonymous.get(MASTER.format(id=world.video_id + 999)).status_code == 404


def test_unenrolled_student_loses_access_at_once(
    app: Any, storage: Any, video_world: Any, make_client: Any, login_as: Any
) -> None:
    world = video_world(storage)
    client = _signed_in(make_client, login_as, world.student)
    assert client.get(MASTER.format(id=world.video_id)).status_code == 200
    with app.app_context():
        from lms_catalog import get_course, unenroll

        from lms.extensions import db
        from lms.models import User

        unenroll(db.session.get(User, world.student.id), get_course(world.course.id))
        db.session.commit()
    assert client.get(MASTER.format(id=world.video_id)).status_code == 403


def _segment_urls(client: Any, video_id: int, rung: str = "480p") -> list[str]:
    variant_url = VARIANT.format(id=video_id, rung=rung)
    variant = client.get(variant_url)
    assert variant.status_code == 200
    return [urljoin(variant_url, uri) for uri in _uris(variant.data)]


def test_segment_urls_expire(
    app: Any, storage: Any, video_world: Any, make_client: Any, login_as: Any
) -> None:
    world = video_world(storage)
    client = _signed_in(make_client, login_as, world.student)
    url = _segment_urls(client, world.video_id)[0]
    assert _get_segment(client, url)[0] == 200
    lifetime = app.config.get("UPLOADS_SEGMENT_URL_EXPIRES", 3 * 3600)
    storage.clock = lambda: time.time() + lifetime + 5
    try:
        response = client.get(url)
        assert response.status_code == 403
        assert b"expired" in response.data
    finally:
        storage.clock = time.time
    # A fresh playlist gives fresh links.
    assert _get_segment(client, _segment_urls(client, world.video_id)[0])[0] == 200


def test_tampered_or_stretched_segment_urls_are_refused(
    storage: Any, video_world: Any, make_client: Any, login_as: Any
) -> None:
    world = video_world(storage)
    client = _signed_in(make_client, login_as, world.student)
    url = _segment_urls(client, world.video_id, "240p")[0]
    _, _, token, rung_file = urlsplit(url).path.split("/", 3)
    # The signature forged (its first character changed: the last one's low bits are padding).
    payload, signature = token.rsplit(".", 1)
    forged = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    assert client.get(f"/media-folder/{forged}/{rung_file}").status_code == 403
    # The token reaches only its own rung's folder: not another rung, not the source, not up.
    for path in ("../480p/seg_000.ts", "../../source", "../master.m3u8", "%2e%2e/480p/seg_000.ts"):
        response = client.get(f"/media-folder/{token}/{path}")
        assert response.status_code in (403, 404), path
        assert response.data[:1] != b"\x47"
    # Someone without any token gets nothing from the storage routes either.
    anonymous = make_client()
    assert anonymous.get(f"/media/{world.prefix}/480p/seg_000.ts").status_code in (403, 404)
    assert anonymous.get(f"/media-folder/not-a-token/{rung_file}").status_code == 403


def test_segments_go_through_nginx_when_configured(
    app: Any, video_world: Any, make_client: Any, login_as: Any
) -> None:
    world = video_world()
    client = _signed_in(make_client, login_as, world.student)
    url = _segment_urls(client, world.video_id)[0]
    app.config["STORAGE_ACCEL_REDIRECT_PREFIX"] = "/protected-media"
    try:
        response = client.get(url)
    finally:
        app.config["STORAGE_ACCEL_REDIRECT_PREFIX"] = None
    assert response.status_code == 200
    accel = response.headers["X-Accel-Redirect"]
    assert accel == f"/protected-media/{world.prefix}/480p/seg_000.ts"
    assert response.data == b""  # nginx sends the bytes
    assert response.mimetype == "video/mp2t"


def test_video_not_ready_has_no_playlists(
    video_world: Any, make_client: Any, login_as: Any
) -> None:
    world = video_world(status="processing")
    client = _signed_in(make_client, login_as, world.instructor)
    assert client.get(MASTER.format(id=world.video_id)).status_code == 404
    api = client.get(f"/api/v1/videos/{world.video_id}/playback")
    assert api.status_code == 409
    assert api.get_json()["error"]["code"] == "not_ready"


def test_playback_api_gives_a_grant_that_works_without_the_session(
    app: Any, storage: Any, video_world: Any, make_client: Any, login_as: Any
) -> None:
    world = video_world(storage)
    client = _signed_in(make_client, login_as, world.student)
    answer = client.get(f"/api/v1/videos/{world.video_id}/playback")
    assert answer.status_code == 200, answer.data
    data = answer.get_json()
    assert data["renditions"] == ["480p", "360p", "240p"]
    assert data["master_url"].startswith("http://localhost/videos/")
    # A player with no cookie (a native app, Safari's own HLS) plays from the URL alone.
    bare = make_client()
    master_path = urlsplit(data["master_url"])
    master = bare.get(f"{master_path.path}?{master_path.query}")
    assert master.status_code == 200
    variant_url = _uris(master.data)[0]
    assert "grant=" in variant_url
    variant = bare.get(variant_url)
    assert variant.status_code == 200
    status, body = _get_segment(bare, urljoin(variant_url, _uris(variant.data)[0]))
    assert status == 200 and body[:1] == b"\x47"
    # The grant names the student: once unenrolled, it plays no more.
    with app.app_context():
        from lms_catalog import get_course, unenroll

        from lms.extensions import db
        from lms.models import User

        unenroll(db.session.get(User, world.student.id), get_course(world.course.id))
        db.session.commit()
    assert bare.get(f"{master_path.path}?{master_path.query}").status_code == 403
    # A grant changed by hand is nobody's.
    forged = master_path.query.replace("grant=", "grant=x")
    assert bare.get(f"{master_path.path}?{forged}").status_code == 404


def test_playback_api_refusals(video_world: Any, make_client: Any, login_as: Any) -> None:
    world = video_world()
    outsider = _signed_in(make_client, login_as, world.outsider)
    refused = outsider.get(f"/api/v1/videos/{world.video_id}/playback")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["message"] == "Enrol in this course to watch its videos."
    assert make_client().get(f"/api/v1/videos/{world.video_id}/playback").status_code == 401
    missing = outsider.get(f"/api/v1/videos/{world.video_id + 999}/playback")
    assert missing.status_code == 404


def test_the_lesson_page_gives_a_player_only_to_who_may_play(
    video_world: Any, make_client: Any, login_as: Any
) -> None:
    world = video_world()
    master = f'data-master-url="/videos/{world.video_id}/hls/master.m3u8"'.encode()
    page = f"/lessons/{world.lesson_id}"
    for person in (world.student, world.instructor, world.admin):
        answer = login_as(make_client(), person).get(page)
        assert answer.status_code == 200 and master in answer.data
    refused = login_as(make_client(), world.outsider).get(page)
    assert refused.status_code == 403 and master not in refused.data
    anonymous = make_client().get(page)
    # Sent to sign in (or refused): never a player.
    assert anonymous.status_code in (302, 401, 403, 404)
    assert master not in anonymous.data
    if anonymous.status_code == 302:
        assert "/login" in anonymous.headers["Location"]


def test_master_playlist_tags_naming_playlists_are_rewritten_and_strangers_refused(
    app: Any, video_world: Any, make_client: Any, login_as: Any
) -> None:
    import io

    world = video_world()
    client = login_as(make_client(), world.student)
    with app.app_context():
        storage = get_storage()
    storage.save(
        f"{world.prefix}/master.m3u8",
        io.BytesIO(
            b"#EXTM3U\n"
            b'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="English",URI="240p/index.m3u8"\n'
            b'#EXT-X-STREAM-INF:BANDWIDTH=900000,AUDIO="a"\n480p/index.m3u8\n'
        ),
    )
    master = client.get(MASTER.format(id=world.video_id))
    assert master.status_code == 200
    text = master.data.decode()
    assert f'URI="/videos/{world.video_id}/hls/240p/index.m3u8"' in text
    assert f"\n/videos/{world.video_id}/hls/480p/index.m3u8\n" in text
    # A playlist naming anything but our own rungs (another site, another folder) is not served.
    for stranger in (b"http://example.org/x.m3u8", b"../../7/hls/480p/index.m3u8"):
        storage.save(
            f"{world.prefix}/master.m3u8",
            io.BytesIO(b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n" + stranger + b"\n"),
        )
        assert client.get(MASTER.format(id=world.video_id)).status_code == 404
