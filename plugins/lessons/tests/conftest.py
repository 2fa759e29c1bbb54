"""Fixtures of the lessons plugin's tests: a school's people, files to upload, signed-in clients.

Courses and enrolments come from the catalog's pytest plugin (lms_catalog.testing),
sections, lessons and progress from this plugin's (lms_lessons.testing).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class School:
    admin: Any
    instructor: Any
    other_instructor: Any
    student: Any
    other_student: Any


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
