"""The catalog's pages: what guests, students, instructors and admins see and can do."""

from __future__ import annotations

import io

from PIL import Image


def test_catalog_page_lists_courses_and_says_what_to_do_when_empty(
    client, instructor, create_course
):
    empty = client.get("/courses")
    assert empty.status_code == 200
    assert "No courses yet" in empty.text
    create_course(instructor, "Watercolour Basics", subtitle="Paint with light")
    create_course(instructor, "Hidden Draft", status="draft")
    page = client.get("/courses")
    assert "Watercolour Basics" in page.text and "Paint with light" in page.text
    assert "Hidden Draft" not in page.text
    none = client.get("/courses?q=zzzz")
    assert "No course matches" in none.text and "Show all courses" in none.text
    assert client.get("/courses?level=expert&sort=nope").status_code == 200


def test_home_page_shows_featured_and_newest(app, client, instructor, create_course):
    course = create_course(instructor, "Star Gazing")
    from lms_catalog import Course

    from lms.extensions import db

    with app.app_context():
        db.session.get(Course, course.id).is_featured = True
        db.session.commit()
    home = client.get("/")
    assert "<h2>Featured courses</h2>" in home.text and "Star Gazing" in home.text
    assert '<link rel="stylesheet" href="/static/catalog-plugin/catalog/catalog.css">' in home.text
    # Hook output is HTML, not escaped text.
    assert "&lt;link" not in home.text and "&lt;section" not in home.text


def test_course_page_call_to_action(app, make_client, login_as, instructor, student, create_course):
    course = create_course(
        instructor,
        "Knitting",
        description_md="Needles <script>alert(1)</script>\n\n```python\nprint('knit')\n```",
        outcomes_md="- Cast on\n- Purl",
    )
    guest = make_client().get(f"/courses/{course.slug}")
    assert guest.status_code == 200
    assert "<script>alert(1)</script>" not in guest.text
    assert 'class="highlight"' in guest.text and "Cast on" in guest.text
    assert "What you will learn" in guest.text
    assert "Log in to enrol" in guest.text or "Sign in to enrol" in guest.text

    client = login_as(make_client(), student)
    page = client.get(f"/courses/{course.slug}")
    assert "Enrol for free" in page.text
    enrolled = client.submit(f"/courses/{course.slug}/enroll", page=f"/courses/{course.slug}")
    assert enrolled.status_code == 302
    after = client.get(f"/courses/{course.slug}")
    assert "You are enrolled in Knitting" in after.text
    assert "Start learning" in after.text and "Leave course" in after.text
    # Enrolling twice is fine and creates nothing.
    client.submit(f"/courses/{course.slug}/enroll", page=f"/courses/{course.slug}")
    assert "already enrolled" in client.get(f"/courses/{course.slug}").text
    assert client.get(f"/api/v1/courses/{course.slug}").json["enrollment_count"] == 1

    left = client.submit(f"/courses/{course.slug}/unenroll", page=f"/courses/{course.slug}")
    assert left.status_code == 302
    assert "Enrol for free" in client.get(f"/courses/{course.slug}").text


def test_draft_course_page_is_404_to_guests_and_shows_feedback_to_staff(
    app, make_client, login_as, admin, instructor, student, create_course
):
    course = create_course(instructor, "Draft Thing", status="pending")
    reviewer = login_as(make_client(), admin)
    rejected = reviewer.submit(
        f"/admin/catalog/courses/{course.slug}/reject",
        {"feedback": "Please add a syllabus."},
        page="/admin/catalog/moderation",
    )
    assert rejected.status_code == 302
    assert make_client().get(f"/courses/{course.slug}").status_code == 404
    assert login_as(make_client(), student).get(f"/courses/{course.slug}").status_code == 404
    teacher = login_as(make_client(), instructor)
    page = teacher.get(f"/courses/{course.slug}")
    assert page.status_code == 200 and "Please add a syllabus." in page.text
    assert "Please add a syllabus." in teacher.get("/teach").text
    assert "Please add a syllabus." in teacher.get(f"/courses/{course.slug}/edit").text


def test_moderation_queue_approves(make_client, login_as, admin, instructor, create_course):
    course = create_course(instructor, "Pending Pottery", status="pending")
    reviewer = login_as(make_client(), admin)
    queue = reviewer.get("/admin/catalog/moderation")
    assert "Pending Pottery" in queue.text
    reviewer.submit(
        f"/admin/catalog/courses/{course.slug}/approve", page="/admin/catalog/moderation"
    )
    assert "Nothing to review" in reviewer.get("/admin/catalog/moderation").text
    assert make_client().get(f"/courses/{course.slug}").status_code == 200
    assert login_as(make_client(), instructor).get("/admin/catalog/moderation").status_code == 403


