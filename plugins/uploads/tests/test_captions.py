"""Captions: WebVTT kept, SRT converted, bad files refused with a message, per language."""

from __future__ import annotations

import io
from typing import Any

import pytest
from lms_uploads.captions import CaptionError, clean_language, to_vtt

GOOD_VTT = (
    "WEBVTT - a title\n\n"
    "NOTE written by hand\n\n"
    "STYLE\n::cue { color: red }\n\n"
    "intro\n00:00:01.000 --> 00:00:03.500 line:90% align:center\n"
    "Hello <b>there</b> <script>alert(1)</script>\n\n"
    "00:04.000 --> 00:05.250\nShort timestamps <v Sam>too</v>\n"
)
GOOD_SRT = (
    '\ufeff1\r\n00:00:01,000 --> 00:00:03,500\r\nHello <font color="red">there</font>\r\n\r\n'
    "2\r\n00:00:04,000 --> 00:00:05,250\r\nSecond line\r\nand its second row\r\n"
)


def test_webvtt_is_kept_clean() -> None:
    vtt, converted = to_vtt(GOOD_VTT.encode())
    assert not converted
    assert vtt.startswith("WEBVTT\n\n")
    assert (
        "intro\n00:00:01.000 --> 00:00:03.500 line:90% align:center\nHello <b>there</b> alert(1)"
    ) in vtt
    assert "00:00:04.000 --> 00:00:05.250\nShort timestamps <v Sam>too</v>" in vtt
    # Styles from an upload, notes and unknown tags are not passed on.
    assert "STYLE" not in vtt and "color" not in vtt and "<script>" not in vtt and "NOTE" not in vtt


def test_srt_is_converted_to_webvtt() -> None:
    vtt, converted = to_vtt(GOOD_SRT.encode())
    assert converted
    assert vtt == (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:03.500\nHello there\n\n"
        "00:00:04.000 --> 00:00:05.250\nSecond line\nand its second row\n"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just some notes\nabout the video\n", "This is not a caption file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a caption file"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nÉté".encode("latin-1"), "not UTF-8"),
        (b"WEBVTT\n\n00:00:01.000 -> 00:00:03.000\nHi\n", "Line 3"),
        (b"WEBVTT\n\n00:00:01,000 --> 00:00:03,000\nHi\n", "is not a valid timing"),
        (b"WEBVTT\n\n00:00:61.000 --> 00:01:03.000\nHi\n", "is not a valid timing"),
        (b"WEBVTT\n\n00:00:05.000 --> 00:00:03.000\nHi\n", "the cue ends before it starts"),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:03.000 colour:red\nHi\n", "cue setting"),
        (b"WEBVTT\n\nNOTE nothing else\n", "no captions in it"),
        (b"1\n00:00:01,000 --> 00:00:03,000\nHi\n\nx\n00:00:04,000 --> 00:00:05,000\n", "Line 5"),
        (b"1\n00:00:09,000 --> 00:00:03,000\nHi\n", "Line 2: the cue ends before it starts"),
        (b"   \n\n", "empty"),
    ],
)
def test_bad_caption_files_are_refused_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(CaptionError) as refused:
        to_vtt(data)
    assert message in str(refused.value)


def test_too_big_is_refused() -> None:
    cue = "00:00:01.000 --> 00:00:02.000\n" + "x" * 80 + "\n\n"
    data = ("WEBVTT\n\n" + cue * 20_000).encode()
    with pytest.raises(CaptionError, match="too big"):
        to_vtt(data, max_bytes=1024 * 1024)


@pytest.mark.parametrize(("raw", "clean"), [("en", "en"), ("PT-BR", "pt-BR"), (" fr ", "fr")])
def test_language_codes(raw: str, clean: str) -> None:
    assert clean_language(raw) == clean


@pytest.mark.parametrize("raw", ["", "english please", "e", "en_US", "x" * 17, "<b>"])
def test_bad_language_codes(raw: str) -> None:
    with pytest.raises(CaptionError):
        clean_language(raw)


# --- the captions page and API ---------------------------------------------------------


def _upload(client: Any, video_id: int, data: bytes, filename: str, language: str, label: str = ""):
    url = f"/videos/{video_id}/captions"
    return client.post(
        url,
        data={
            "file": (io.BytesIO(data), filename),
            "language": language,
            "label": label,
            "csrf_token": client.csrf_token("/"),
        },
        content_type="multipart/form-data",
    )


