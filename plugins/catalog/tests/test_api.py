"""The catalog's JSON API: the review workflow, permissions, enrolment, certificates."""

from __future__ import annotations

from typing import Any


def _login(make_client: Any, login_as: Any, user: Any) -> Any:
    return login_as(make_client(), user)


def test_course_journey_from_draft_to_certificate(
    app, make_client, login_as, admin, instructor, student
):
    teacher = _login(make_client, login_as, instructor)
    reviewer = _login(make_client, login_as, admin)
    learner = _login(make_client, login_as, student)
    guest = make_client()

    created = teacher.api(
        "POST",
        "/api/v1/courses",
        json={
            "title": "Birdwatching for Busy People",
            "description_md": "Learn to recognise *warblers* by their song.",
            "level": "beginner",
            "language": "en",
        },
    )
    assert created.status_code == 201, created.json
    course = created.json
    assert course["status"] == "draft"
    assert course["slug"] == "birdwatching-for-busy-people"
    assert course["instructors"][0]["name"] == "Ines Instructor"
    slug = course["slug"]

    # A draft does not exist for guests, and does not show in the catalog.
    assert guest.get(f"/api/v1/courses/{slug}").status_code == 404
    assert guest.get("/api/v1/courses?q=warblers").json["total"] == 0

    assert teacher.api("POST", f"/api/v1/courses/{slug}/submit").json["status"] == "pending"
    pending = reviewer.get("/api/v1/admin/courses?status=pending").json
    assert [c["slug"] for c in pending["items"]] == [slug]

    rejected = reviewer.api(
        "POST", f"/api/v1/admin/courses/{slug}/reject", json={"feedback": "Add bird photos."}
    )
    assert rejected.status_code == 200
    assert rejected.json["status"] == "draft"
    seen = teacher.get(f"/api/v1/courses/{slug}").json
    assert seen["review_feedback"] == "Add bird photos."

    assert teacher.api("POST", f"/api/v1/courses/{slug}/submit").status_code == 200
    approved = reviewer.api("POST", f"/api/v1/admin/courses/{slug}/approve")
    assert approved.json["status"] == "published"
    assert approved.json["published_at"]

    found = guest.get("/api/v1/courses?q=warblers").json
    assert found["total"] == 1 and found["items"][0]["slug"] == slug
    # The reviewer's note is for the course's staff only.
    assert guest.get(f"/api/v1/courses/{slug}").json["review_feedback"] is None

    first = learner.api("POST", f"/api/v1/courses/{slug}/enroll")
    again = learner.api("POST", f"/api/v1/courses/{slug}/enroll")
    assert (first.status_code, again.status_code) == (201, 200)
    assert guest.get(f"/api/v1/courses/{slug}").json["enrollment_count"] == 1
    assert learner.get(f"/api/v1/courses/{slug}/progress").json["progress"] == 0

    # The lessons plugin reports progress through the public API.
    from lms_catalog import set_course_progress

    from lms.extensions import db

    with app.app_context():
        set_course_progress(student.id, course["id"], 100)
        db.session.commit()

    progress = learner.get(f"/api/v1/courses/{slug}/progress").json
    assert progress["progress"] == 100 and progress["completed_at"]
    code = progress["certificate_code"]
    assert code
    assert learner.get("/api/v1/me/certificates").json["items"][0]["code"] == code
    verified = guest.get(f"/api/v1/certificates/{code}").json
    assert verified["valid"] is True and verified["holder"] == "Stu Student"
    assert guest.get("/api/v1/certificates/AAAA-BBBB-CCCC").json["valid"] is False
    page = guest.get(f"/certificates/{code}")
    assert page.status_code == 200 and "is <strong>valid</strong>" in page.text
    assert "Stu Student" in page.text  # the holder shares the code on purpose


