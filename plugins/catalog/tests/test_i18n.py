"""The catalog speaks the reader's language: pages, prices, plurals, dates, notifications."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from lms.extensions import db
from lms.models import Notification

ARABIC = {"Accept-Language": "ar"}
FRENCH = {"Accept-Language": "fr"}


def test_the_catalog_reads_in_arabic_right_to_left(client, instructor, create_course):
    create_course(instructor, "Python for Data Science", subtitle="Pandas and plots")
    page = client.get("/courses", headers=ARABIC).text
    assert '<html lang="ar" dir="rtl">' in page
    assert "<h1>الدورات</h1>" in page and "دورة واحدة" in page
    # An English title keeps its own direction inside the Arabic page.
    assert '<h3 dir="auto"><a href="/courses/python-for-data-science">' in page
    assert '<span class="tag">مبتدئ</span>' in page and "مجانية" in page
    found = client.get("/courses?q=python", headers=ARABIC).text
    assert "دورة واحدة عن «<bdi>python</bdi>»" in found


def test_a_course_page_in_french_formats_price_counts_and_names(
    app, client, instructor, create_course
):
    from lms.settings import set_setting

    with app.app_context():
        set_setting("catalog", "currency", "EUR")
        db.session.commit()
    course = create_course(instructor, "Aquarelle", price_cents=190000)
    page = client.get(f"/courses/{course.slug}", headers=FRENCH).text.replace("\u202f", " ")
    assert "1 900,00 €" in page.replace("\xa0", " ")
    assert "Enseigné par <strong><bdi>Ines Instructor</bdi></strong>" in page
    assert "0</span> inscrit" in page and "Votre enseignant" in page


def test_plurals_follow_the_language(app, client, instructor, create_course):
    for n in range(3):
        create_course(instructor, f"Course {n}")
    assert "3 courses" in client.get("/courses").text
    assert "3 cours" in client.get("/courses", headers=FRENCH).text
    assert "3 دورات" in client.get("/courses", headers=ARABIC).text


def test_service_refusals_answer_in_the_callers_language(client, make_client, login_as, student):
    api = login_as(make_client(), student)
    answer = api.api("POST", "/api/v1/courses", json={"title": "X"}, headers=ARABIC)
    assert answer.status_code == 403
    assert answer.json["error"]["message"].startswith("المدرّسون وحدهم")
    missing = client.get("/api/v1/courses/nope", headers=FRENCH)
    assert missing.json["error"]["message"] == "Aucun cours à cette adresse."


def test_dates_are_in_the_readers_language_and_time_zone(
    app, make_client, login_as, create_user, create_course, create_enrolment
):
    from lms_catalog import Enrollment

    teacher = create_user(role="instructor", language="fr", timezone="Asia/Tokyo")
    learner = create_user(name="Léa")
    course = create_course(teacher, "Origami")
    enrollment_id = create_enrolment(learner, course)
    with app.app_context():
        enrollment = db.session.get(Enrollment, enrollment_id)
        enrollment.enrolled_at = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)
        enrollment.last_activity_at = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)
        db.session.commit()
    client = login_as(make_client(), teacher)
    page = client.get(f"/teach/courses/{course.slug}/students").text
    # 20:00 UTC on 31 March is 05:00 on 1 April in Tokyo.
    assert "1 avr. 2026" in page and "05:00" in page
    assert "1 étudiant" in page and ">Inscrit le</th>" in page
    # Same English word, another context, another translation.
    assert ">Ont terminé</th>" in client.get("/teach").text


def test_notifications_are_written_in_the_recipients_language(
    app, make_client, login_as, create_user
):
    admin = create_user(role="admin", language="ar")
    teacher = create_user(role="instructor", language="fr")
    author = login_as(make_client(), teacher)
    course = author.api(
        "POST", "/api/v1/courses", json={"title": "Tide Pools", "description_md": "Crabs."}
    ).json
    author.api("POST", f"/api/v1/courses/{course['slug']}/submit")
    login_as(make_client(), admin).api("POST", f"/api/v1/admin/courses/{course['slug']}/approve")
    with app.app_context():
        titles = {
            note.user_id: note.title
            for note in db.session.scalars(select(Notification).order_by(Notification.id))
        }
    assert titles[admin.id] == "دورة للمراجعة: Tide Pools"
    assert titles[teacher.id] == "Tide Pools est publié"


def test_every_catalog_page_renders_in_each_language(
    app, make_client, login_as, admin, instructor, create_user, create_course, create_category
):
    """Each page, for the people who see it, in English, French and Arabic, with no English left."""
    from lms_catalog import set_course_progress

    create_category("Arts")
    course = create_course(instructor, "Calligraphy", outcomes_md="- Ink")
    create_course(instructor, "Pending Pottery", status="pending")
    learner = create_user(name="Lina")
    login_as(make_client(), learner).api("POST", f"/api/v1/courses/{course.slug}/enroll")
    with app.app_context():
        code = set_course_progress(learner.id, course.id, 100).certificate.code
        db.session.commit()
    pages = {
        learner: ["/courses", f"/courses/{course.slug}", "/my/courses", "/my/certificates",
                  f"/my/certificates/{code}", f"/certificates/{code}", "/certificates",
                  "/teach"],
        instructor: ["/teach", "/courses/new", f"/courses/{course.slug}/edit",
                     f"/teach/courses/{course.slug}/students", f"/courses/{course.slug}"],
        admin: ["/admin/catalog/moderation", "/admin/catalog/courses",
                "/admin/catalog/categories"],
    }  # fmt: skip
    for person, urls in pages.items():
        for language in ("en", "fr", "ar"):
            client = login_as(make_client(), person)
            with app.app_context():
                from lms.models import User

                db.session.get(User, person.id).language = language
                db.session.commit()
            for url in urls:
                page = client.get(url)
                assert page.status_code == 200, (language, url)
                assert f'<html lang="{language}"' in page.text, (language, url)
                if language != "en":
                    # Words the catalog's pages use everywhere: translated, never left in English.
                    for english in ("Courses</h1>", ">Delete<", ">Status<", "Enrol for free"):
                        assert english not in page.text, (language, url, english)
    # The PDF too (an Arabic reader gets it in English unless a shaper is installed).
    for language in ("fr", "ar"):
        pdf = make_client().get(f"/certificates/{code}.pdf", headers={"Accept-Language": language})
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_rating_reads_in_the_page_language(app, client, instructor, create_course):
    from lms_catalog import set_course_rating

    course = create_course(instructor, "Rated Course")
    with app.app_context():
        set_course_rating(course.id, 4.5, 12)
        db.session.commit()
    assert "Rated 4.5 out of 5 by 12 people" in client.get("/courses").text
    assert "Noté 4,5 sur 5 par 12 personnes" in client.get("/courses", headers=FRENCH).text
