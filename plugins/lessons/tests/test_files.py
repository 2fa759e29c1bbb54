"""File lessons: checked by content, size-limited, stored privately, signed expiring URLs."""

from __future__ import annotations

import io
import time
import zipfile
from urllib.parse import parse_qs, urlparse

import pytest


@pytest.fixture
def file_lesson(school, create_course, create_section, create_lesson):
    course = create_course(school.instructor)
    section = create_section(course)
    return course, create_lesson(section, "Handout", type="file", status="draft")


def upload(client, lesson_id, data: bytes, name: str):
    return client.post(
        f"/api/v1/lessons/{lesson_id}/file",
        data={"file": (io.BytesIO(data), name)},
        headers={"X-CSRFToken": client.csrf_token()},
        content_type="multipart/form-data",
    )


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def test_upload_pdf_then_publish_and_download(school, file_lesson, as_user, create_enrolment, pdf):
    course, lesson = file_lesson
    owner = as_user(school.instructor)
    r = upload(owner, lesson, pdf, "Week 1 — Notes.PDF")
    assert r.status_code == 200, r.json
    assert r.json["content"]["file"]["filename"] == "Week 1 — Notes.pdf"
    assert r.json["content"]["file"]["mime"] == "application/pdf"
    assert (
        owner.api("PATCH", f"/api/v1/lessons/{lesson}", json={"status": "published"}).status_code
        == 200
    )

    create_enrolment(school.student, course)
    student = as_user(school.student)
    r = student.api("GET", f"/api/v1/lessons/{lesson}/file")
    assert r.status_code == 200
    download = student.get(r.json["url"])
    assert download.status_code == 200 and download.data == pdf
    assert "attachment" in download.headers["Content-Disposition"]
    inline = student.get(r.json["view_url"])
    assert inline.status_code == 200 and inline.mimetype == "application/pdf"
    assert "attachment" not in inline.headers.get("Content-Disposition", "")
    # The page's download link checks access, then redirects to a fresh signed URL.
    r = student.get(f"/lessons/{lesson}/file")
    assert r.status_code == 302 and "/media/lessons/" in r.headers["Location"]
    assert student.get(r.headers["Location"]).data == pdf


def test_types_are_checked_by_content_not_by_name(school, file_lesson, as_user, png):
    _course, lesson = file_lesson
    owner = as_user(school.instructor)
    r = upload(owner, lesson, b"MZ\x90\x00" + b"\x00" * 200, "harmless.pdf")  # a Windows program
    assert r.status_code == 422 and "not accepted" in r.json["error"]["message"]
    r = upload(owner, lesson, b"just some words, not a pdf", "notes.pdf")
    assert r.status_code == 422
    r = upload(owner, lesson, b"", "empty.pdf")
    assert r.status_code == 422 and "empty" in r.json["error"]["message"]
    assert owner.api("GET", f"/api/v1/lessons/{lesson}").json["content"]["file"] is None
    # A real PNG named .pdf is accepted as what it is.
    r = upload(owner, lesson, png, "diagram.pdf")
    assert r.status_code == 200 and r.json["content"]["file"]["filename"] == "diagram.png"
    r = upload(owner, lesson, docx_bytes(), "essay.docx")
    assert r.status_code == 200, r.json
    assert r.json["content"]["file"]["mime"].endswith("wordprocessingml.document")


def test_oversize_files_are_refused(app, school, file_lesson, as_user, pdf):
    _course, lesson = file_lesson
    owner = as_user(school.instructor)
    saved = app.config["LESSONS_MAX_FILE_SIZE"]
    app.config["LESSONS_MAX_FILE_SIZE"] = len(pdf) - 1
    try:
        r = upload(owner, lesson, pdf, "big.pdf")
    finally:
        app.config["LESSONS_MAX_FILE_SIZE"] = saved
    assert r.status_code == 422 and "too large" in r.json["error"]["message"]


def test_missing_file_and_wrong_lesson_type(
    school, create_course, create_section, create_lesson, as_user, pdf
):
    course = create_course(school.instructor)
    section = create_section(course)
    text = create_lesson(section, "Text")
    owner = as_user(school.instructor)
    assert upload(owner, text, pdf, "x.pdf").status_code == 409
    file_lesson = create_lesson(section, "File", type="file", status="draft")
    r = owner.post(
        f"/api/v1/lessons/{file_lesson}/file",
        data={},
        headers={"X-CSRFToken": owner.csrf_token()},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422


def test_replacing_a_file_deletes_the_old_one(app, school, file_lesson, as_user, pdf, png):
    _course, lesson = file_lesson
    owner = as_user(school.instructor)
    upload(owner, lesson, pdf, "a.pdf")
    with app.app_context():
        from lms_lessons.services import get_lesson

        from lms.storage import get_storage

        old_key = get_lesson(lesson).content["key"]
        assert get_storage().exists(old_key)
    upload(owner, lesson, png, "b.png")
    with app.app_context():
        assert not get_storage().exists(old_key)
        new_key = get_lesson(lesson).content["key"]
    assert owner.api("DELETE", f"/api/v1/lessons/{lesson}").status_code == 204
    with app.app_context():
        assert not get_storage().exists(new_key)


def test_a_rolled_back_lesson_deletion_keeps_its_file(app, school, file_lesson, as_user, pdf):
    _course, lesson = file_lesson
    owner = as_user(school.instructor)
    upload(owner, lesson, pdf, "a.pdf")
    with app.app_context():
        from lms_lessons.services import delete_lesson, get_lesson

        from lms.extensions import db
        from lms.models import Setting
        from lms.storage import get_storage

        key = get_lesson(lesson).content["key"]
        delete_lesson(get_lesson(lesson))
        db.session.flush()
        db.session.rollback()
        # A later, unrelated commit of the same session must not delete it either.
        db.session.add(Setting(namespace="tests", key="unrelated", value=1))
        db.session.commit()
        assert get_storage().exists(key)
    r = owner.api("GET", f"/api/v1/lessons/{lesson}/file")
    assert r.status_code == 200 and owner.get(r.json["url"]).data == pdf


def test_expired_or_tampered_signed_url_is_refused(
    app,
    school,
    create_course,
    create_section,
    create_lesson,
    as_user,
    create_enrolment,
    pdf,
    time_machine,
):
    course = create_course(school.instructor)
    lesson = create_lesson(create_section(course), "Handout", type="file", file=pdf)
    create_enrolment(school.student, course)
    student = as_user(school.student)
    # From now on the clock stands still (a loaded machine cannot make the
    # one-second URL expire early) and only this test moves it.
    time_machine.move_to(time.time(), tick=False)
    saved = app.config["LESSONS_FILE_URL_EXPIRES"]
    app.config["LESSONS_FILE_URL_EXPIRES"] = 1
    try:
        url = student.api("GET", f"/api/v1/lessons/{lesson}/file").json["url"]
    finally:
        app.config["LESSONS_FILE_URL_EXPIRES"] = saved
    assert student.get(url).status_code == 200
    tampered = url.replace("sig=", "sig=0")
    assert student.get(tampered).status_code == 403
    time_machine.shift(2)  # the clock, not the test, waits out the expiry
    r = student.get(url)
    assert r.status_code == 403 and b"expired" in r.data
    # Someone without access who got hold of a URL's key cannot sign one themselves.
    parsed = urlparse(url)
    assert "sig" in parse_qs(parsed.query)