def test_instructors_touch_only_their_own_courses(
    make_client, login_as, create_user, create_course
):
    owner = create_user(role="instructor")
    other = create_user(role="instructor")
    published = create_course(owner, "Published Course")
    draft = create_course(owner, "Secret Draft", status="draft")
    client = login_as(make_client(), other)

    edit = client.api("PATCH", f"/api/v1/courses/{published.slug}", json={"title": "Mine now"})
    assert edit.status_code == 403
    assert edit.json["error"]["code"] == "forbidden"
    assert client.api("DELETE", f"/api/v1/courses/{published.slug}").status_code == 403
    assert client.api("POST", f"/api/v1/courses/{published.slug}/submit").status_code == 403
    # Someone else's draft does not exist, even for another instructor.
    assert client.get(f"/api/v1/courses/{draft.slug}").status_code == 404
    assert (
        client.api("PATCH", f"/api/v1/courses/{draft.slug}", json={"title": "x"}).status_code == 404
    )
    assert (
        make_client().get(f"/api/v1/courses/{published.slug}").json["title"] == "Published Course"
    )


def test_students_and_guests_cannot_create_or_moderate(
    client, make_client, login_as, student, instructor, create_course
):
    course = create_course(instructor, status="pending")
    learner = login_as(make_client(), student)
    refused = learner.api("POST", "/api/v1/courses", json={"title": "My own course"})
    assert refused.status_code == 403
    assert "instructor" in refused.json["error"]["message"]
    assert client.api("POST", "/api/v1/courses", json={"title": "x"}).status_code == 401
    teacher = login_as(make_client(), instructor)
    assert teacher.api("POST", f"/api/v1/admin/courses/{course.slug}/approve").status_code == 403
    assert teacher.get("/api/v1/admin/courses?status=pending").status_code == 403
    assert client.get("/api/v1/admin/courses").status_code == 401


def test_bad_course_input_is_refused_and_changes_nothing(make_client, login_as, instructor, app):
    client = login_as(make_client(), instructor)
    cases = [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "Ok", "price_cents": "12"}, "price_cents"),
        ({"title": "Ok", "price_cents": -5}, "price_cents"),
        ({"title": "Ok", "level": "expert"}, "level"),
        ({"title": "Ok", "category_id": 999}, "category_id"),
        ({"title": "Ok", "language": "english!"}, "language"),
        ({"title": ["a list"]}, "title"),
        ({"title": "Ok", "surprise": 1}, "surprise"),
    ]
    for body, field in cases:
        response = client.api("POST", "/api/v1/courses", json=body)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["error"]["fields"], (body, response.json)
    not_json = client.api("POST", "/api/v1/courses", data="title=x", content_type="text/plain")
    assert not_json.status_code in (400, 415, 422)
    assert client.get("/api/v1/admin/courses").status_code == 403
    from lms_catalog import Course

    from lms.extensions import db

    with app.app_context():
        assert db.session.query(Course).count() == 0


def test_unicode_titles_get_readable_unique_slugs(make_client, login_as, instructor):
    client = login_as(make_client(), instructor)
    first = client.api("POST", "/api/v1/courses", json={"title": "Café & Crème Brûlée"}).json
    second = client.api("POST", "/api/v1/courses", json={"title": "Café & Crème Brûlée"}).json
    only_symbols = client.api("POST", "/api/v1/courses", json={"title": "日本語"}).json
    assert first["slug"] == "cafe-creme-brulee"
    assert second["slug"] == "cafe-creme-brulee-2"
    assert only_symbols["slug"] == "course" and only_symbols["title"] == "日本語"


def test_slug_stays_on_title_change_and_old_slug_redirects(
    make_client, login_as, instructor, create_course
):
    course = create_course(instructor, "Knots and Hitches")
    client = login_as(make_client(), instructor)
    renamed = client.api("PATCH", f"/api/v1/courses/{course.slug}", json={"title": "Sailing Knots"})
    assert renamed.json["slug"] == "knots-and-hitches"  # a title change keeps the address
    moved = client.api("PATCH", f"/api/v1/courses/{course.slug}", json={"slug": "sailing-knots"})
    assert moved.status_code == 200 and moved.json["slug"] == "sailing-knots"
    page = make_client().get("/courses/knots-and-hitches")
    assert page.status_code == 301
    assert page.headers["Location"].endswith("/courses/sailing-knots")
    bad = client.api("PATCH", "/api/v1/courses/sailing-knots", json={"slug": "Not A Slug!"})
    assert bad.status_code == 422 and "slug" in bad.json["error"]["fields"]


