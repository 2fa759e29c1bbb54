"""Issue 4, acceptance 1 and 3, over the JSON API with real storage and database.

1. An instructor creates a course with two sections and four lessons (text and
   file) and submits it; an admin rejects it with feedback; the instructor sees
   the feedback, resubmits; the admin approves; a guest finds it with ?q= by a
   word of its description; a student enrols, completes every lesson, reaches
   100%, gets a certificate code, and /certificates/<code> says it is valid.
3. A student who is not enrolled gets 403 for a non-preview lesson's content and
   its file URL; an instructor gets 403 editing another instructor's course; a
   draft course is 404 to a guest; an expired signed file URL is refused.
"""

from __future__ import annotations

import io
import time


def _upload(client, lesson_id: int, data: bytes, name: str):
    return client.post(
        f"/api/v1/lessons/{lesson_id}/file",
        data={"file": (io.BytesIO(data), name)},
        headers={"X-CSRFToken": client.csrf_token()},
        content_type="multipart/form-data",
    )


def _build_course(teacher, pdf: bytes) -> tuple[str, list[int]]:
    r = teacher.api(
        "POST",
        "/api/v1/courses",
        json={
            "title": "Pond Life for Beginners",
            "description_md": "Discover the **zooplankton** living in a school pond.",
        },
    )
    assert r.status_code == 201, r.json
    slug = r.json["slug"]
    sections = []
    for title in ("Sampling the pond", "Under the microscope"):
        r = teacher.api("POST", f"/api/v1/courses/{slug}/sections", json={"title": title})
        assert r.status_code == 201, r.json
        sections.append(r.json["id"])
    lessons = []
    for section, title, free in (
        (sections[0], "Why ponds matter", True),
        (sections[1], "Daphnia up close", False),
    ):
        r = teacher.api(
            "POST",
            f"/api/v1/sections/{section}/lessons",
            json={
                "type": "text",
                "title": title,
                "free_preview": free,
                "status": "published",
                "duration_seconds": 420,
                "content": {"markdown": f"## {title}\n\nLook closely."},
            },
        )
        assert r.status_code == 201, r.json
        lessons.append(r.json["id"])
    for section, title in ((sections[0], "Field sheet"), (sections[1], "Identification key")):
        r = teacher.api(
            "POST", f"/api/v1/sections/{section}/lessons", json={"type": "file", "title": title}
        )
        assert r.status_code == 201, r.json
        assert _upload(teacher, r.json["id"], pdf, f"{title}.pdf").status_code == 200
        r = teacher.api("PATCH", f"/api/v1/lessons/{r.json['id']}", json={"status": "published"})
        assert r.status_code == 200, r.json
        lessons.append(r.json["id"])
    return slug, lessons


def test_instructor_to_certificate_over_the_api(app, school, as_user, pdf):
    teacher, admin = as_user(school.instructor), as_user(school.admin)
    guest, student = as_user(None), as_user(school.student)
    slug, lessons = _build_course(teacher, pdf)
    r = teacher.api("GET", f"/api/v1/courses/{slug}/sections")
    assert [len(s["lessons"]) for s in r.json["items"]] == [2, 2]

    assert teacher.api("POST", f"/api/v1/courses/{slug}/submit").json["status"] == "pending"
    pending = admin.api("GET", "/api/v1/admin/courses?status=pending").json["items"]
    assert slug in [c["slug"] for c in pending]
    feedback = "Please add a safety note about handling pond water."
    r = admin.api("POST", f"/api/v1/admin/courses/{slug}/reject", json={"feedback": feedback})
    assert r.status_code == 200 and r.json["status"] == "draft"
    mine = teacher.api("GET", f"/api/v1/courses/{slug}").json
    assert mine["status"] == "draft" and mine["review_feedback"] == feedback
    r = teacher.api(
        "PATCH",
        f"/api/v1/courses/{slug}",
        json={
            "description_md": mine["description_md"] + "\n\nWear gloves and wash your hands.",
        },
    )
    assert r.status_code == 200
    assert teacher.api("POST", f"/api/v1/courses/{slug}/submit").json["status"] == "pending"
    assert admin.api("POST", f"/api/v1/admin/courses/{slug}/approve").json["status"] == "published"

    found = guest.get("/api/v1/courses?q=zooplankton").json
    assert [c["slug"] for c in found["items"]] == [slug]

    assert student.api("POST", f"/api/v1/courses/{slug}/enroll").status_code == 201
    for lesson in lessons:
        r = student.api("GET", f"/api/v1/lessons/{lesson}")
        assert r.status_code == 200
        if r.json["type"] == "file":
            assert student.get(r.json["file_url"]).data == pdf
        r = student.api("POST", f"/api/v1/lessons/{lesson}/complete")
        assert r.status_code == 200 and r.json["completed"]
    progress = student.api("GET", f"/api/v1/courses/{slug}/progress").json
    assert progress["progress"] == 100 and progress["completed_at"]
    code = progress["certificate_code"]
    assert code
    assert code in [c["code"] for c in student.api("GET", "/api/v1/me/certificates").json["items"]]
    assert guest.get(f"/api/v1/certificates/{code}").json["valid"] is True
    page = guest.get(f"/certificates/{code}")
    assert page.status_code == 200 and "valid" in page.get_data(as_text=True)
    assert "not valid" not in page.get_data(as_text=True)


