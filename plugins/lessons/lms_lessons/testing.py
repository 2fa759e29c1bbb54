"""pytest plugin of the lessons plugin: factories for sections, lessons and progress.

Registered through the ``pytest11`` entry point, beside the catalog's
(``create_course``, ``create_enrolment``), which these build on. Each fixture
returns a factory that goes through the lessons services, commits and returns
the new row's id.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask


@pytest.fixture
def create_section(app: Flask) -> Callable[..., int]:
    """Return a factory: create_section(course, title="Getting started") -> section id."""

    def make(course: Any, title: str = "Getting started") -> int:
        from lms.extensions import db
        from lms_lessons import services

        with app.app_context():
            section = services.create_section(course.id, title)
            db.session.commit()
            return section.id

    return make


@pytest.fixture
def create_lesson(app: Flask) -> Callable[..., int]:
    """Return a factory: create_lesson(section_id, title, type="text", ...) -> lesson id.

    A "text" lesson gets `markdown` as its content; `file` (bytes) is stored as
    the lesson's file under `filename`, as an upload would be.
    """

    def make(
        section_id: int,
        title: str = "A lesson",
        *,
        type: str = "text",
        markdown: str = "Some **text**.",
        status: str = "published",
        free_preview: bool = False,
        duration_seconds: int = 300,
        file: bytes | None = None,
        filename: str = "notes.pdf",
    ) -> int:
        from lms.extensions import db
        from lms_lessons import services
        from lms_lessons.builtin_types import attach_file

        with app.app_context():
            section = services.get_section(section_id)
            lesson = services.create_lesson(
                section,
                {
                    "type": type,
                    "title": title,
                    "free_preview": free_preview,
                    "duration_seconds": duration_seconds,
                    "content": {"markdown": markdown} if type == "text" else {},
                },
            )
            if file is not None:
                attach_file(lesson, io.BytesIO(file), filename)
            services.update_lesson(lesson, {"status": status})
            db.session.commit()
            return lesson.id

    return make


@pytest.fixture
def create_progress(app: Flask) -> Callable[..., None]:
    """Return a factory: create_progress(user, lesson_id, completed=True, position=..., ...).

    Records the student's progress as the player would, and, when the lesson
    is completed, the course progress (certificate at 100%) as well.
    """

    def make(
        user: Any,
        lesson_id: int,
        *,
        completed: bool = True,
        position: int | None = None,
        watched_seconds: int | None = None,
    ) -> None:
        from lms.extensions import db
        from lms_lessons import progress, services

        with app.app_context():
            lesson = services.get_lesson(lesson_id)
            progress.record(
                user.id,
                lesson,
                position=position,
                watched_seconds=watched_seconds,
                complete=completed,
            )
            if completed:
                progress.update_course_progress(user.id, lesson.course_id, lesson.id)
            db.session.commit()

    return make