def test_slug_clash_is_refused(make_client, login_as, instructor, create_course):
    create_course(instructor, "Alpha")
    beta = create_course(instructor, "Beta")
    client = login_as(make_client(), instructor)
    clash = client.api("PATCH", f"/api/v1/courses/{beta.slug}", json={"slug": "alpha"})
    assert clash.status_code == 422
    assert "already uses" in clash.json["error"]["fields"]["slug"][0]


def test_paid_course_enrolment_is_refused_until_a_payment_plugin_answers(
    app, make_client, login_as, instructor, student, create_course
):
    course = create_course(instructor, "Premium Pottery", price_cents=4900)
    client = login_as(make_client(), student)
    refused = client.api("POST", f"/api/v1/courses/{course.slug}/enroll")
    assert refused.status_code == 402
    assert refused.json["error"]["code"] == "payment_required"
    assert "paid course" in refused.json["error"]["message"]
    assert client.get(f"/api/v1/courses/{course.slug}/progress").json["enrolled"] is False

    from lms_catalog import paid_enrollment_requested

    from lms.state import lms_state

    plugin = lms_state(app).plugins["catalog"]
    receiver = lambda course, user: f"https://pay.example/checkout/{course.id}"  # noqa: E731
    plugin.connect(paid_enrollment_requested, receiver)
    try:
        page = client.submit(f"/courses/{course.slug}/enroll", page=f"/courses/{course.slug}")
        assert page.status_code == 302
        assert page.headers["Location"] == f"https://pay.example/checkout/{course.id}"
    finally:
        for signal, scoped in list(lms_state(app).receivers):
            if signal is paid_enrollment_requested:
                signal.disconnect(scoped)
                lms_state(app).receivers.remove((signal, scoped))


def test_unenrol_and_come_back_keeps_progress(
    app, make_client, login_as, instructor, student, create_course
):
    course = create_course(instructor)
    client = login_as(make_client(), student)
    assert client.api("POST", f"/api/v1/courses/{course.slug}/enroll").status_code == 201
    from lms_catalog import set_course_progress

    from lms.extensions import db

    with app.app_context():
        set_course_progress(student.id, course.id, 40, last_lesson_id=7)
        db.session.commit()
    assert client.api("DELETE", f"/api/v1/courses/{course.slug}/enroll").status_code == 204
    assert client.api("DELETE", f"/api/v1/courses/{course.slug}/enroll").status_code == 404
    assert client.get(f"/api/v1/courses/{course.slug}").json["enrollment_count"] == 0
    assert client.get("/api/v1/me/enrollments").json["total"] == 0
    assert client.api("POST", f"/api/v1/courses/{course.slug}/enroll").status_code == 201
    mine = client.get("/api/v1/me/enrollments").json["items"][0]
    assert (mine["progress"], mine["last_lesson_id"]) == (40, 7)
    assert client.get(f"/api/v1/courses/{course.slug}").json["enrollment_count"] == 1


def test_cannot_enrol_in_a_draft(make_client, login_as, instructor, student, create_course):
    draft = create_course(instructor, status="draft")
    client = login_as(make_client(), student)
    assert client.api("POST", f"/api/v1/courses/{draft.slug}/enroll").status_code == 404


def test_soft_delete_hides_and_admin_restores(
    make_client, login_as, admin, instructor, create_course
):
    course = create_course(instructor)
    teacher = login_as(make_client(), instructor)
    reviewer = login_as(make_client(), admin)
    assert teacher.api("DELETE", f"/api/v1/courses/{course.slug}").status_code == 204
    assert make_client().get(f"/api/v1/courses/{course.slug}").status_code == 404
    assert teacher.get(f"/api/v1/courses/{course.slug}").status_code == 404
    assert make_client().get("/api/v1/courses").json["total"] == 0
    deleted = reviewer.get("/api/v1/admin/courses?status=deleted").json
    assert [c["slug"] for c in deleted["items"]] == [course.slug]
    restored = reviewer.api("POST", f"/api/v1/admin/courses/{course.slug}/restore")
    assert restored.json["status"] == "draft" and restored.json["is_deleted"] is False
    assert teacher.get(f"/api/v1/courses/{course.slug}").status_code == 200


