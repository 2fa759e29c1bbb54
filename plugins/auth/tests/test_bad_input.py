"""Acceptance 5: bad input on every form and endpoint gets a clear message and changes nothing.

Each case starts from the same accounts (a student with an API token, an admin
with one, a pending instructor application, a live reset link), sends one bad
request, and compares a snapshot of everything the plugin and the core keep
about accounts before and after. Nothing may answer 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from lms_auth import services
from lms_auth.models import (
    AuthApiToken,
    AuthEmailToken,
    AuthIdentity,
    AuthInstructorApplication,
    EmailTokenPurpose,
)

from lms.extensions import db
from lms.models import Notification, Task, User, UserSession
from lms.testing.plugin import DEFAULT_PASSWORD

GOOD = "violet-lantern-harbour-42"
OVERLONG = "a" * 5000
NUL = "ab\x00cd"
WRONG_TYPES = [None, 123, 4.5, True, [], {}, ["x"]]


@dataclass
class World:
    student_token: str
    admin_token: str
    application_id: int
    reset_token: str
    ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def world(app, create_user) -> World:
    student = create_user(email="pat@example.org", username="pat", name="Pat")
    admin = create_user(email="head@example.org", username="head", role="admin")
    create_user(email="other@example.org", username="other")
    with app.app_context():
        student = db.session.get(User, student.id)
        student_token, _ = services.issue_api_token(student, "test")
        admin_token, _ = services.issue_api_token(db.session.get(User, admin.id), "test")
        application = AuthInstructorApplication(user_id=student.id, bio="I teach maths.")
        db.session.add(application)
        db.session.flush()
        with app.test_request_context():
            reset_token = services.issue_email_token(student, EmailTokenPurpose.RESET)
        db.session.commit()
        return World(student_token, admin_token, application.id, reset_token)


def snapshot(app) -> dict[str, Any]:
    with app.app_context():
        db.session.expire_all()

        def rows(model, *columns):
            return [
                tuple(getattr(r, c) for c in columns)
                for r in db.session.scalars(db.select(model).order_by(model.id))
            ]

        return {
            "users": rows(
                User,
                "id", "email", "username", "name", "bio", "country", "links", "role",
                "password_hash", "is_deactivated", "email_verified_at", "avatar_key",
            ),
            "sessions": rows(UserSession, "id", "user_id"),
            "tokens": rows(AuthApiToken, "id", "name", "revoked_at"),
            "email_tokens": rows(AuthEmailToken, "id", "used_at"),
            "identities": rows(AuthIdentity, "id"),
            "applications": rows(AuthInstructorApplication, "id", "status", "bio", "links", "note"),
            "tasks": rows(Task, "id"),
            "notifications": rows(Notification, "id"),
        }  # fmt: skip


# --- the JSON API -------------------------------------------------------------------------------

# (method, path, who, a valid body, fields whose None/"" are valid values)
API = {
    "register": ("POST", "/api/v1/auth/register", None,
                 {"email": "new@example.org", "username": "newbie", "password": GOOD, "name": "N"},
                 {"name"}),
    "login": ("POST", "/api/v1/auth/login", None, {"login": "pat", "password": "x" * 12}, set()),
    "forgot": ("POST", "/api/v1/auth/password/forgot", None, {"email": "pat@example.org"}, set()),
    "reset": ("POST", "/api/v1/auth/password/reset", None, {"token": "RESET", "password": GOOD},
              set()),
    "verify": ("POST", "/api/v1/auth/verify-email", None, {"token": "nope"}, set()),
    "change": ("POST", "/api/v1/auth/password/change", "student",
               {"current_password": "wrong-password-0", "password": GOOD}, {"current_password"}),
    "patch_me": ("PATCH", "/api/v1/users/me", "student",
                 {"username": "patrick", "name": "P", "bio": "B", "country": "FR",
                  "links": {"website": "https://pat.example"}},
                 {"name", "bio", "country"}),
    "apply": ("POST", "/api/v1/instructor-applications", "other",
              {"bio": "I teach art.", "links": {}}, set()),
    "reject": ("POST", "/api/v1/admin/instructor-applications/APP/reject", "admin",
               {"note": "Not yet."}, set()),
    "approve": ("POST", "/api/v1/admin/instructor-applications/APP/approve", "admin",
                {"note": "Welcome."}, {"note"}),
}  # fmt: skip

# Values that are wrong for some fields only.
FIELD_EXTRAS = {
    "email": ["not-an-email", "a@b", "@example.org", "pat@@example.org", "pat@exa mple.org"],
    "username": ["ab", "has space", "émile", "-dash", "a" * 41, "../../etc"],
    "password": ["short", "1234567890", "qwertyuiop123"],
    "country": ["ZZ", "France", "fr1"],
    "links": ["https://x", 5, {"website": "javascript:alert(1)"}, {"evil": "https://x.org"},
              {"website": "https://" + "a" * 400}, {"github": "ftp://x.org"}],
    "token": ["nope", "x" * 300],
    "note": [" "],
    "bio": [" "],
}  # fmt: skip


def api_variants() -> list[tuple[str, str, Any]]:
    variants = []
    for case, (_m, _p, _who, body, blank_ok) in API.items():
        if case != "approve":  # approving needs no body: its one field is optional
            variants.append((case, "no-body", None))
        variants.append((case, "not-json", "not json{"))
        variants.append((case, "json-array", [body]))
        variants.append((case, "json-string", "hello"))
        variants.append((case, "unknown-field", {**body, "role": "admin"}))
        for name in body:
            required = name not in {"name", "current_password", "links", "note"}
            missing = {k: v for k, v in body.items() if k != name}
            if required and case != "patch_me":
                variants.append((case, f"{name}-missing", missing))
            bad_values = [*WRONG_TYPES, OVERLONG, NUL, *FIELD_EXTRAS.get(name, [])]
            if name not in blank_ok:
                bad_values.append("")
            for n, value in enumerate(bad_values):
                blank = value is None or (isinstance(value, str) and not value.strip())
                if (blank and name in blank_ok) or (name == "links" and value == {}):
                    continue
                variants.append((case, f"{name}-{n}-{str(value)[:15]!r}", {**body, name: value}))
    return variants


def send_api(client, world: World, case: str, payload: Any):
    method, path, who, _body, _ok = API[case]
    path = path.replace("APP", str(world.application_id))
    if isinstance(payload, dict) and payload.get("token") == "RESET":
        payload = {**payload, "token": world.reset_token}
    headers = {}
    if who:
        token = {"student": world.student_token, "admin": world.admin_token}.get(who)
        if who == "other":
            r = client.post(
                "/api/v1/auth/login", json={"login": "other", "password": DEFAULT_PASSWORD}
            )
            token = r.json["token"]
        headers["Authorization"] = f"Bearer {token}"
    if payload is None:
        return client.open(path, method=method, headers=headers)
    if isinstance(payload, str) and payload.startswith("not json"):
        return client.open(
            path, method=method, data=payload, content_type="application/json", headers=headers
        )
    return client.open(path, method=method, json=payload, headers=headers)


@pytest.mark.parametrize(("case", "label", "payload"), api_variants())
def test_bad_api_input_is_refused_cleanly(app, client, world, case, label, payload):
    before = snapshot(app)
    r = send_api(client, world, case, payload)
    assert r.status_code in (400, 401, 403, 404, 409, 415, 422), (r.status_code, r.data)
    error = r.get_json()["error"]
    assert error["code"] and error["message"], error
    after = snapshot(app)
    if API[case][2] == "other":
        # send_api signed "other" in to get a token; that token is not the bad input's doing.
        after["tokens"] = after["tokens"][: len(before["tokens"])]
    assert after == before


def test_valid_api_bodies_of_the_matrix_are_accepted(app, client, world):
    """The matrix's valid bodies really work, so every refusal above is the bad value's doing."""
    for case in ("register", "forgot", "patch_me", "apply", "approve"):
        _m, _p, _who, body, _ok = API[case]
        r = send_api(client, world, case, body)
        assert r.status_code < 300, (case, r.json)


def test_duplicates_are_refused_with_409(app, client, world):
    before = snapshot(app)
    r = send_api(
        client,
        world,
        "register",
        {"email": "pat@example.org", "username": "fresh", "password": GOOD},
    )
    assert r.status_code == 409 and r.json["error"]["fields"]["email"]
    r = send_api(client, world, "patch_me", {"username": "head"})
    assert r.status_code == 409 and r.json["error"]["code"] == "username_taken"
    headers = {"Authorization": f"Bearer {world.student_token}"}
    r = client.post("/api/v1/instructor-applications", json={"bio": "Again"}, headers=headers)
    assert r.status_code == 409 and r.json["error"]["code"] == "already_pending"
    assert snapshot(app) == before
    assert send_api(client, world, "approve", {}).status_code == 200
    after_first = snapshot(app)
    r = send_api(client, world, "reject", {"note": "Changed my mind"})
    assert r.status_code == 409 and r.json["error"]["code"] == "already_decided"
    assert snapshot(app) == after_first


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/users/0",
        "/api/v1/users/99999999999999999999",
        "/api/v1/users/-1",
        "/api/v1/users/abc",
        "/api/v1/admin/instructor-applications/99999999999999999999/approve",
        "/api/v1/admin/instructor-applications?status=nope",
        "/api/v1/admin/instructor-applications?page=0",
        "/api/v1/admin/instructor-applications?per_page=100000",
    ],
)
def test_bad_ids_and_queries(client, world, path):
    headers = {"Authorization": f"Bearer {world.admin_token}"}
    method = "POST" if path.endswith("approve") else "GET"
    r = client.open(path, method=method, headers=headers, json={} if method == "POST" else None)
    assert r.status_code in (404, 422), r.data
    assert r.get_json()["error"]["message"]


def test_bad_tokens_and_headers(client, world):
    for header in (
        "Bearer ",
        "Bearer x",
        "Bearer " + "x" * 5000,
        "Basic abc",
        "Bearer \u00e9t\u00e9",
    ):
        r = client.get(
            "/api/v1/auth/me", headers={"Authorization": header.encode().decode("latin-1")}
        )
        assert r.status_code == 401, (header[:20], r.status_code)


def test_student_cannot_use_admin_endpoints(client, world):
    headers = {"Authorization": f"Bearer {world.student_token}"}
    r = client.get("/api/v1/admin/instructor-applications", headers=headers)
    assert r.status_code == 403
    r = client.post(
        f"/api/v1/admin/instructor-applications/{world.application_id}/approve",
        json={},
        headers=headers,
    )
    assert r.status_code == 403
    assert client.get("/api/v1/admin/instructor-applications").status_code == 401


# --- the pages ------------------------------------------------------------------------------------

# (path, who, valid form data, page holding the form, fields where "" is valid)
FORMS = {
    "register": ("/auth/register", None,
                 {"email": "new@example.org", "username": "newbie", "name": "N",
                  "password": GOOD, "confirm": GOOD}, None, {"name"}),
    "login": ("/auth/login", None, {"login": "pat", "password": "x" * 12}, None, set()),
    "forgot": ("/auth/password/forgot", None, {"email": "pat@example.org"}, None, set()),
    "reset": ("/auth/password/reset/RESET", None, {"password": GOOD, "confirm": GOOD}, None,
              set()),
    "password": ("/auth/password", "pat",
                 {"current_password": "wrong-password-0", "password": GOOD, "confirm": GOOD},
                 None, {"current_password"}),
    "profile": ("/auth/profile", "pat",
                {"username": "patrick", "name": "P", "bio": "B", "country": "FR",
                 "link_website": "https://pat.example"}, None,
                {"name", "bio", "country", "link_website"}),
    "token": ("/auth/tokens", "pat", {"name": "script"}, "/auth/profile", set()),
    "deactivate": ("/auth/deactivate", "pat", {"password": "wrong-password-0", "confirm": "y"},
                   None, set()),
    "apply": ("/auth/instructor", "other", {"bio": "I teach art.", "link_website": ""}, None,
              {"link_website"}),
}  # fmt: skip

FORM_EXTRAS = {
    **FIELD_EXTRAS,
    "country": ["ZZ", "France"],
    "link_website": ["javascript:alert(1)", "https://" + "a" * 400, "not a url"],
    "confirm": ["something-else-entirely"],
}


def form_variants() -> list[tuple[str, str, Any]]:
    variants = []
    for case, (_path, _who, data, _page, blank_ok) in FORMS.items():
        variants.append((case, "empty", {}))
        for name in data:
            if name not in blank_ok:
                variants.append(
                    (case, f"{name}-missing", {k: v for k, v in data.items() if k != name})
                )
                variants.append((case, f"{name}-blank", {**data, name: ""}))
                variants.append((case, f"{name}-spaces", {**data, name: "   "}))
            for n, value in enumerate([OVERLONG, NUL, *FORM_EXTRAS.get(name, [])]):
                if isinstance(value, str) and (value.strip() or name not in blank_ok):
                    variants.append((case, f"{name}-{n}-{value[:15]!r}", {**data, name: value}))
    return variants


@pytest.mark.parametrize(("case", "label", "data"), form_variants())
def test_bad_form_input_is_refused_cleanly(
    app, client, make_client, world, login_as, case, label, data
):
    path, who, _valid, page, _ok = FORMS[case]
    path = path.replace("RESET", world.reset_token)
    if who:
        with app.app_context():
            user = db.session.scalar(db.select(User).where(User.username == who))
            db.session.expunge(user)
        login_as(client, user)
    before = snapshot(app)
    r = client.submit(path, data, page=page or path)
    html = r.get_data(as_text=True)
    if any("\x00" in str(value) for value in data.values()):
        # The core refuses a NUL character before any form sees it (lms.inputs).
        assert r.status_code == 400 and "NUL character" in html, label
    else:
        assert r.status_code in (200, 401, 403, 422), (r.status_code, label)
        assert 'class="errors"' in html or 'role="alert"' in html, label
    assert snapshot(app) == before


def test_forms_without_csrf_token_are_refused(app, client, world):
    before = snapshot(app)
    for path in ("/auth/register", "/auth/login", "/auth/password/forgot"):
        r = client.post(path, data={"email": "x@example.org", "login": "pat", "password": GOOD})
        assert r.status_code == 400 and "security token" in r.get_data(as_text=True)
    assert snapshot(app) == before


def test_unicode_is_kept_where_it_belongs(app, client, world):
    headers = {"Authorization": f"Bearer {world.student_token}"}
    name = "Zoë Ñúñez محمد 😀"
    bio = "שלום\nこんにちは\t👩‍🏫"
    r = client.patch("/api/v1/users/me", json={"name": name, "bio": bio}, headers=headers)
    assert r.status_code == 200, r.json
    assert client.get("/api/v1/users/me", headers=headers).json["name"] == name
    assert client.get("/api/v1/users/me", headers=headers).json["bio"] == bio
    # Internationalised addresses are fine; confusable usernames are not.
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "zoë@exämple.org", "username": "zoe", "password": GOOD},
    )
    assert r.status_code == 201, r.json
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "zo@example.org", "username": "zоe", "password": GOOD},  # Cyrillic о
    )
    assert r.status_code == 422 and "username" in r.json["error"]["fields"]
    # Right-to-left override and other invisible controls are refused in names.
    r = client.patch("/api/v1/users/me", json={"name": "evil\u202egnp.exe"}, headers=headers)
    assert r.status_code == 422 and "name" in r.json["error"]["fields"]
