"""The lesson page, the course editor and the course page's syllabus, as people use them."""

from __future__ import annotations

import io
import re

from flask import render_template_string
from sqlalchemy import event

from lms.extensions import db


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_lesson_page_has_content_navigation_and_checkmarks(
    school, create_course, create_section, create_lesson, create_enrolment, as_user
):
    course = create_course(school.instructor, title="Botany")
    s1, s2 = create_section(course, "Roots"), create_section(course, "Leaves")
    first = create_lesson(s1, "What roots do", markdown="Roots **drink** water.")
    second = create_lesson(s2, "Photosynthesis", markdown="Light ```becomes``` sugar.")
    create_lesson(s2, "Unfinished", status="draft")
    create_enrolment(school.student, course)
    student = as_user(school.student)

    page = _text(student.get(f"/lessons/{first}"))
    assert "<strong>drink</strong>" in page
    assert f'href="/lessons/{second}"' in page and 'rel="next"' in page and 'rel="prev"' not in page
    assert "Unfinished" not in page  # drafts are not in a student's syllabus
    assert "Mark as complete" in page

    r = student.submit(f"/lessons/{first}/complete")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/lessons/{second}")
    page = _text(student.get(f"/lessons/{first}"))
    assert "You completed this lesson" in page
    done = page.split(f'data-lesson-id="{first}">', 1)[1].split("</li>", 1)[0]
    assert "icon-check" in done and "(completed)" in done
    student.submit(f"/lessons/{second}/complete")
    page = _text(student.get(f"/lessons/{second}", follow_redirects=True))
    assert 'rel="prev"' in page


def test_locked_lesson_page_says_how_to_get_in(
    school, create_course, create_section, create_lesson, as_user
):
    course = create_course(school.instructor, title="Botany")
    lesson = create_lesson(create_section(course), "Secret garden", markdown="The hidden text.")
    r = as_user(school.student).get(f"/lessons/{lesson}")
    assert r.status_code == 403
    assert "The hidden text" not in _text(r) and "enrol" in _text(r)