def test_admin_unpublishes_and_features(make_client, login_as, admin, instructor, create_course):
    course = create_course(instructor)
    reviewer = login_as(make_client(), admin)
    teacher = login_as(make_client(), instructor)
    assert (
        teacher.api(
            "PATCH", f"/api/v1/courses/{course.slug}", json={"is_featured": True}
        ).status_code
        == 403
    )
    featured = reviewer.api("PATCH", f"/api/v1/courses/{course.slug}", json={"is_featured": True})
    assert featured.json["is_featured"] is True
    out = reviewer.api(
        "POST", f"/api/v1/admin/courses/{course.slug}/unpublish", json={"reason": "Outdated."}
    )
    assert out.json["status"] == "draft"
    assert make_client().get(f"/api/v1/courses/{course.slug}").status_code == 404
    assert teacher.get(f"/api/v1/courses/{course.slug}").json["review_feedback"] == "Outdated."


def test_reject_needs_feedback_and_a_pending_course(
    make_client, login_as, admin, instructor, create_course
):
    course = create_course(instructor, status="pending")
    reviewer = login_as(make_client(), admin)
    empty = reviewer.api(
        "POST", f"/api/v1/admin/courses/{course.slug}/reject", json={"feedback": "  "}
    )
    assert empty.status_code == 422 and "feedback" in empty.json["error"]["fields"]
    missing = reviewer.api("POST", f"/api/v1/admin/courses/{course.slug}/reject", json={})
    assert missing.status_code == 422
    approve = reviewer.api("POST", f"/api/v1/admin/courses/{course.slug}/approve")
    assert approve.status_code == 200
    again = reviewer.api("POST", f"/api/v1/admin/courses/{course.slug}/approve")
    assert again.status_code == 409
    late = reviewer.api(
        "POST", f"/api/v1/admin/courses/{course.slug}/reject", json={"feedback": "x"}
    )
    assert late.status_code == 409


def test_submit_requires_a_description(make_client, login_as, instructor, create_course):
    course = create_course(instructor, status="draft", description_md="")
    client = login_as(make_client(), instructor)
    response = client.api("POST", f"/api/v1/courses/{course.slug}/submit")
    assert response.status_code == 422
    assert (
        "description" in response.json["error"]["message"].lower()
        or response.json["error"]["fields"]
    )


def test_categories_are_listed(client, create_category):
    create_category("Mathematics")
    create_category("Art")
    assert [c["name"] for c in client.get("/api/v1/categories").json] == ["Art", "Mathematics"]


def test_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/courses",
        "/api/v1/courses/{slug}",
        "/api/v1/courses/{slug}/enroll",
        "/api/v1/admin/courses/{slug}/reject",
        "/api/v1/certificates/{code}",
        "/api/v1/me/enrollments",
    ):
        assert path in paths, path


def test_thumbnail_upload_checks_the_content(
    app, make_client, login_as, create_user, create_course
):
    import io

    from PIL import Image

    owner = create_user(role="instructor")
    course = create_course(owner)
    client = login_as(make_client(), owner)
    url = f"/api/v1/courses/{course.slug}/thumbnail"
    image = io.BytesIO()
    Image.new("RGB", (300, 600), "orange").save(image, "WEBP")
    image.seek(0)
    ok = client.api("PUT", url, data={"file": (image, "x.txt")}, content_type="multipart/form-data")
    assert ok.status_code == 200, ok.json
    thumb = ok.json["thumbnail_url"]
    assert thumb and "sig=" in thumb
    served = make_client().get(thumb)
    assert served.status_code == 200 and Image.open(io.BytesIO(served.data)).size == (960, 540)
    served.close()
    for body in (b"", b"GIF89a-but-not-really", b"%PDF-1.4 not an image"):
        bad = client.api(
            "PUT",
            url,
            data={"file": (io.BytesIO(body), "x.png")},
            content_type="multipart/form-data",
        )
        assert bad.status_code == 422 and "thumbnail" in bad.json["error"]["fields"]
    assert client.api("PUT", url).status_code == 422
    assert client.get(f"/api/v1/courses/{course.slug}").json["thumbnail_url"]
    other = login_as(make_client(), create_user(role="instructor"))
    image = io.BytesIO()
    Image.new("RGB", (10, 10), "red").save(image, "PNG")
    image.seek(0)
    refused = other.api(
        "PUT", url, data={"file": (image, "x.webp")}, content_type="multipart/form-data"
    )
    assert refused.status_code == 403
