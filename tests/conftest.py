"""Fixtures of the cross-plugin tests: a school with people, a course, its lessons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from lms.testing.clients import FormClient


def api_login(client: FormClient, email: str) -> str:
    """Sign in through the API as a client program would; return the bearer token."""
    from lms.testing.plugin import DEFAULT_PASSWORD

    response = client.post(
        "/api/v1/auth/login", json={"login": email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["token"]


@pytest.fixture
def world(app: Flask, create_user: Callable[..., Any], make_client: Callable[[], FormClient]):
    """A school with a published course, a section, a lesson, an enrolment, an application.

    ``values`` name them by path parameter; ``spare`` names a second course, section
    and lesson for calls that delete what they name.
    """
    from lms.extensions import db
    from lms.settings import set_setting

    with app.test_request_context():
        set_setting("core", "setup_done", True)
        db.session.commit()
    people = {
        role: create_user(role=role, email=f"{role}@example.org")
        for role in ("student", "instructor", "admin")
    }
    api = make_client()
    tokens = {role: api_login(api, user.email) for role, user in people.items()}

    def call(role: str, method: str, url: str, body: Any = None) -> Any:
        response = api.api(method, url, json=body, token=tokens[role])
        assert response.status_code < 300, (url, response.get_data(as_text=True))
        return response.get_json() if response.data else None

    course = call(
        "instructor",
        "POST",
        "/api/v1/courses",
        {"title": "Fuzzed course", "description_md": "About it."},
    )
    slug = course["slug"]
    section = call("instructor", "POST", f"/api/v1/courses/{slug}/sections", {"title": "One"})
    lesson = call(
        "instructor",
        "POST",
        f"/api/v1/sections/{section['id']}/lessons",
        {"type": "text", "title": "Read me", "status": "published", "content": {"markdown": "Hi"}},
    )
    call("instructor", "POST", f"/api/v1/courses/{slug}/submit")
    call("admin", "POST", f"/api/v1/admin/courses/{slug}/approve")
    call("student", "POST", f"/api/v1/courses/{slug}/enroll")
    call("student", "POST", f"/api/v1/lessons/{lesson['id']}/complete")
    application = call(
        "student", "POST", "/api/v1/instructor-applications", {"bio": "I teach chess."}
    )
    certificates = call("student", "GET", "/api/v1/me/certificates")["items"]
    # A second course of the instructor's, for the calls that delete things.
    spare = call("instructor", "POST", "/api/v1/courses", {"title": "Spare course"})
    spare_section = call(
        "instructor", "POST", f"/api/v1/courses/{spare['slug']}/sections", {"title": "Spare"}
    )
    spare_lesson = call(
        "instructor",
        "POST",
        f"/api/v1/sections/{spare_section['id']}/lessons",
        {"type": "text", "title": "Spare", "content": {"markdown": "Spare"}},
    )
    return {
        "people": people,
        "login": api_login,
        "values": {
            "slug": slug,
            "section_id": section["id"],
            "lesson_id": lesson["id"],
            "user_id": people["student"].id,
            "application_id": application["id"],
            "code": certificates[0]["code"] if certificates else "NOPE",
        },
        "spare": {
            "slug": spare["slug"],
            "section_id": spare_section["id"],
            "lesson_id": spare_lesson["id"],
        },
    }
