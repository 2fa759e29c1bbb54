"""Fixtures of the catalog's tests: a school past its set-up, people, courses."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask


@pytest.fixture(autouse=True)
def school(app: Flask) -> None:
    """A school whose set-up is done (otherwise every page redirects to /setup)."""
    from lms.extensions import db
    from lms.settings import set_setting

    with app.test_request_context():
        set_setting("core", "setup_done", True)
        db.session.commit()


@pytest.fixture
def admin(create_user: Callable[..., Any]) -> Any:
    return create_user(role="admin", name="Ada Admin")


@pytest.fixture
def instructor(create_user: Callable[..., Any]) -> Any:
    return create_user(role="instructor", name="Ines Instructor")


@pytest.fixture
def student(create_user: Callable[..., Any]) -> Any:
    return create_user(role="student", name="Stu Student")


@pytest.fixture
def make_category(app: Flask) -> Callable[[str], SimpleNamespace]:
    def make(name: str) -> SimpleNamespace:
        from lms_catalog.services import create_category

        from lms.extensions import db

        with app.app_context():
            category = create_category(name)
            db.session.commit()
            return SimpleNamespace(id=category.id, slug=category.slug, name=category.name)

    return make


@pytest.fixture
def make_course(app: Flask) -> Callable[..., SimpleNamespace]:
    """Return a factory: make_course(owner, title=..., status="published", **fields)."""

    def make(owner: Any, title: str = "Intro to Testing", status: str = "published", **fields: Any):
        from lms_catalog import services

        from lms.extensions import db
        from lms.models import User

        fields.setdefault("description_md", f"All about {title.lower()}.")
        with app.app_context():
            user = db.session.get(User, owner.id)
            course = services.create_course(user, {"title": title, **fields})
            if status in ("pending", "published"):
                services.submit_for_review(course, user)
            if status == "published":
                services.approve(course, user)
            db.session.commit()
            return SimpleNamespace(id=course.id, slug=course.slug, title=course.title)

    return make


@pytest.fixture
def db_session(app: Flask):
    """An app context and its session, for checking what was stored."""
    from lms.extensions import db

    with app.app_context():
        yield db.session
