"""The catalog page and a course page run a constant number of SQL statements (at most 9)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert

# With a cold per-process cache a page also reads the settings it shows (the
# site currency, one query per namespace) and, for a signed-in visitor, the
# permission grants that decide the menus (one query); then they are cached.
MAX_STATEMENTS = 10


def seed_courses(app: Any, count: int, instructors: list[Any], students: list[Any]) -> None:
    """Bulk-insert `count` published courses, each with an instructor and some enrolments."""
    from lms_catalog import Category, Course, CourseInstructor, Enrollment

    from lms.extensions import db
    from lms.models import utcnow

    with app.app_context():
        start = db.session.query(Course).count()
        category = db.session.query(Category).first()
        if category is None:
            category = Category(name="General", slug="general")
            db.session.add(category)
            db.session.flush()
        now = utcnow()
        rows = [
            {
                "slug": f"course-{n}",
                "title": f"Course number {n}",
                "subtitle": "A course",
                "description_md": f"Description of course {n} with **Markdown**.",
                "outcomes_md": "- One\n- Two",
                "category_id": category.id,
                "level": ("beginner", "intermediate", "advanced")[n % 3],
                "language": "en",
                "price_cents": 0 if n % 4 else 1500,
                "status": "published",
                "is_featured": n % 50 == 0,
                "created_at": now,
                "updated_at": now,
                "published_at": now - timedelta(minutes=n),
                "enrollment_count": len(students),
                "rating_average": 0.0,
                "rating_count": 0,
                "owner_id": instructors[n % len(instructors)].id,
            }
            for n in range(start, start + count)
        ]
        db.session.execute(insert(Course), rows)
        ids = {c.slug: c.id for c in db.session.query(Course.slug, Course.id)}
        db.session.execute(
            insert(CourseInstructor),
            [{"course_id": ids[r["slug"]], "user_id": r["owner_id"], "position": 0} for r in rows],
        )
        db.session.execute(
            insert(Enrollment),
            [
                {
                    "user_id": s.id,
                    "course_id": ids[r["slug"]],
                    "enrolled_at": now,
                    "progress": 10,
                    "status": "active",
                }
                for r in rows
                for s in students
            ],
        )
        db.session.commit()


def statements_for(app: Any, client: Any, url: str) -> list[str]:
    from lms.cache import clear
    from lms.extensions import db

    # Count the worst case: a process that has cached nothing yet.
    clear(app)
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, (url, response.status_code)
    return seen


@pytest.mark.slow
def test_catalog_and_course_pages_run_a_constant_number_of_statements(
    app, make_client, login_as, create_user
):
    instructors = [create_user(role="instructor", name=f"Teacher {i}") for i in range(3)]
    students = [create_user(name=f"Learner {i}") for i in range(3)]
    guest = make_client()
    learner = login_as(make_client(), students[0])
    pages = {
        "catalog (guest)": (guest, "/courses"),
        "catalog page 3, sorted (guest)": (guest, "/courses?sort=popular&level=beginner&page=1"),
        "search (guest)": (guest, "/courses?q=course+number"),
        "course (guest)": (guest, "/courses/course-5"),
        "catalog (student)": (learner, "/courses"),
        "course (enrolled student)": (learner, "/courses/course-5"),
        "my courses (student)": (learner, "/my/courses"),
        "home (guest)": (guest, "/"),
    }
    seed_courses(app, 10, instructors, students)
    few = {name: statements_for(app, c, url) for name, (c, url) in pages.items()}
    seed_courses(app, 990, instructors, students)
    many = {name: statements_for(app, c, url) for name, (c, url) in pages.items()}
    for name in pages:
        assert len(many[name]) == len(few[name]), (name, many[name])
        assert len(many[name]) <= MAX_STATEMENTS, (name, many[name])