def test_instructor_creates_and_edits_a_course_with_a_thumbnail(
    app, make_client, login_as, instructor
):
    client = login_as(make_client(), instructor)
    empty = client.get("/teach")
    assert "You do not teach a course yet" in empty.text
    invalid = client.submit("/courses/new", {"title": "", "level": "beginner", "language": "en"})
    assert invalid.status_code == 422 and "This field is required" in invalid.text
    image = io.BytesIO()
    Image.new("RGB", (1600, 1200), "teal").save(image, "PNG")
    image.seek(0)
    created = client.submit(
        "/courses/new",
        {
            "title": "Origami",
            "description_md": "Fold *paper*.",
            "category_id": "0",
            "level": "beginner",
            "language": "en",
            "price": "0",
            "thumbnail": (image, "cranes.png"),
        },
        content_type="multipart/form-data",
    )
    assert created.status_code == 302, created.text
    assert created.headers["Location"].endswith("/courses/origami/edit")
    from lms_catalog import Course

    from lms.extensions import db
    from lms.storage import get_storage

    with app.app_context():
        course = db.session.query(Course).filter_by(slug="origami").one()
        assert course.status == "draft"
        with get_storage().open(course.thumbnail_key) as fh:
            stored = Image.open(fh)
            assert (stored.format, stored.size) == ("JPEG", (960, 540))
    fake = client.submit(
        "/courses/origami/edit",
        {
            "title": "Origami",
            "slug": "origami",
            "level": "beginner",
            "language": "en",
            "category_id": "0",
            "price": "0",
            "thumbnail": (io.BytesIO(b"#!/bin/sh\necho not an image"), "evil.png"),
        },
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422 and "not an image" in fake.text
    with app.app_context():
        assert db.session.query(Course).filter_by(slug="origami").one().thumbnail_key
    submitted = client.submit("/courses/origami/submit", page="/courses/origami/edit")
    assert submitted.status_code == 302
    assert "Waiting for review" in client.get("/teach").text


def test_instructor_cannot_edit_another_instructors_course_page(
    make_client, login_as, create_user, create_course
):
    owner = create_user(role="instructor")
    other = create_user(role="instructor")
    course = create_course(owner)
    client = login_as(make_client(), other)
    assert client.get(f"/courses/{course.slug}/edit").status_code == 403
    assert client.get(f"/teach/courses/{course.slug}/students").status_code == 403
    assert client.get(f"/teach/courses/{course.slug}/students.csv").status_code == 403
    token = client.csrf_token("/courses")
    assert (
        client.post(f"/courses/{course.slug}/delete", data={"csrf_token": token}).status_code == 403
    )


def test_student_dashboard_and_instructor_students_export(
    app, make_client, login_as, create_user, instructor, create_course
):
    course = create_course(instructor, "Chess Openings")
    learner = create_user(name="=HYPERLINK(evil)")
    client = login_as(make_client(), learner)
    assert "You have not enrolled in a course yet" in client.get("/my/courses").text
    client.api("POST", f"/api/v1/courses/{course.slug}/enroll")
    from lms_catalog import set_course_progress

    from lms.extensions import db

    with app.app_context():
        set_course_progress(learner.id, course.id, 35)
        db.session.commit()
    mine = client.get("/my/courses")
    assert "Chess Openings" in mine.text and 'value="35"' in mine.text
    assert "Start learning" in mine.text or "Continue" in mine.text

    teacher = login_as(make_client(), instructor)
    students = teacher.get(f"/teach/courses/{course.slug}/students")
    assert "35%" in students.text
    export = teacher.get(f"/teach/courses/{course.slug}/students.csv")
    assert export.mimetype == "text/csv"
    lines = export.text.strip().splitlines()
    assert lines[0].startswith("name,email,enrolled_at,progress")
    assert lines[1].startswith("'=HYPERLINK(evil)")  # no formula injection in spreadsheets
    assert ",35," in lines[1]


def test_admin_manages_categories(make_client, login_as, admin, instructor):
    client = login_as(make_client(), admin)
    assert "No categories yet" in client.get("/admin/catalog/categories").text
    assert client.submit("/admin/catalog/categories", {"name": "Music"}).status_code == 302
    duplicate = client.submit("/admin/catalog/categories", {"name": "  music "})
    assert duplicate.status_code == 422 and "already exists" in duplicate.text
    assert client.submit("/admin/catalog/categories", {"name": ""}).status_code == 422
    assert client.get("/api/v1/categories").json[0]["name"] == "Music"
    teacher = login_as(make_client(), instructor)
    assert teacher.get("/admin/catalog/categories").status_code == 403


def test_admin_restores_a_deleted_course(make_client, login_as, admin, instructor, create_course):
    course = create_course(instructor, "Gone Soon")
    teacher = login_as(make_client(), instructor)
    teacher.submit(f"/courses/{course.slug}/delete", page=f"/courses/{course.slug}/edit")
    assert make_client().get(f"/courses/{course.slug}").status_code == 404
    reviewer = login_as(make_client(), admin)
    assert "Gone Soon" in reviewer.get("/admin/catalog/courses?status=deleted").text
    reviewer.submit(
        f"/admin/catalog/courses/{course.slug}/restore",
        page="/admin/catalog/courses?status=deleted",
    )
    assert teacher.get(f"/courses/{course.slug}/edit").status_code == 200


def test_staff_are_offered_edit_and_preview_not_enrolment(
    make_client, login_as, instructor, student, create_course
):
    course = create_course(instructor, "Own Course")
    teacher = login_as(make_client(), instructor)
    page = teacher.get(f"/courses/{course.slug}").text
    assert "Enrol for free" not in page
    assert "Edit course" in page and "Preview as a student" in page
    preview = teacher.get(f"/courses/{course.slug}?preview=student").text
    assert "Preview: this is the page as a student" in preview
    assert "Edit course" not in preview
    assert "disabled>Enrol for free" in preview  # seen, not clickable
    # The preview switch means nothing to anyone else.
    learner = login_as(make_client(), student).get(f"/courses/{course.slug}?preview=student").text
    assert "Preview:" not in learner and "Enrol for free" in learner


def test_a_student_opening_teach_learns_how_to_apply(make_client, login_as, student):
    page = login_as(make_client(), student).get("/teach")
    assert page.status_code == 200
    assert "Apply to teach" in page.text and 'href="/auth/instructor"' in page.text