def test_instructor_adds_replaces_and_deletes_captions_on_the_page(
    app: Any, video_world: Any, make_client: Any, login_as: Any
) -> None:
    world = video_world()
    client = login_as(make_client(), world.instructor)
    # The lesson editor and the player lead to the captions page.
    captions_url = f'href="/videos/{world.video_id}/captions"'.encode()
    assert captions_url in client.get(f"/lessons/{world.lesson_id}/edit").data
    assert captions_url in client.get(f"/lessons/{world.lesson_id}").data
    page = client.get(f"/videos/{world.video_id}/captions")
    assert page.status_code == 200
    assert b"This video has no captions yet." in page.data

    saved = _upload(client, world.video_id, GOOD_SRT.encode(), "talk.srt", "fr")
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"])
    assert "Captions in Français saved (converted from SRT to WebVTT).".encode() in page.data

    # The student's player lists the track and gets WebVTT.
    student = login_as(make_client(), world.student)
    tracks = student.get(f"/api/v1/videos/{world.video_id}/captions").get_json()
    assert [(t["language"], t["label"]) for t in tracks["items"]] == [("fr", "Français")]
    lesson = student.get(f"/lessons/{world.lesson_id}")
    assert b'<track kind="subtitles" srclang="fr"' in lesson.data
    track_path = tracks["items"][0]["url"].removeprefix("http://localhost")
    vtt = student.get(track_path)
    assert vtt.status_code == 200 and vtt.mimetype == "text/vtt"
    assert vtt.data.startswith(b"WEBVTT\n\n00:00:01.000 --> 00:00:03.500\nHello there")
    # Nobody else gets the file.
    assert login_as(make_client(), world.outsider).get(track_path).status_code == 404
    assert make_client().get(track_path).status_code == 404

    # Uploading the same language again replaces the file (one track per language).
    _upload(client, world.video_id, GOOD_VTT.encode(), "new.vtt", "fr", "French (edited)")
    items = student.get(f"/api/v1/videos/{world.video_id}/captions").get_json()["items"]
    assert [(t["language"], t["label"]) for t in items] == [("fr", "French (edited)")]
    with app.app_context():
        from lms.storage import get_storage

        files = list(get_storage().list(f"videos/{world.video_id}/captions"))
    assert len(files) == 1  # the replaced file is gone

    with app.app_context():
        from lms_uploads.models import Caption

        from lms.extensions import db

        caption_id = db.session.execute(db.select(Caption.id)).scalar_one()
    deleted = client.submit(
        f"/videos/{world.video_id}/captions/{caption_id}/delete",
        page=f"/videos/{world.video_id}/captions",
    )
    assert deleted.status_code == 302
    assert student.get(f"/api/v1/videos/{world.video_id}/captions").get_json()["total"] == 0
    with app.app_context():
        assert list(get_storage().list(f"videos/{world.video_id}/captions")) == []


def test_bad_caption_upload_on_the_page_says_why_and_stores_nothing(
    app: Any, video_world: Any, make_client: Any, login_as: Any
) -> None:
    world = video_world()
    client = login_as(make_client(), world.instructor)
    refused = _upload(client, world.video_id, b"not captions at all", "notes.vtt", "en")
    assert refused.status_code == 422
    assert b"This is not a caption file" in refused.data
    refused = _upload(client, world.video_id, GOOD_VTT.encode(), "ok.vtt", "english")
    assert refused.status_code == 422
    assert "“english” is not a language code".encode() in refused.data
    with app.app_context():
        from lms.storage import get_storage

        assert list(get_storage().list(f"videos/{world.video_id}/captions")) == []


def test_only_course_staff_manage_captions(
    video_world: Any, make_client: Any, login_as: Any
) -> None:
    world = video_world()
    for person, status in ((world.student, 403), (world.other_instructor, 403)):
        client = login_as(make_client(), person)
        assert client.get(f"/videos/{world.video_id}/captions").status_code == status
        page = _upload(client, world.video_id, GOOD_VTT.encode(), "a.vtt", "en")
        assert page.status_code == status
        api = client.post(
            f"/api/v1/videos/{world.video_id}/captions",
            data={"file": (io.BytesIO(GOOD_VTT.encode()), "a.vtt"), "language": "en"},
            content_type="multipart/form-data",
            headers={"X-CSRFToken": _csrf(client)},
        )
        assert api.status_code == status
    anonymous = make_client()
    assert anonymous.get(f"/videos/{world.video_id}/captions").status_code in (302, 401)
    admin = login_as(make_client(), world.admin)
    assert admin.get(f"/videos/{world.video_id}/captions").status_code == 200


def _csrf(client: Any) -> str:
    return client.csrf_token("/")


def test_captions_api(video_world: Any, make_client: Any, login_as: Any) -> None:
    world = video_world()
    client = login_as(make_client(), world.instructor)
    token = _csrf(client)

    def post(data: bytes, name: str, language: str) -> Any:
        return client.post(
            f"/api/v1/videos/{world.video_id}/captions",
            data={"file": (io.BytesIO(data), name), "language": language, "label": ""},
            content_type="multipart/form-data",
            headers={"X-CSRFToken": token},
        )

    created = post(GOOD_SRT.encode(), "a.srt", "en")
    assert created.status_code == 201, created.data
    body = created.get_json()
    assert body["language"] == "en" and body["label"] == "English" and body["converted_from_srt"]
    bad = post(b"WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nHi\n", "b.vtt", "de")
    assert bad.status_code == 422
    error = bad.get_json()["error"]
    assert error["code"] == "caption_rejected"
    assert "Line 3: the cue ends before it starts" in error["fields"]["file"][0]
    bad_language = post(GOOD_VTT.encode(), "c.vtt", "")
    assert bad_language.status_code == 422
    assert "language" in bad_language.get_json()["error"]["fields"]
    listed = client.get(f"/api/v1/videos/{world.video_id}/captions").get_json()
    assert [c["language"] for c in listed["items"]] == ["en"]
    deleted = client.delete(
        f"/api/v1/videos/{world.video_id}/captions/en", headers={"X-CSRFToken": token}
    )
    assert deleted.status_code == 204
    again = client.delete(
        f"/api/v1/videos/{world.video_id}/captions/en", headers={"X-CSRFToken": token}
    )
    assert again.status_code == 404