def test_editor_builds_a_course_without_javascript(school, create_course, as_user, pdf):
    course = create_course(school.instructor, status="draft")
    owner = as_user(school.instructor)
    editor = f"/courses/{course.slug}/curriculum"
    assert "No sections yet" in _text(owner.get(editor))

    r = owner.submit(f"{editor}/sections", {"section-title": "Week 1"}, page=editor)
    assert r.status_code == 302
    r = owner.submit(f"{editor}/sections", {"section-title": ""}, page=editor)
    assert r.status_code == 422 and "Give the section a title" in _text(r)
    page = _text(owner.get(editor))
    section_id = int(re.search(r'data-section-id="(\d+)"', page).group(1))

    r = owner.submit(
        f"/curriculum/sections/{section_id}/lessons",
        {"new-title": "Reading", "new-type": "text"},
        page=editor,
    )
    assert r.status_code == 302
    edit_url = r.headers["Location"]
    lesson_id = int(re.search(r"/lessons/(\d+)/edit", edit_url).group(1))

    form = {
        "title": "Reading list",
        "description": "What to read first",
        "content-markdown": "# Books\n\n- *Botany* by A. Gray",
        "duration_minutes": "12",
        "status": "published",
    }
    r = owner.submit(edit_url, form)
    assert r.status_code == 302, _text(r)
    page = _text(owner.get(f"/lessons/{lesson_id}"))
    assert "<em>Botany</em>" in page and "Reading list" in page and "12 min" in page

    # A file lesson, uploaded through the editor form.
    r = owner.submit(
        f"/curriculum/sections/{section_id}/lessons",
        {"new-title": "Handout", "new-type": "file"},
        page=editor,
    )
    file_edit = r.headers["Location"]
    bad = owner.submit(
        file_edit,
        {
            "title": "Handout",
            "status": "published",
            "content-file": (io.BytesIO(b"plain words"), "h.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "not accepted" in _text(bad)
    good = owner.submit(
        file_edit,
        {
            "title": "Handout",
            "status": "published",
            "content-file": (io.BytesIO(pdf), "handout.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert good.status_code == 302, _text(good)
    assert "handout.pdf" in _text(owner.get(file_edit))


def test_publishing_without_content_is_refused_in_the_editor(
    school, create_course, create_section, create_lesson, as_user
):
    course = create_course(school.instructor)
    lesson = create_lesson(create_section(course), "Empty", status="draft", markdown="")
    owner = as_user(school.instructor)
    r = owner.submit(
        f"/lessons/{lesson}/edit", {"title": "Empty", "status": "published", "content-markdown": ""}
    )
    assert r.status_code == 422 and "Write the lesson" in _text(r)
    r = owner.submit(f"/lessons/{lesson}/edit", {"title": "x" * 300, "status": "draft"})
    assert r.status_code == 422 and "At most 200 characters" in _text(r)
    assert owner.api("GET", f"/api/v1/lessons/{lesson}").json["status"] == "draft"


def test_keyboard_buttons_move_lessons_and_sections(
    school, create_course, create_section, create_lesson, as_user
):
    course = create_course(school.instructor)
    s1, s2 = create_section(course, "One"), create_section(course, "Two")
    a, b = create_lesson(s1, "A"), create_lesson(s1, "B")
    owner = as_user(school.instructor)
    editor = f"/courses/{course.slug}/curriculum"

    def order(section):
        return [
            x["title"]
            for x in owner.api("GET", f"/api/v1/sections/{section}/lessons").json["items"]
        ]

    owner.submit(f"/lessons/{b}/move", {"direction": "up"}, page=editor)
    assert order(s1) == ["B", "A"]
    owner.submit(
        f"/lessons/{a}/move", {"direction": "down"}, page=editor
    )  # past the end: next section
    assert order(s1) == ["B"] and order(s2) == ["A"]
    owner.submit(f"/lessons/{a}/move", {"direction": "up"}, page=editor)  # back to the end of One
    assert order(s1) == ["B", "A"] and order(s2) == []
    owner.submit(f"/curriculum/sections/{s2}/move", {"direction": "up"}, page=editor)
    titles = [
        s["title"]
        for s in owner.api("GET", f"/api/v1/courses/{course.slug}/sections").json["items"]
    ]
    assert titles == ["Two", "One"]
    owner.submit(f"/lessons/{b}/delete", page=editor)
    assert order(s1) == ["A"]


def test_course_syllabus_hook_uses_few_statements(
    app, school, create_course, create_section, create_lesson, create_enrolment
):
    course = create_course(school.instructor)
    for s in range(4):
        section = create_section(course, f"Section {s}")
        for n in range(6):
            create_lesson(section, f"Lesson {s}.{n}", free_preview=(n == 0))
    create_enrolment(school.student, course)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.test_request_context("/"):
        from flask_babel import get_locale
        from lms_catalog import get_course, get_enrollment

        from lms.models import User

        course_obj = get_course(course.id)
        student = db.session.get(User, school.student.id)
        enrollment = get_enrollment(student.id, course.id)
        enrollment.is_active  # noqa: B018 - load before counting
        # Per-process caches (permission grants) fill once per process, not per page.
        course_obj.is_staff(student)
        # So is the request's language: every page resolves it once (base.html's lang=).
        get_locale()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            html = render_template_string(
                "{{ template_hook('course-syllabus', course=course, enrollment=e, user=u) }}",
                course=course_obj,
                e=enrollment,
                u=student,
            )
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert "Lesson 3.5" in html and "24 lessons in 4 sections" in html
    assert len(statements) <= 3, statements


def test_the_last_lesson_links_to_the_certificate_and_summaries_are_not_repeated(
    app, school, create_course, create_section, create_lesson, create_enrolment, as_user
):
    from lms_lessons import services

    course = create_course(school.instructor, title="Knots")
    section = create_section(course, "Basics")
    only = create_lesson(section, "The reef knot", markdown="Right over left, left over right.")
    with app.app_context():
        lesson = services.get_lesson(only)
        # A summary that only repeats the opening line is not shown twice...
        services.update_lesson(lesson, {"description": "Right over left, left over right."})
        db.session.commit()
    create_enrolment(school.student, course)
    student = as_user(school.student)
    page = _text(student.get(f"/lessons/{only}"))
    assert page.count("Right over left, left over right.") == 1

    done = student.submit(f"/lessons/{only}/complete", page=f"/lessons/{only}")
    page = _text(student.get(done.headers["Location"]))
    assert "You have finished the course" in page
    certificate = re.search(r'href="(/my/certificates/[^"]+)">View your certificate', page)
    assert certificate and student.get(certificate.group(1)).status_code == 200

    with app.app_context():
        # ...while a summary that says something else is.
        services.update_lesson(services.get_lesson(only), {"description": "Tie it in 5 seconds."})
        db.session.commit()
    assert '<p class="lead">Tie it in 5 seconds.</p>' in _text(student.get(f"/lessons/{only}"))


def test_a_pdf_lesson_offers_a_download_card_not_an_empty_frame(
    school, create_course, create_section, create_lesson, create_enrolment, as_user
):
    course = create_course(school.instructor)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    lesson = create_lesson(create_section(course), "Reading", type="file", file=pdf)
    create_enrolment(school.student, course)
    page = _text(as_user(school.student).get(f"/lessons/{lesson}"))
    assert "<iframe" not in page
    assert "Download notes.pdf" in page and "Open notes.pdf in a new tab" in page


def test_start_learning_opens_the_first_lesson_then_the_next_not_done(
    app, school, create_course, create_section, create_lesson, create_enrolment, as_user
):
    course = create_course(school.instructor, title="Birds")
    section = create_section(course, "Spotting")
    create_lesson(section, "Hidden draft", status="draft")
    first = create_lesson(section, "Beaks")
    second = create_lesson(section, "Wings")
    create_enrolment(school.student, course)
    student = as_user(school.student)

    page = _text(student.get(f"/courses/{course.slug}"))
    start = re.search(r'href="([^"]+)">Start learning', page).group(1)
    assert start == f"/courses/{course.slug}/learn"
    assert student.get(start).headers["Location"].endswith(f"/lessons/{first}")
    student.submit(f"/lessons/{first}/complete", page=f"/lessons/{first}")
    assert student.get(start).headers["Location"].endswith(f"/lessons/{second}")
    assert as_user(school.student).get("/courses/no-such-course/learn").status_code == 404
