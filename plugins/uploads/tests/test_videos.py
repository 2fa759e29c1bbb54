"""The video lesson type: its row, its upload, its status API, retry, and its files' end."""

from __future__ import annotations

import io

import pytest
from lms_uploads.models import CONSUMED, FAILED, PENDING, READY, Upload, Video
from lms_uploads.testing import TUS, api_token, tus_metadata
from tusclient import client as tus_client

from lms.extensions import db
from lms.models import Task
from lms.state import lms_state

MIB = 1024 * 1024


@pytest.fixture
def course(create_course, instructor):
    return create_course(instructor, title="Filming 101")


@pytest.fixture
def section_id(create_section, course):
    return create_section(course)


def _video(app, video_id):
    with app.app_context():
        video = db.session.get(Video, video_id)
        db.session.expunge(video)
        return video


def _files(app, prefix=""):
    root = lms_state(app).storage.root
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and str(p.relative_to(root)).startswith(prefix)
    )


def test_a_new_video_lesson_gets_a_video_awaiting_its_upload(app, create_video_lesson, section_id):
    ids = create_video_lesson(section_id, "Intro")
    video = _video(app, ids.video_id)
    assert video.lesson_id == ids.lesson_id
    assert video.status == "awaiting_upload"
    assert video.source_key is None


def test_a_finished_upload_becomes_the_videos_source_and_queues_its_transcode(
    app, live_server, bearer, create_video_lesson, section_id
):
    ids = create_video_lesson(section_id, "Intro")
    data = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8192  # 2 MiB and a bit
    tus = tus_client.TusClient(live_server.url + "/api/v1/uploads/", headers=bearer)
    uploader = tus.uploader(
        file_stream=io.BytesIO(data),
        chunk_size=MIB,
        metadata={"filename": "intro.mp4", "purpose": "video", "lesson_id": str(ids.lesson_id)},
    )
    uploader.upload()

    video = _video(app, ids.video_id)
    assert video.status == PENDING
    assert video.source_key == f"videos/{ids.video_id}/source"
    assert video.size_bytes == len(data)
    with app.app_context():
        assert lms_state(app).storage.open(video.source_key).read() == data
        upload = db.session.query(Upload).one()
        assert upload.status == CONSUMED
        task = db.session.get(Task, video.task_id)
        assert task.name == "lms_uploads.tasks.transcode_video"
        assert task.queue == "media"
        assert task.args == [ids.video_id]


def test_only_the_course_staff_may_upload_a_lessons_video(
    app, create_user, create_video_lesson, section_id, http
):
    ids = create_video_lesson(section_id, "Intro")
    other = create_user(role="instructor", username="otto")
    headers = {"Authorization": f"Bearer {api_token(app, other.username)}", **TUS}
    meta = tus_metadata(purpose="video", lesson_id=ids.lesson_id, filename="x.mp4")
    r = http(
        "POST",
        "/api/v1/uploads/",
        headers={**headers, "Upload-Length": "10", "Upload-Metadata": meta},
    )
    assert r.status_code == 403
    assert r.json()["error"]["message"] == "Only the course's instructors may upload its videos."
    with app.app_context():
        assert db.session.query(Upload).count() == 0

    meta = tus_metadata(purpose="video", lesson_id=999999, filename="x.mp4")
    r = http(
        "POST",
        "/api/v1/uploads/",
        headers={**headers, "Upload-Length": "10", "Upload-Metadata": meta},
    )
    assert r.status_code == 404


# --- status and retry ---------------------------------------------------------------------


