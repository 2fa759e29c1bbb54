"""Factories for the lessons plugin's tests: a school with people, courses, sections, lessons."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from lms.extensions import db


@dataclass
class School:
    admin: Any
    instructor: Any
    other_instructor: Any
    student: Any
    other_student: Any


@dataclass
class CourseRef:
    id: int
    slug: str


@pytest.fixture
def school(create_user: Callable[..., Any]) -> School:
    """The people most tests need; an admin exists, so pages no longer redirect to set-up."""
    return School(
        admin=create_user(role="admin", name="Ada Admin"),
        instructor=create_user(role="instructor", name="Ines Instructor"),
        other_instructor=create_user(role="instructor", name="Otto Other"),
        student=create_user(role="student", name="Sam Student"),
        other_student=create_user(role="student", name="Nia Newcomer"),
    )


@pytest.fixture
def make_course(app: Flask) -> Callable[..., CourseRef]:
    """make_course(owner, status="published", title=...) -> CourseRef (free by default)."""
    from lms_catalog import Course, CourseInstructor

    counter = iter(range(1, 10_000))

    def make(
        owner: Any, status: str = "published", title: str | None = None, **fields: Any
    ) -> CourseRef:
        n = next(counter)
        with app.app_context():
            course = Course(
                slug=f"course-{n}",
                title=title or f"Course {n}",
                description_md="A course about photosynthesis and plants.",
                status=status,
                owner_id=owner.id,
                **fields,
            )
            course.instructor_links.append(CourseInstructor(user_id=owner.id, position=0))
            db.session.add(course)
            db.session.commit()
            return CourseRef(course.id, course.slug)

    return make


@pytest.fixture
def make_section(app: Flask) -> Callable[..., int]:
    from lms_lessons import services

    def make(course: CourseRef, title: str = "Getting started") -> int:
        with app.app_context():
            section = services.create_section(course.id, title)
            db.session.commit()
            return section.id

    return make


@pytest.fixture
def make_lesson(app: Flask) -> Callable[..., int]:
    """make_lesson(section_id, title, type="text", markdown=..., status="published", ...) -> id."""
    from lms_lessons import services

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
        with app.app_context():
            section = services.get_section(section_id)
            content = {"markdown": markdown} if type == "text" else {}
            lesson = services.create_lesson(
                section,
                {
                    "type": type,
                    "title": title,
                    "free_preview": free_preview,
                    "duration_seconds": duration_seconds,
                    "content": content,
                },
            )
            if file is not None:
                from lms_lessons.builtin_types import attach_file

                attach_file(lesson, io.BytesIO(file), filename)
            services.update_lesson(lesson, {"status": status})
            db.session.commit()
            return lesson.id

    return make


@pytest.fixture
def enrol(app: Flask) -> Callable[[Any, CourseRef], None]:
    from lms_catalog import enroll, get_course

    from lms.models import User

    def do(user: Any, course: CourseRef) -> None:
        with app.app_context():
            enroll(db.session.get(User, user.id), get_course(course.id))
            db.session.commit()

    return do


def pdf_bytes(text: str = "Hello from a PDF") -> bytes:
    """A small, real PDF made with fpdf2."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(0, 10, text)
    return bytes(pdf.output())


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def pdf() -> bytes:
    return pdf_bytes()


@pytest.fixture
def png() -> bytes:
    return png_bytes()


@pytest.fixture
def as_user(make_client: Callable[[], Any], login_as: Callable[..., Any]) -> Callable[[Any], Any]:
    """as_user(user) -> a fresh client signed in as `user` (as_user(None): a guest)."""

    def make(user: Any) -> Any:
        client = make_client()
        return login_as(client, user) if user is not None else client

    return make
