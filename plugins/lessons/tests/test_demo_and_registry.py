"""Demo data, the per-app lesson-type registry, and the plugin's boundaries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.extensions import db

PACKAGE = Path(__file__).resolve().parents[1] / "lms_lessons"


def test_seed_demo_fills_courses_with_lessons_and_progress(app, school):
    result = app.test_cli_runner().invoke(args=["lms", "seed-demo", "--into-existing"])
    assert result.exit_code == 0, result.output
    assert "lessons:" in result.output
    with app.app_context():
        from lms_catalog import Course, Enrollment
        from lms_lessons.models import Lesson, LessonProgress, Section

        courses = db.session.scalars(select(Course).where(Course.deleted_at.is_(None))).all()
        assert len(courses) >= 12
        for course in courses:
            sections = db.session.scalar(select(func.count()).where(Section.course_id == course.id))
            assert 2 <= sections <= 4, course.title
        files = db.session.scalars(select(Lesson).where(Lesson.type == "file")).all()
        assert files and all(f.content["key"].endswith(".pdf") for f in files)
        assert db.session.scalar(select(func.count()).where(Lesson.free_preview.is_(True)))
        assert db.session.scalar(select(func.count()).select_from(LessonProgress)) > 0
        assert db.session.scalar(select(func.count()).where(Enrollment.progress > 0)) > 0
        from lms.storage import get_storage

        with get_storage().open(files[0].content["key"]) as fh:
            assert fh.read(5) == b"%PDF-"


def test_registry_is_per_app(app, test_config):
    from lms_lessons import LessonType, get_lesson_type, lesson_types, register_lesson_type

    from lms.app import create_app

    other = create_app(dict(test_config))
    register_lesson_type(
        other, LessonType(name="only_here", label="Only here", player_template="x.html")
    )
    assert get_lesson_type("only_here", other) is not None
    assert get_lesson_type("only_here", app) is None
    assert {t.name for t in lesson_types(app)} >= {"text", "file"}
    with pytest.raises(ValueError, match="registered twice"):
        register_lesson_type(
            other, LessonType(name="only_here", label="Again", player_template="x.html")
        )
    with pytest.raises(ValueError):
        LessonType(name="bad name!", label="Bad", player_template="x.html")
    with pytest.raises(ValueError):
        LessonType(name="ok", label="Bad", player_template="x.html", completion="sometimes")


def test_only_the_catalogs_public_api_is_imported():
    pattern = re.compile(r"^\s*(from|import)\s+lms_catalog\.", re.MULTILINE)
    offenders = [
        str(path.relative_to(PACKAGE.parent))
        for path in [*PACKAGE.rglob("*.py"), *PACKAGE.parent.joinpath("tests").rglob("*.py")]
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_every_table_is_prefixed(app):
    with app.app_context():
        from lms_lessons import models

        tables = {m.__table__.name for m in (models.Section, models.Lesson, models.LessonProgress)}
    assert all(name.startswith("lessons_") for name in tables)