def test_refusals(app, school, as_user, pdf, time_machine):
    teacher = as_user(school.instructor)
    slug, lessons = _build_course(teacher, pdf)
    preview, locked, file_lesson = lessons[0], lessons[1], lessons[3]

    # A draft course is 404 to a guest (course, its sections and lessons).
    guest = as_user(None)
    assert guest.get(f"/api/v1/courses/{slug}").status_code == 404
    assert guest.get(f"/api/v1/courses/{slug}/sections").status_code == 404
    assert guest.get(f"/api/v1/lessons/{preview}").status_code == 404
    assert guest.get(f"/courses/{slug}").status_code == 404
    assert guest.get(f"/lessons/{preview}").status_code == 404

    teacher.api("POST", f"/api/v1/courses/{slug}/submit")
    as_user(school.admin).api("POST", f"/api/v1/admin/courses/{slug}/approve")

    # Not enrolled: the preview opens, the rest is 403, the file URL too.
    student = as_user(school.student)
    assert student.api("GET", f"/api/v1/lessons/{preview}").status_code == 200
    assert student.api("GET", f"/api/v1/lessons/{locked}").status_code == 403
    assert student.api("GET", f"/api/v1/lessons/{file_lesson}/file").status_code == 403
    assert student.get(f"/lessons/{file_lesson}/file").status_code == 403
    assert student.get(f"/lessons/{locked}").status_code == 403

    # Another instructor cannot edit this course.
    other = as_user(school.other_instructor)
    assert other.api("PATCH", f"/api/v1/courses/{slug}", json={"title": "Mine"}).status_code == 403
    assert (
        other.api("PATCH", f"/api/v1/lessons/{locked}", json={"title": "Mine"}).status_code == 403
    )
    section = teacher.api("GET", f"/api/v1/courses/{slug}/sections").json["items"][0]["id"]
    r = other.api(
        "POST", f"/api/v1/sections/{section}/lessons", json={"type": "text", "title": "Mine"}
    )
    assert r.status_code == 403

    # An expired signed file URL is refused.
    student.api("POST", f"/api/v1/courses/{slug}/enroll")
    # From now on the clock stands still (a loaded machine cannot make the
    # one-second URL expire early) and only this test moves it.
    time_machine.move_to(time.time(), tick=False)
    saved = app.config["LESSONS_FILE_URL_EXPIRES"]
    app.config["LESSONS_FILE_URL_EXPIRES"] = 1
    try:
        url = student.api("GET", f"/api/v1/lessons/{file_lesson}/file").json["url"]
    finally:
        app.config["LESSONS_FILE_URL_EXPIRES"] = saved
    assert student.get(url).status_code == 200
    time_machine.shift(2)  # the clock, not the test, waits out the expiry
    assert student.get(url).status_code == 403