def test_the_status_api_shows_the_video_and_its_task(
    app, client, login_as, instructor, create_video_lesson, section_id
):
    ids = create_video_lesson(
        section_id,
        "Intro",
        source=b"fake",
        status="draft",
        renditions=[{"name": "360p", "width": 640, "height": 360, "bandwidth": 800000}],
    )
    with app.app_context():
        from lms_uploads.videos import start_transcode

        start_transcode(db.session.get(Video, ids.video_id), instructor.id)
        db.session.commit()
    login_as(client, instructor)
    r = client.get(f"/api/v1/videos/{ids.video_id}")
    assert r.status_code == 200
    body = r.json
    assert body["status"] == PENDING
    assert body["lesson_id"] == ids.lesson_id
    assert body["renditions"][0]["name"] == "360p"
    assert body["can_retry"] is False
    assert body["task"]["status"] == "queued"
    assert body["task"]["queue_position"] == 1


def test_the_status_api_is_for_the_course_staff_only(
    app,
    make_client,
    login_as,
    create_user,
    create_video_lesson,
    section_id,
    course,
    create_enrolment,
):
    ids = create_video_lesson(section_id, "Intro")
    student = create_user(role="student")
    create_enrolment(student, course)
    stranger = create_user(role="instructor")
    assert make_client().get(f"/api/v1/videos/{ids.video_id}").status_code == 401
    r = login_as(make_client(), student).get(f"/api/v1/videos/{ids.video_id}")
    assert r.status_code == 403
    assert r.json["error"]["message"]
    assert login_as(make_client(), stranger).get(f"/api/v1/videos/{ids.video_id}").status_code in (
        403,
        404,
    )
    assert login_as(make_client(), student).get("/api/v1/videos/999999").status_code == 404


def _csrf(client):
    from lms.testing.clients import csrf_token_in

    return csrf_token_in(client.get("/").get_data(as_text=True))


def test_retry_requeues_a_failed_video(
    app, client, login_as, instructor, create_video_lesson, section_id
):
    ids = create_video_lesson(
        section_id,
        "Intro",
        source=b"fake",
        status="draft",
        attempts=4,
        error="The file is not a video.",
    )
    with app.app_context():
        db.session.get(Video, ids.video_id).status = FAILED
        db.session.commit()
    login_as(client, instructor)
    r = client.get(f"/api/v1/videos/{ids.video_id}")
    assert r.json["can_retry"] is True
    r = client.post(f"/api/v1/videos/{ids.video_id}/retry", headers={"X-CSRFToken": _csrf(client)})
    assert r.status_code == 202
    assert r.json["status"] == PENDING
    assert r.json["error"] is None
    assert r.json["task"]["status"] == "queued"
    video = _video(app, ids.video_id)
    assert video.status == PENDING
    assert video.attempts == 0


def test_retry_of_a_video_that_did_not_fail_is_409_and_changes_nothing(
    app, client, login_as, instructor, create_video_lesson, section_id
):
    ids = create_video_lesson(section_id, "Intro", source=b"fake", status="draft")
    with app.app_context():
        db.session.get(Video, ids.video_id).status = READY
        db.session.commit()
    login_as(client, instructor)
    r = client.post(f"/api/v1/videos/{ids.video_id}/retry", headers={"X-CSRFToken": _csrf(client)})
    assert r.status_code == 409
    assert r.json["error"]["message"] == "Only a video whose processing failed can be retried."
    assert _video(app, ids.video_id).status == READY
    with app.app_context():
        assert db.session.query(Task).count() == 0


# --- deletion -----------------------------------------------------------------------------


def test_deleting_a_video_lesson_deletes_its_files(
    app, client, login_as, instructor, create_video_lesson, section_id
):
    ids = create_video_lesson(section_id, "Intro", source=b"source bytes", status="draft")
    keep = create_video_lesson(section_id, "Other", source=b"other bytes", status="draft")
    storage = lms_state(app).storage
    with app.app_context():
        storage.save(f"videos/{ids.video_id}/hls/master.m3u8", io.BytesIO(b"#EXTM3U"))
    assert _files(app, f"videos/{ids.video_id}/")
    login_as(client, instructor)
    r = client.delete(f"/api/v1/lessons/{ids.lesson_id}", headers={"X-CSRFToken": _csrf(client)})
    assert r.status_code == 204
    assert _files(app, f"videos/{ids.video_id}/") == []
    assert _files(app, f"videos/{keep.video_id}/") == [f"videos/{keep.video_id}/source"]
    with app.app_context():
        assert db.session.get(Video, ids.video_id) is None


