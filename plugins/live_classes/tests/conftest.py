"""Fixtures of the live-classes tests: a school's people, a course with students, clients.

Courses and enrolments come from the catalog's pytest plugin, lessons from the
lessons' and classes from this plugin's (lms_live_classes.testing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask


@dataclass
class School:
    admin: Any
    instructor: Any
    assistant: Any
    other_instructor: Any
    student: Any
    other_student: Any
    outsider: Any
    course: Any


@pytest.fixture(autouse=True)
def _no_video_provider(app: Flask) -> Iterator[None]:
    """No internet here: rooms are chat-only (provider "none")."""
    from lms.extensions import db
    from lms.settings import set_setting

    with app.app_context():
        set_setting("live_classes", "room_provider", "none")
        db.session.commit()
    yield


@pytest.fixture
def school(
    app: Flask,
    create_user: Callable[..., Any],
    create_course: Callable[..., Any],
    create_enrolment: Callable[..., Any],
) -> School:
    """An instructor's published course with two enrolled students, an assistant,
    another instructor and a student of no course."""
    from lms_catalog import add_staff, get_course

    from lms.extensions import db
    from lms.models import User

    admin = create_user(role="admin", name="Ada Admin")
    instructor = create_user(role="instructor", name="Ines Instructor")
    assistant = create_user(role="instructor", name="Tara Assistant")
    other = create_user(role="instructor", name="Otto Other")
    student = create_user(role="student", name="Sam Student")
    other_student = create_user(role="student", name="Nia Newcomer")
    outsider = create_user(role="student", name="Oscar Outsider")
    course = create_course(instructor, title="Physics")
    with app.app_context():
        row = get_course(course.id)
        add_staff(
            row,
            db.session.get(User, instructor.id),
            db.session.get(User, assistant.id),
            "assistant",
        )
        db.session.commit()
    create_enrolment(student, course)
    create_enrolment(other_student, course)
    return School(admin, instructor, assistant, other, student, other_student, outsider, course)


@pytest.fixture
def signed_in(make_client: Callable[[], Any], login_as: Callable[..., Any]) -> Callable[[Any], Any]:
    """signed_in(user) -> a test client with that user signed in."""

    def make(user: Any) -> Any:
        return login_as(make_client(), user)

    return make
