"""The lessons plugin speaks the reader's language: pages, flash messages, API errors, counts."""

from __future__ import annotations

FR = {"Accept-Language": "fr"}
AR = {"Accept-Language": "ar"}


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_lesson_page_and_completion_in_french_and_arabic(
    school, create_course, create_section, create_lesson, create_enrolment, as_user
):
    course = create_course(school.instructor, title="Botany")
    section = create_section(course, "Roots")
    first = create_lesson(section, "What roots do", markdown="Roots drink water.")
    create_lesson(section, "Leaves", markdown="Green.")
    create_enrolment(school.student, course)
    student = as_user(school.student)

    page = _text(student.get(f"/lessons/{first}", headers=FR))
    assert "Marquer comme terminée" in page and "Programme du cours" in page
    assert "Mark as complete" not in page

    r = student.submit(f"/lessons/{first}/complete", headers=FR, follow_redirects=True)
    assert "Leçon terminée." in _text(r)

    page = _text(student.get(f"/lessons/{first}", headers=AR))
    assert "أكملت هذا الدرس." in page and "(مكتمل)" in page


def test_editor_move_buttons_say_which_lesson_they_move(
    school, create_course, create_section, create_lesson, as_user
):
    course = create_course(school.instructor)
    section = create_section(course, "Roots")
    create_lesson(section, "Photosynthesis")
    owner = as_user(school.instructor)

    page = _text(owner.get(f"/courses/{course.slug}/curriculum", headers=FR))
    assert 'aria-label="Monter la leçon « Photosynthesis »"' in page
    assert 'aria-label="Descendre la section « Roots »"' in page
    page = _text(owner.get(f"/courses/{course.slug}/curriculum"))
    assert 'aria-label="Move the lesson “Photosynthesis” up"' in page


def test_syllabus_counts_use_the_language_plural_forms(
    school, create_course, create_section, create_lesson, as_user
):
    course = create_course(school.instructor, status="published")
    for name in ("A", "B"):
        section = create_section(course, name)
        for n in range(3):
            create_lesson(section, f"{name}{n}", duration_seconds=600)
    guest = as_user(None)

    assert "6 leçons dans 2 sections" in _text(guest.get(f"/courses/{course.slug}", headers=FR))
    arabic = _text(guest.get(f"/courses/{course.slug}", headers=AR))
    assert "6 دروس في قسمين" in arabic  # "few" lessons, "two" sections (after "in")
    assert "1 س 00 د" in arabic  # an hour of lessons


def test_api_errors_are_in_the_callers_language(
    school, create_course, create_section, create_lesson, as_user
):
    course = create_course(school.instructor)
    owner = as_user(school.instructor)
    section = create_section(course, "Roots")

    r = owner.api("POST", f"/api/v1/sections/{section}/lessons", {"title": ""}, headers=FR)
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["message"] == "Certaines valeurs ne sont pas valides."
    assert error["fields"]["title"] == ["Ce champ est obligatoire."]


def test_every_lessons_page_renders_in_arabic(
    school, create_course, create_section, create_lesson, create_enrolment, as_user, pdf
):
    course = create_course(school.instructor, title="Botany", status="published")
    section = create_section(course, "Roots")
    text = create_lesson(section, "Roots", markdown="Roots drink water.", free_preview=True)
    locked = create_lesson(section, "Leaves", markdown="Green.")
    owner = as_user(school.instructor)
    file_lesson = owner.api(
        "POST", f"/api/v1/sections/{section}/lessons", {"type": "file", "title": "Notes"}
    ).get_json()["id"]
    pages = {
        owner: [
            f"/courses/{course.slug}/curriculum",
            f"/lessons/{text}/edit",
            f"/lessons/{file_lesson}/edit",
            f"/lessons/{file_lesson}",
        ],
        as_user(school.student): [f"/lessons/{text}", f"/lessons/{locked}"],
        as_user(None): [f"/courses/{course.slug}", f"/lessons/{text}"],
    }
    for client, urls in pages.items():
        for url in urls:
            r = client.get(url, headers=AR)
            page = _text(r)
            assert r.status_code in (200, 403), (url, r.status_code)
            assert 'dir="rtl"' in page, url
            assert "درس" in page or "دروس" in page, url  # "lesson", "lessons"
