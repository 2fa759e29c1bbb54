"""pytest plugin of the catalog: factories for categories, courses and enrolments.

Registered through the ``pytest11`` entry point, so every plugin's tests can
ask for ``create_course`` and friends (next to the core's ``create_user``).
Each fixture returns a factory; the factories go through the catalog's services
and commit, and return small references (ids, slugs), not live model objects.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask


@dataclass(frozen=True)
class CategoryRef:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class CourseRef:
    id: int
    slug: str
    title: str


@pytest.fixture
def create_category(app: Flask) -> Callable[[str], CategoryRef]:
    """Return a factory: create_category("Science") -> CategoryRef."""

    def make(name: str) -> CategoryRef:
        from lms.extensions import db
        from lms_catalog.services import create_category as create

        with app.app_context():
            category = create(name)
            db.session.commit()
            return CategoryRef(category.id, category.slug, category.name)

    return make


@pytest.fixture
def create_course(app: Flask) -> Callable[..., CourseRef]:
    """Return a factory: create_course(owner, title=..., status="published", **fields) -> CourseRef.

    `owner` is an instructor (or admin); the course goes through the review
    workflow up to `status` ("draft", "pending" or "published"). `fields` are
    the course's editable fields (description_md, category_id, level,
    price_cents, language, subtitle ...).
    """
    counter = itertools.count(1)

    def make(
        owner: Any, title: str | None = None, status: str = "published", **fields: Any
    ) -> CourseRef:
        from lms.extensions import db
        from lms.models import User
        from lms_catalog import services

        title = title or f"Course {next(counter)}"
        fields.setdefault("description_md", f"All about {title.lower()}.")
        with app.app_context():
            user = db.session.get(User, owner.id)
            course = services.create_course(user, {"title": title, **fields})
            if status in ("pending", "published"):
                services.submit_for_review(course, user)
            if status == "published":
                services.approve(course, user)
            db.session.commit()
            return CourseRef(course.id, course.slug, course.title)

    return make


@pytest.fixture
def create_enrolment(app: Flask) -> Callable[[Any, Any], int]:
    """Return a factory: create_enrolment(user, course) -> the enrolment's id.

    Enrols as a student would (free courses; the catalog's rules apply).
    """

    def make(user: Any, course: Any) -> int:
        from lms.extensions import db
        from lms.models import User
        from lms_catalog import enroll, get_course

        with app.app_context():
            enrollment, _created = enroll(db.session.get(User, user.id), get_course(course.id))
            db.session.commit()
            return enrollment.id

    return make
