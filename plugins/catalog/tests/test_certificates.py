"""Completion and certificates: issued once, printable, as PDF, verifiable by anyone."""

from __future__ import annotations

import pytest


@pytest.fixture
def completed(app, make_client, login_as, instructor, create_user, make_course):
    course = make_course(instructor, "Cartography")
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


def test_completion_never_moves_backwards_and_certifies_once(app, instructor, student, make_course):
    from lms_catalog import (
        Certificate,
        certificate_issued,
        enroll,
        enrollment_completed,
        get_course,
        set_course_progress,
    )

    from lms.extensions import db

    course = make_course(instructor)
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


def test_progress_clamps_and_refuses_strangers(app, instructor, student, make_course):
    from lms_catalog import CatalogError, set_course_progress

    course = make_course(instructor)
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


def test_public_verification_says_valid_or_not(completed, make_client):
    _client, _course, code, _learner = completed
    guest = make_client()
    valid = guest.get(f"/certificates/{code.lower().replace('-', '')}")
    assert "is <strong>valid</strong>" in valid.text and code in valid.text
    assert "Zoë" not in valid.text and "Cartography" not in valid.text
    invalid = guest.get("/certificates/NOPE-NOPE-NOPE")
    assert "not valid" in invalid.text
    assert "not valid" in guest.get("/certificates/" + "x" * 300).text
    assert guest.get("/certificates?code=" + code).status_code == 302
