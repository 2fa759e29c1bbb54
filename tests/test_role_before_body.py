"""Who is calling is settled before the body is read: a student gets 403, never a 422.

A 422 would tell a caller without the right what the endpoint expects, and
run validation code for people who may not use it at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from lms.testing.clients import FormClient

BAD_BODY = '{"note": 5, "feedback": [], "reason": {}, "title": 7, "ids": "x", "bio": null}'
BAD_QUERY = "status=nonsense&page=0&per_page=-3"
# Endpoints restricted to a course's staff (not only to a role); students may see the course.
STAFF_ONLY = [
    ("POST", "/api/v1/courses"),
    ("PATCH", "/api/v1/courses/{slug}"),
    ("POST", "/api/v1/courses/{slug}/sections"),
    ("POST", "/api/v1/courses/{slug}/sections/reorder"),
    ("PATCH", "/api/v1/sections/{section_id}"),
    ("POST", "/api/v1/sections/{section_id}/lessons"),
    ("POST", "/api/v1/sections/{section_id}/lessons/reorder"),
    ("PATCH", "/api/v1/lessons/{lesson_id}"),
    ("POST", "/api/v1/lessons/{lesson_id}/file"),
]


def _admin_endpoints(app: Flask) -> list[tuple[str, str]]:
    endpoints = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/admin/"):
            path = rule.rule
            for name in rule.arguments:
                path = path.replace(f"<int:{name}>", "{" + name + "}")
                path = path.replace(f"<{name}>", "{" + name + "}")
            endpoints += [(m, path) for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return endpoints


def _call(client: FormClient, method: str, path: str, token: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.open(
        f"{path}?{BAD_QUERY}", method=method, data=BAD_BODY.encode(), headers=headers
    )


def test_every_admin_endpoint_refuses_a_student_before_reading_the_body(
    app: Flask, world: dict[str, Any], make_client: Callable[[], FormClient]
) -> None:
    endpoints = _admin_endpoints(app)
    assert len(endpoints) >= 8  # catalog moderation and auth applications at least
    client = make_client()
    student = world["login"](client, world["people"]["student"].email)
    admin = world["login"](client, world["people"]["admin"].email)
    for method, path in endpoints:
        url = path.format(**world["values"])
        refused = _call(client, method, url, student)
        assert refused.status_code == 403, (method, url, refused.get_json())
        assert refused.get_json()["error"]["code"] == "forbidden"
        anonymous = _call(client, method, url, None)
        assert anonymous.status_code == 401, (method, url, anonymous.get_json())
        # The same bad input from an admin does reach validation.
        checked = _call(client, method, url, admin)
        assert checked.status_code in (404, 409, 422), (method, url, checked.get_json())


@pytest.mark.parametrize(("method", "path"), STAFF_ONLY, ids=[f"{m} {p}" for m, p in STAFF_ONLY])
def test_course_staff_endpoints_refuse_a_student_before_reading_the_body(
    world: dict[str, Any], make_client: Callable[[], FormClient], method: str, path: str
) -> None:
    client = make_client()
    student = world["login"](client, world["people"]["student"].email)
    url = path.format(**world["values"])
    refused = _call(client, method, url, student)
    assert refused.status_code == 403, refused.get_json()
    assert _call(client, method, url, None).status_code == 401
