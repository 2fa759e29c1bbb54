"""`flask lms seed-demo` gives a newcomer a catalog to click through."""

from __future__ import annotations


def test_seed_demo_fills_an_empty_site_with_a_browsable_catalog(app, make_client, login_as):
    result = app.test_cli_runner().invoke(args=["lms", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "catalog:" in result.output

    guest = make_client()
    catalog = guest.get("/api/v1/courses?per_page=100").json
    assert catalog["total"] >= 12
    languages = {c["language"] for c in catalog["items"]}
    levels = {c["level"] for c in catalog["items"]}
    assert {"en", "es", "fr"} <= languages and len(levels) == 3
    assert any(not c["is_free"] for c in catalog["items"])
    assert any(c["enrollment_count"] for c in catalog["items"])
    assert len(guest.get("/api/v1/categories").json) >= 5

    page = guest.get("/courses")
    assert page.status_code == 200 and "Python for Absolute Beginners" in page.text
    assert "Featured courses" in guest.get("/").text
    course = guest.get("/courses/python-for-absolute-beginners")
    assert course.status_code == 200 and 'class="highlight"' in course.text

    from lms.extensions import db
    from lms.models import User

    with app.app_context():
        student = db.session.query(User).filter_by(email="student@demo.school").one()
        assert student.check_password("demo-password-1")
        teacher = db.session.query(User).filter_by(email="amara.okafor@demo.school").one()
    assert "Teach" in login_as(make_client(), teacher).get("/teach").text
    assert login_as(make_client(), student).get("/my/courses").status_code == 200

    # Seeding twice does not duplicate the demo school.
    again = app.test_cli_runner().invoke(args=["lms", "seed-demo"])
    assert again.exit_code == 0, again.output
    assert make_client().get("/api/v1/courses").json["total"] == catalog["total"]


def test_seed_demo_refuses_a_school_of_its_own_unless_asked(app, create_user, make_client):
    create_user(email="head@our-school.example", role="admin")
    refused = app.test_cli_runner().invoke(args=["lms", "seed-demo"])
    assert refused.exit_code != 0
    assert "--into-existing" in refused.output and "Traceback" not in refused.output
    assert make_client().get("/api/v1/courses").json["total"] == 0  # nothing was added

    added = app.test_cli_runner().invoke(args=["lms", "seed-demo", "--into-existing"])
    assert added.exit_code == 0, added.output
    assert "catalog:" in added.output and "courses" in added.output  # it says what it created
    assert make_client().get("/api/v1/courses").json["total"] > 0