def test_deleting_a_section_deletes_its_videos_files_and_unfinished_uploads(
    app,
    client,
    login_as,
    instructor,
    bearer,
    create_video_lesson,
    section_id,
    create_tus_upload,
    http,
):
    ids = create_video_lesson(section_id, "Intro", source=b"source bytes", status="draft")
    location = create_tus_upload(bearer, 100, purpose="video", lesson_id=ids.lesson_id)
    r = http(
        "PATCH",
        location,
        data=b"a" * 10,
        headers={**bearer, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )
    assert r.status_code == 204
    login_as(client, instructor)
    r = client.delete(f"/api/v1/sections/{section_id}", headers={"X-CSRFToken": _csrf(client)})
    assert r.status_code == 204
    assert _files(app, "videos/") == []
    assert http("HEAD", location, headers=bearer).status_code == 410


def test_a_rolled_back_deletion_keeps_the_files(app, create_video_lesson, section_id):
    ids = create_video_lesson(section_id, "Intro", source=b"source bytes", status="draft")
    with app.app_context():
        from lms_lessons import get_lesson
        from lms_uploads.lesson_type import video_lesson_deleted

        video_lesson_deleted(get_lesson(ids.lesson_id))
        db.session.rollback()
    assert _files(app, f"videos/{ids.video_id}/") == [f"videos/{ids.video_id}/source"]


# --- the editor ---------------------------------------------------------------------------


def test_the_lesson_editor_shows_the_drop_zone(
    app, client, login_as, instructor, create_video_lesson, section_id
):
    ids = create_video_lesson(section_id, "Intro")
    login_as(client, instructor)
    r = client.get(f"/lessons/{ids.lesson_id}/edit")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "data-upload-zone" in html
    assert f'data-lesson-id="{ids.lesson_id}"' in html
    assert '<label for="content-video">Video file</label>' in html
    assert "/vendor/tus-js-client/dist/tus.min.js" in html
    assert "No video uploaded yet." in html
    # The file input has no name: the form never carries the bytes.
    assert 'id="content-video" class="upload-input"' in html
    assert 'name="content-video"' not in html
    assert client.get("/vendor/tus-js-client/dist/tus.min.js").status_code == 200
    assert client.get("/uploads/static/uploads/upload.js").status_code == 200


def test_saving_the_lesson_form_keeps_the_video(
    app, client, login_as, instructor, create_video_lesson, section_id
):
    ids = create_video_lesson(section_id, "Intro", source=b"x", status="draft")
    login_as(client, instructor)
    page = client.get(f"/lessons/{ids.lesson_id}/edit").get_data(as_text=True)
    from lms.testing.clients import csrf_token_in

    r = client.post(
        f"/lessons/{ids.lesson_id}/edit",
        data={
            "csrf_token": csrf_token_in(page),
            "title": "Intro, renamed",
            "description": "",
            "duration_minutes": "1",
            "status": "published",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    video = _video(app, ids.video_id)
    assert video.source_key == f"videos/{ids.video_id}/source"


def test_a_video_lesson_cannot_be_published_before_its_upload(
    app, client, login_as, instructor, create_video_lesson, section_id
):
    ids = create_video_lesson(section_id, "Intro")
    login_as(client, instructor)
    r = client.patch(
        f"/api/v1/lessons/{ids.lesson_id}",
        json={"status": "published"},
        headers={"X-CSRFToken": _csrf(client)},
    )
    assert r.status_code in (409, 422)
    assert "Upload the video" in r.get_data(as_text=True)
