"""The catalog query: ranked search, filters, sorting and pagination (SQLite and PostgreSQL)."""

from __future__ import annotations


def _slugs(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [c["slug"] for c in response.json["items"]]


def test_search_ranks_title_matches_above_description_matches(client, create_user, create_course):
    teacher = create_user(role="instructor", name="Grace Hopper")
    create_course(teacher, "Cooking Basics", description_md="Knife skills, then a volcano cake.")
    create_course(teacher, "Volcanoes of the World", description_md="Lava, ash and plates.")
    create_course(teacher, "Gardening", description_md="Soil and seeds.")
    # Title matches rank above description matches on both databases.
    assert _slugs(client.get("/api/v1/courses?q=volcano")) == [
        "volcanoes-of-the-world",
        "cooking-basics",
    ]
    assert _slugs(client.get("/api/v1/courses?q=volcanoes"))[0] == "volcanoes-of-the-world"
    assert _slugs(client.get("/api/v1/courses?q=seeds")) == ["gardening"]


def test_search_finds_courses_by_instructor_name(client, create_user, create_course):
    create_course(create_user(role="instructor", name="Marie Curie"), "Radioactivity")
    create_course(create_user(role="instructor", name="Isaac Newton"), "Optics")
    assert _slugs(client.get("/api/v1/courses?q=curie")) == ["radioactivity"]


def test_search_needs_every_word_and_ignores_odd_input(client, instructor, create_course):
    create_course(instructor, "Python Basics", description_md="Loops and functions.")
    create_course(instructor, "Python Web", description_md="Flask and templates.")
    assert _slugs(client.get("/api/v1/courses?q=python flask")) == ["python-web"]
    for odd in ("%", "_", "'; drop table users; --", "\\", "ünïcödé", "&&&", '"python'):
        response = client.get("/api/v1/courses", query_string={"q": odd})
        assert response.status_code == 200, odd
    too_long = client.get("/api/v1/courses", query_string={"q": "x" * 201})
    assert too_long.status_code == 422 and "q" in too_long.json["error"]["fields"]


def test_filters_by_category_level_language_and_price(
    client, instructor, create_course, create_category
):
    maths = create_category("Mathematics")
    create_course(instructor, "Algebra", category_id=maths.id, level="beginner")
    create_course(instructor, "Topology", category_id=maths.id, level="advanced", price_cents=900)
    create_course(instructor, "Grammaire", language="fr")
    assert set(_slugs(client.get("/api/v1/courses?category=mathematics"))) == {
        "algebra",
        "topology",
    }
    assert _slugs(client.get("/api/v1/courses?category=mathematics&level=advanced")) == ["topology"]
    assert _slugs(client.get("/api/v1/courses?language=fr")) == ["grammaire"]
    assert _slugs(client.get("/api/v1/courses?price=paid")) == ["topology"]
    assert set(_slugs(client.get("/api/v1/courses?price=free"))) == {"algebra", "grammaire"}
    assert _slugs(client.get("/api/v1/courses?category=nope")) == []
    bad = client.get("/api/v1/courses?level=expert&price=cheap&sort=random")
    assert bad.status_code == 422
    assert {"level", "price", "sort"} <= set(bad.json["error"]["fields"])


def test_sorting_and_pagination(app, client, instructor, create_course):
    for title in ("Banana", "apple", "Cherry"):
        create_course(instructor, title)
    from lms_catalog import Course, set_course_rating

    from lms.extensions import db

    with app.app_context():
        cherry = db.session.query(Course).filter_by(slug="cherry").one()
        cherry.enrollment_count = 5
        set_course_rating(db.session.query(Course).filter_by(slug="banana").one().id, 4.5, 2)
        db.session.commit()
    assert _slugs(client.get("/api/v1/courses?sort=title")) == ["apple", "banana", "cherry"]
    assert _slugs(client.get("/api/v1/courses?sort=newest")) == ["cherry", "apple", "banana"]
    assert _slugs(client.get("/api/v1/courses?sort=popular"))[0] == "cherry"
    assert _slugs(client.get("/api/v1/courses?sort=rating"))[0] == "banana"
    page = client.get("/api/v1/courses?sort=title&per_page=2&page=2").json
    assert (page["total"], page["page"], page["per_page"]) == (3, 2, 2)
    assert [c["slug"] for c in page["items"]] == ["cherry"]
    assert client.get("/api/v1/courses?page=0").status_code == 422
    assert client.get("/api/v1/courses?per_page=1000").status_code == 422
    assert client.get("/api/v1/courses?page=99").json["items"] == []


def test_only_published_courses_are_listed(client, instructor, create_course):
    create_course(instructor, "Live Course")
    create_course(instructor, "Draft Course", status="draft")
    create_course(instructor, "Pending Course", status="pending")
    assert _slugs(client.get("/api/v1/courses")) == ["live-course"]
