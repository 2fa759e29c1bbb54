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

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext
from schemathesis.specs.openapi.checks import positive_data_acceptance

from lms.testing.clients import FormClient
from lms.testing.servers import LiveServer

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 8
# Per example (two calls); far above what an answer takes, so only a hang fails it.
DEADLINE_MS = 5000
# Operations that end the token they are called with; sign in again after them.
ENDS_TOKEN = ("/auth/logout", "/auth/refresh", "/auth/password/change")


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
    for name in case.path_parameters or {}:
        if name in world["values"]:
            case.path_parameters[name] = world["values"][name]
    for caller in signed_in.values():
        case.call_and_validate(
            base_url=live_server.url,
            headers={"Authorization": f"Bearer {caller['token']}"},
            additional_checks=[error_status_is_documented],
            excluded_checks=[positive_data_acceptance],
        )
        if case.operation.path.endswith(ENDS_TOKEN):
            caller["token"] = world["login"](make_client(), caller["email"])
