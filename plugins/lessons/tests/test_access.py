"""Who may see and change what: 401/403/404 over the API and the pages."""

from __future__ import annotations

import pytest


@pytest.fixture
def published(school, create_course, create_section, create_lesson, pdf):
    course = create_course(school.instructor)
    section = create_section(course)
    return {
        "course": course,
        "section": section,
        "preview": create_lesson(section, "Preview", free_preview=True),
        "locked": create_lesson(section, "Locked"),
        "file": create_lesson(section, "Handout", type="file", file=pdf),
        "draft": create_lesson(section, "Draft", status="draft"),
    }


def test_student_not_enrolled_gets_403_on_content_and_file(school, published, as_user):
    api = as_user(school.student)
    assert api.api("GET", f"/api/v1/lessons/{published['locked']}").status_code == 403
    r = api.api("GET", f"/api/v1/lessons/{published['file']}/file")
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    assert api.get(f"/lessons/{published['locked']}").status_code == 403
    assert api.get(f"/lessons/{published['file']}/file").status_code == 403
    # The outline is public, the content is not.
    r = api.api("GET", f"/api/v1/courses/{published['course'].slug}/sections")
    titles = [lesson["title"] for lesson in r.json["items"][0]["lessons"]]
    assert titles == ["Preview", "Locked", "Handout"]  # no draft


def test_free_preview_is_open_before_enrolment(school, published, as_user):
    for who in (None, school.student):
        client = as_user(who)
        r = client.api("GET", f"/api/v1/lessons/{published['preview']}")
        assert r.status_code == 200 and "text" in r.json["content"]["html"]
        assert client.get(f"/lessons/{published['preview']}").status_code == 200


def test_guest_needs_to_sign_in_for_locked_content(published, as_user):
    guest = as_user(None)
    assert guest.api("GET", f"/api/v1/lessons/{published['locked']}").status_code == 401
    page = guest.get(f"/lessons/{published['locked']}")
    assert page.status_code == 403 and "Sign in and enrol" in page.get_data(as_text=True)


def test_enrolled_student_sees_content_and_file(school, published, as_user, create_enrolment):
    create_enrolment(school.student, published["course"])
    api = as_user(school.student)
    assert api.api("GET", f"/api/v1/lessons/{published['locked']}").status_code == 200
    r = api.api("GET", f"/api/v1/lessons/{published['file']}")
    assert r.json["file_url"].startswith("/media/lessons/")
    assert r.json["content"]["file"]["filename"] == "notes.pdf"


def test_drafts_are_404_to_everyone_but_staff(
    school, published, create_course, create_section, as_user, create_enrolment
):
    create_enrolment(school.student, published["course"])
    for who in (None, school.student, school.other_instructor):
        client = as_user(who)
        assert client.api("GET", f"/api/v1/lessons/{published['draft']}").status_code == 404
        assert client.get(f"/lessons/{published['draft']}").status_code == 404
    for who in (school.instructor, school.admin):
        assert as_user(who).api("GET", f"/api/v1/lessons/{published['draft']}").status_code == 200

    draft_course = create_course(school.instructor, status="draft")
    section = create_section(draft_course)
    for who in (None, school.student, school.other_instructor):
        client = as_user(who)
        assert client.api("GET", f"/api/v1/courses/{draft_course.slug}/sections").status_code == 404
        assert client.api("GET", f"/api/v1/sections/{section}/lessons").status_code == 404
    assert (
        as_user(school.instructor).api("GET", f"/api/v1/sections/{section}/lessons").status_code
        == 200
    )


def test_instructor_cannot_touch_another_instructors_course(school, published, as_user, pdf):
    other = as_user(school.other_instructor)
    course, section, lesson = published["course"], published["section"], published["locked"]
    attempts = [
        ("POST", f"/api/v1/courses/{course.slug}/sections", {"title": "Mine now"}),
        ("POST", f"/api/v1/courses/{course.slug}/sections/reorder", {"ids": [section]}),
        ("PATCH", f"/api/v1/sections/{section}", {"title": "Mine now"}),
        ("DELETE", f"/api/v1/sections/{section}", None),
        ("POST", f"/api/v1/sections/{section}/lessons", {"type": "text", "title": "Mine"}),
        ("POST", f"/api/v1/sections/{section}/lessons/reorder", {"ids": [lesson]}),
        ("PATCH", f"/api/v1/lessons/{lesson}", {"title": "Mine now"}),
        ("DELETE", f"/api/v1/lessons/{lesson}", None),
    ]
    for method, url, body in attempts:
        assert other.api(method, url, json=body).status_code == 403, (method, url)
    import io

    r = other.post(
        f"/api/v1/lessons/{published['file']}/file",
        data={"file": (io.BytesIO(pdf), "x.pdf")},
        headers={"X-CSRFToken": other.csrf_token()},
    )
    assert r.status_code == 403
    # Pages too.
    assert other.get(f"/courses/{course.slug}/curriculum").status_code == 403
    assert other.get(f"/lessons/{lesson}/edit").status_code == 403
    assert other.submit(f"/lessons/{lesson}/delete", page="/").status_code == 403
    # Nothing changed.
    owner = as_user(school.instructor)
    r = owner.api("GET", f"/api/v1/lessons/{lesson}")
    assert r.json["title"] == "Locked"


def test_students_cannot_edit(school, published, as_user, create_enrolment):
    create_enrolment(school.student, published["course"])
    api = as_user(school.student)
    r = api.api("PATCH", f"/api/v1/lessons/{published['locked']}", json={"title": "x"})
    assert r.status_code == 403


def test_guests_cannot_write(published, as_user):
    guest = as_user(None)
    r = guest.open(
        f"/api/v1/sections/{published['section']}/lessons",
        method="POST",
        json={"type": "text", "title": "x"},
    )
    assert r.status_code == 401


def test_unknown_ids_are_404(school, as_user):
    api = as_user(school.instructor)
    assert api.api("GET", "/api/v1/lessons/999999").status_code == 404
    assert api.api("PATCH", "/api/v1/sections/999999", json={"title": "x"}).status_code == 404
    assert api.api("GET", "/api/v1/courses/no-such-course/sections").status_code == 404
    assert api.get("/lessons/999999").status_code == 404
