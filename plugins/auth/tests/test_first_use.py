"""First use: where a student lands, the profile's wording, intranet e-mail domains."""

from __future__ import annotations

from lms.extensions import db
from lms.settings import set_setting


def test_a_student_lands_on_my_courses_after_signing_in_unless_a_page_was_asked_for(
    app, make_client, create_user
):
    create_user(email="kim@example.org", password="kim-password-1", role="student")
    client = make_client()
    signed_in = client.submit(
        "/auth/login", {"login": "kim@example.org", "password": "kim-password-1"}
    )
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/my/courses"

    other = make_client()
    asked = other.submit(
        "/auth/login?next=/courses",
        {"login": "kim@example.org", "password": "kim-password-1"},
    )
    assert asked.headers["Location"] == "/courses"


def test_profile_spells_services_and_keeps_tokens_in_a_developer_section(
    make_client, login_as, create_user
):
    page = login_as(make_client(), create_user()).get("/auth/profile").get_data(as_text=True)
    for label in ("GitHub link", "LinkedIn link", "YouTube link"):
        assert label in page
    assert "Github" not in page and "Linkedin" not in page and "Youtube" not in page
    developer = page.index("For developers: API tokens")
    assert developer > page.index("Where you are signed in")  # after the everyday sections
    assert "<details" in page[developer - 300 : developer]


def test_intranet_domains_are_refused_until_the_school_lists_them(app, make_client, create_user):
    create_user(role="admin")
    client = make_client()
    form = {"email": "ana@school.local", "username": "ana", "name": "Ana",
            "password": "long-enough-pw", "confirm": "long-enough-pw"}  # fmt: skip
    refused = client.submit("/auth/register", form)
    assert refused.status_code in (200, 422) and "not valid" in refused.get_data(as_text=True)

    with app.app_context():
        set_setting("auth", "intranet_email_domains", "school.local, staff.internal")
        db.session.commit()
    accepted = make_client().submit("/auth/register", form)
    assert accepted.status_code == 302, accepted.get_data(as_text=True)[:2000]
    # Only the listed domain: other special-use names stay refused.
    other = make_client().submit(
        "/auth/register", {**form, "email": "bo@other.local", "username": "bo"}
    )
    assert "not valid" in other.get_data(as_text=True)
