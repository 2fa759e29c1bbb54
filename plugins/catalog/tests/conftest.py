"""Fixtures of the catalog's tests: a school past its set-up, its people.

Categories, courses and enrolments come from the catalog's pytest plugin
(lms_catalog.testing: create_category, create_course, create_enrolment).
"""

from __future__ import annotations

from collections.abc import Callable
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
def db_session(app: Flask):
    """An app context and its session, for checking what was stored."""
    from lms.extensions import db

    with app.app_context():
        yield db.session
