"""Completion and certificates: issued once, printable, as PDF, verifiable by anyone."""

from __future__ import annotations

import pytest


@pytest.fixture
def completed(app, make_client, login_as, instructor, create_user, create_course):
    course = create_course(instructor, "Cartography")
    learner = create_user(name="Zoë Ørsted")
    client = login_as(make_client(), learner)
    client.api("POST", f"/api/v1/courses/{course.slug}/enroll")
    from lms_catalog import set_course_progress

    from lms.extensions import db

    with app.app_context():
        enrollment = set_course_progress(learner.id, course.id, 100)
        db.session.commit()
        code = enrollment.certificate.code
    return client, course, code, learner


def test_completion_never_moves_backwards_and_certifies_once(
    app, instructor, student, create_course
):
    from lms_catalog import (
        Certificate,
        certificate_issued,
        enroll,
        enrollment_completed,
        get_course,
        set_course_progress,
    )

    from lms.extensions import db

    course = create_course(instructor)
    heard: list[str] = []

    def on_completed(enrollment, **_kwargs):
        heard.append("completed")

    def on_certificate(certificate, **_kwargs):
        heard.append("certificate")

    enrollment_completed.connect(on_completed)
    certificate_issued.connect(on_certificate)
    with app.app_context():
        from lms.models import User

        enroll(db.session.get(User, student.id), get_course(course.id))
        assert set_course_progress(student.id, course.id, 150).progress == 100
        assert set_course_progress(student.id, course.id, 30).progress == 100
        again = set_course_progress(student.id, course.id, 100)
        db.session.commit()
        assert again.completed_at is not None
        assert db.session.query(Certificate).count() == 1
    assert heard.count("completed") == 1 and heard.count("certificate") == 1
    enrollment_completed.disconnect(on_completed)
    certificate_issued.disconnect(on_certificate)


def test_progress_clamps_and_refuses_strangers(app, instructor, student, create_course):
    from lms_catalog import CatalogError, set_course_progress

    course = create_course(instructor)
    with app.app_context(), pytest.raises(CatalogError):
        set_course_progress(student.id, course.id, 50)


def test_certificate_page_and_pdf(completed, make_client, login_as, create_user):
    client, course, code, _learner = completed
    page = client.get(f"/my/certificates/{code}")
    assert page.status_code == 200
    assert "Zoë Ørsted" in page.text and "Cartography" in page.text and code in page.text
    assert "Ines Instructor" in page.text
    pdf = client.get(f"/my/certificates/{code}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    listing = client.get("/my/certificates")
    assert code in listing.text
    # Someone else's certificate page does not exist for them.
    stranger = login_as(make_client(), create_user())
    assert stranger.get(f"/my/certificates/{code}").status_code == 404
    assert stranger.get(f"/my/certificates/{code}.pdf").status_code == 404


def test_public_verification_shows_whose_certificate_it_is(completed, make_client):
    _client, _course, code, _learner = completed
    guest = make_client()
    valid = guest.get(f"/certificates/{code.lower().replace('-', '')}")
    assert "is <strong>valid</strong>" in valid.text and code in valid.text
    # An employer sees the holder, the course, the date and the school, and the PDF.
    assert "Zoë Ørsted" in valid.text and "Cartography" in valid.text
    assert "Completed on" in valid.text
    pdf_link = f"/certificates/{code}.pdf"
    assert pdf_link in valid.text
    pdf = guest.get(pdf_link)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    answer = guest.get(f"/api/v1/certificates/{code}").json
    assert answer["valid"] is True and answer["holder"] == "Zoë Ørsted"
    assert answer["course"] == "Cartography" and answer["completed_on"]
    assert answer["pdf_url"].endswith(pdf_link)

    invalid = guest.get("/certificates/NOPE-NOPE-NOPE")
    assert "not valid" in invalid.text and "no such certificate" in invalid.text
    unknown = guest.get("/api/v1/certificates/NOPE-NOPE-NOPE").json
    assert unknown["valid"] is False and "holder" not in unknown
    assert guest.get("/certificates/NOPE-NOPE-NOPE.pdf").status_code == 404
    assert "not valid" in guest.get("/certificates/" + "x" * 300).text
    assert guest.get("/certificates?code=" + code).status_code == 302


def test_holder_may_hide_their_certificate_and_only_the_holder(
    completed, make_client, login_as, instructor
):
    client, _course, code, _learner = completed
    mine, sharing = f"/my/certificates/{code}", f"/my/certificates/{code}/sharing"
    page = client.get(mine).text
    assert "Make it private" in page
    client.submit(sharing, {"public": "0"}, page=mine)

    guest = make_client()
    hidden = guest.get(f"/certificates/{code}")
    assert "is <strong>valid</strong>" in hidden.text  # still genuine...
    assert "Zoë" not in hidden.text and "Cartography" not in hidden.text  # ...but private
    assert guest.get(f"/certificates/{code}.pdf").status_code == 404
    answer = guest.get(f"/api/v1/certificates/{code}").json
    assert answer["valid"] is True and "holder" not in answer

    # The course's instructor may look at it, not change what the holder chose.
    teacher = login_as(make_client(), instructor)
    assert teacher.get(f"/my/certificates/{code}").status_code == 200
    assert teacher.submit(sharing, {"public": "1"}, page=mine).status_code == 403
    assert "Zoë" not in guest.get(f"/certificates/{code}").text

    client.submit(sharing, {"public": "1"}, page=mine)
    assert "Zoë" in guest.get(f"/certificates/{code}").text
