"""The OpenAPI document tells the truth: schemathesis calls every operation of a served app.

Examples are generated from /api/v1/openapi.json itself and sent over HTTP to
the app served on a loopback port, as a student and as the course's instructor
(bearer tokens from the API's own sign-in). Every answer must be no 5xx, have
a documented status and content type, and match the documented schema. An
error status must be documented for the operation itself, not only through
the catch-all ``default`` response.

Not checked: that every schema-valid body is accepted (``positive_data_acceptance``).
Rules no JSON schema states refuse such bodies, rightly: an unknown category
id, a wrong current password, an expired token, a common password.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext
from schemathesis.specs.openapi.checks import positive_data_acceptance

from lms.testing.clients import FormClient
from lms.testing.servers import LiveServer

MAX_EXAMPLES = 8
# Per example (two calls); far above what an answer takes, so only a hang fails it.
DEADLINE_MS = 5000
# Operations that end the token they are called with; sign in again after them.
ENDS_TOKEN = ("/auth/logout", "/auth/refresh", "/auth/password/change")
# DELETEs on these paths remove a link to the object, not the object itself.
KEEPS_OBJECT = ("/enroll", "/staff/{user_id}")


@schemathesis.check
def error_status_is_documented(ctx: CheckContext, response: Any, case: Any) -> bool | None:
    """Fail an error status the operation does not list (``default`` alone is not enough)."""
    status = response.status_code
    if status < 400 or response.request.method.upper() != case.operation.method.upper():
        return None  # schemathesis probes undocumented methods on purpose (405 expected)
    documented = {str(code) for code in case.operation.definition.raw.get("responses", {})}
    if str(status) not in documented:
        raise AssertionError(
            f"{case.operation.label} answered {status}, which its responses do not list "
            f"(documented: {sorted(documented)}): {response.text[:200]}"
        )
    return True


def _phase(case: Any) -> str | None:
    meta = getattr(case, "meta", None)
    return str(meta.phase.name) if meta is not None else None


@pytest.fixture
def api_schema(live_server: LiveServer) -> Any:
    return schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def signed_in(
    world: dict[str, Any], make_client: Callable[[], FormClient]
) -> dict[str, dict[str, str]]:
    """Bearer tokens of the student and of the course's instructor, renewed when spent."""
    client = make_client()
    return {
        role: {"email": world["people"][role].email}
        | {"token": world["login"](client, world["people"][role].email)}
        for role in ("student", "instructor")
    }


def test_error_responses_are_documented_in_the_shape_the_api_answers(client: FormClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = spec["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"code", "message", "fields"}
    answered = client.get("/api/v1/lessons/1").get_json()
    assert set(answered) == {"error"} and {"code", "message"} <= set(answered["error"])
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert "401" in responses, (method, path)  # any call may carry a bad token
            if "{" in path:
                assert "404" in responses, (method, path)
            for status, response in responses.items():
                if status == "default" or int(status) >= 400:
                    name = response["$ref"].rsplit("/", 1)[-1]
                    schema = spec["components"]["responses"][name]["content"]["application/json"]
                    assert schema["schema"]["$ref"].endswith("/Error"), (method, path, status)


def test_admin_operations_document_their_refusals(client: FormClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    admin = {p: ops for p, ops in spec["paths"].items() if p.startswith("/api/v1/admin/")}
    assert admin
    for path, operations in admin.items():
        for method, operation in operations.items():
            if method != "parameters":
                assert {"401", "403"} <= set(operation["responses"]), (method, path)


def test_schema_names_are_unique_across_plugins(test_config: dict[str, Any]) -> None:
    """apispec renames a clashing schema ("Course1") and warns; no plugin may clash."""
    from lms.app import create_app

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = create_app(dict(test_config))
        with app.test_request_context():
            names = list(app.extensions["lms_api"].spec.to_dict()["components"]["schemas"])
    clashes = [str(w.message) for w in caught if "Multiple schemas resolved" in str(w.message)]
    assert not clashes
    assert not [n for n in names if n[-1].isdigit()]


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=DEADLINE_MS,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_match_the_openapi_document(
    case: Any,
    live_server: LiveServer,
    world: dict[str, Any],
    signed_in: dict[str, dict[str, str]],
    make_client: Callable[[], FormClient],
) -> None:
    # Real objects in paths, so the generated bodies reach the views; random ids
    # and slugs are the fuzz test's job (tests/test_fuzz_routes.py).
    values = world["values"]
    if case.method.upper() == "DELETE" and not case.operation.path.endswith(KEEPS_OBJECT):
        values = {**values, **world["spare"]}  # what the call deletes is not needed later
    for name in case.path_parameters or {}:
        if name in values:
            case.path_parameters[name] = values[name]
    for role, caller in signed_in.items():
        if role == "student" and _phase(case) == "coverage":
            continue  # the boundary cases once (as the instructor, who gets furthest)
        case.call_and_validate(
            base_url=live_server.url,
            headers={"Authorization": f"Bearer {caller['token']}"},
            additional_checks=[error_status_is_documented],
            excluded_checks=[positive_data_acceptance],
        )
        if case.operation.path.endswith(ENDS_TOKEN):
            caller["token"] = world["login"](make_client(), caller["email"])
