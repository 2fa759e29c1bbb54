"""Hostile input on every route of every plugin: never a 5xx, and API errors in our format.

The routes come from ``app.url_map`` itself, so a route added later is fuzzed
without touching this file. Each route is called anonymously and as a
student, the course's instructor and an admin with:
- path parameters out of range or of the wrong kind (ids past 2^31 and 2^63,
  negative, text, encoded lone surrogates);
- query strings with the same;
- JSON bodies nested thousands deep, with lone UTF-16 surrogates, numbers past
  32 and 64 bits, wrong types and non-object top levels, for every field name
  the OpenAPI document and the site's forms know;
- form bodies with the same (CSRF checks off so the forms' own validation runs).

The number of requests is set by the routes (about 7,500), not by a clock:
about 40 s of CPU on SQLite.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.routing import Rule

from lms.testing.clients import FormClient

pytestmark = pytest.mark.slow

HUGE = "99999999999999999999"
SURROGATE = "\\ud800"  # as written inside JSON text: a lone high surrogate
INT_MAX = str(2**31 - 1)  # the largest an INTEGER column holds on PostgreSQL

# Values for path parameters, by converter.
PATH_VALUES = {
    "IntegerConverter": [HUGE, str(2**63), str(2**31), INT_MAX, "-1", "abc"],
    "default": [HUGE, "%ED%A0%80", "%00" + "x" * 300],
    "PathConverter": ["..%2F..%2Fetc%2Fpasswd", "%ED%A0%80", HUGE],
}
# Query strings: every list/search argument at once, each hostile.
QUERY_STRINGS = [
    f"page={HUGE}&per_page={HUGE}&category={HUGE}&status={HUGE}&q={HUGE}&category_id={HUGE}",
    "page=-1&per_page=0&sort=%ED%A0%80&level=%00&q=%00&next=%ED%A0%80",
    f"page=abc&per_page=1e999&expires={HUGE}&sig=x&filename=%ED%A0%80&code=%00",
]
# JSON bodies whose whole text is hostile, whatever the fields.
RAW_JSON_BODIES = [
    "[" * 5000 + "]" * 5000,
    '{"a":' * 3000 + "1" + "}" * 3000,
    '"' + SURROGATE + '"',
    "[]",
    "null",
    "1e999",
    "NaN",
    HUGE,
    "{",
    '{"a": "\\udc00\\ud800"}',
]
# Values given to every known field name at once.
FIELD_VALUES = [
    f'"{SURROGATE}"',
    HUGE,
    "-" + HUGE,
    INT_MAX,
    str(2**31),
    str(2**63 - 1),
    "-1",
    "0",
    "1.5",
    "true",
    "null",
    f"[{HUGE}, -1, 0]",
    f'{{"x": "{SURROGATE}", "{SURROGATE}": {HUGE}}}',
    "[" * 60 + "]" * 60,
    '"' + "x" * 3000 + '"',
]
FORM_VALUES = [HUGE, "-" + HUGE, "-1", "0", "\x00", "x" * 3000, "%ED%A0%80", "1e999"]


@dataclass
class Caller:
    name: str
    client: FormClient
    token: str | None = None


@dataclass
class Tally:
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)

    def check(self, who: str, method: str, url: str, response: Any, what: str) -> None:
        self.requests += 1
        status = response.status_code
        where = f"{who} {method} {url[:120]} [{what}] -> {status}"
        if status >= 500:
            self.failures.append(f"{where}: {response.get_data(as_text=True)[:200]}")
        elif status >= 400 and url.startswith("/api/"):
            body = response.get_json(silent=True)
            error = body.get("error") if isinstance(body, dict) else None
            if not (
                isinstance(error, dict)
                and isinstance(error.get("code"), str)
                and isinstance(error.get("message"), str)
            ):
                self.failures.append(f"{where}: not the error format: {response.data[:200]!r}")


def _form_field_names() -> set[str]:
    names: set[str] = set()
    pending: list[type] = [FlaskForm]
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        names.update(name for name in vars(form) if not name.startswith("_") and name[0].islower())
    return names - {"validate", "populate_obj", "process", "csrf_token"}


def _body_field_names(spec: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for schema in spec.get("components", {}).get("schemas", {}).values():
        names.update(schema.get("properties", {}))
    return names


def _callers(
    make_client: Callable[[], FormClient], world: dict[str, Any], login_as: Callable[..., Any]
) -> list[Caller]:
    """Fresh callers: anonymous, and each role by session and bearer token.

    Made again for every route, because some routes sign their caller out.
    """
    callers = [Caller("anonymous", make_client())]
    for role, person in world["people"].items():
        client = make_client()
        token = world["login"](client, person.email)  # before the session: no CSRF needed
        callers.append(Caller(role, login_as(client, person), token))
    return callers


def _fill(rule: Rule, values: dict[str, Any], bad: dict[str, str] | None = None) -> str:
    """Build the rule's URL with known-good values, or `bad` ones for some parameters."""
    url = rule.rule
    for name in rule._converters:
        value = (bad or {}).get(name, values.get(name, "1"))
        url = _replace_arg(url, name, str(value))
    return url


def _replace_arg(url: str, name: str, value: str) -> str:
    start = url.index("<")
    while start != -1:
        end = url.index(">", start)
        if url[start + 1 : end].split(":")[-1] == name:
            return url[:start] + value + url[end + 1 :]
        start = url.find("<", end)
    raise AssertionError(f"{name} not in {url}")


def _path_variants(rule: Rule, values: dict[str, Any]) -> Iterator[str]:
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        choices = PATH_VALUES.get(kind)
        if choices is None:
            choices = PATH_VALUES["IntegerConverter" if "Int" in kind else "default"]
        for value in choices:
            yield _fill(rule, values, {name: value})


def _send(caller: Caller, method: str, url: str, **kwargs: Any) -> Any:
    headers = dict(kwargs.pop("headers", {}))
    if caller.token and url.startswith("/api/"):
        headers["Authorization"] = f"Bearer {caller.token}"
    return caller.client.open(url, method=method, headers=headers, **kwargs)


def _routes(app: Flask) -> list[tuple[Rule, str]]:
    """Every (rule, method), the destructive ones (delete, remove, sign out) last."""
    pairs = [
        (rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]

    def destructive(pair: tuple[Rule, str]) -> bool:
        rule, method = pair
        words = ("delete", "remove", "logout", "sign-out", "password", "deactivate")
        return method == "DELETE" or any(w in rule.rule for w in words)

    return sorted(pairs, key=lambda pair: (destructive(pair), pair[0].rule, pair[1]))


def test_no_route_answers_5xx_to_hostile_input(
    app: Flask,
    world: dict[str, Any],
    make_client: Callable[[], FormClient],
    login_as: Callable[..., Any],
) -> None:
    spec = make_client().get("/api/v1/openapi.json").get_json()
    json_names = sorted(_body_field_names(spec) | {"ids", "login", "category_id"})
    form_names = sorted(_form_field_names())
    values = world["values"]
    tally = Tally()
    started = time.monotonic()
    for caller in _callers(make_client, world, login_as)[1:]:
        # Signed in for real, by session (pages) and by token (API).
        assert caller.client.get("/api/v1/auth/me").status_code == 200, caller.name
        assert _send(caller, "GET", "/api/v1/users/me").status_code == 200, caller.name
    app.config["WTF_CSRF_ENABLED"] = False  # reach the forms' own validation
    try:
        for rule, method in _routes(app):
            route_started = time.monotonic()
            callers = _callers(make_client, world, login_as)
            good_url = _fill(rule, values)
            for url in _path_variants(rule, values):
                for caller in callers:
                    tally.check(caller.name, method, url, _send(caller, method, url), "path")
            for query in QUERY_STRINGS:
                url = f"{good_url}?{query}"
                for caller in callers:
                    tally.check(caller.name, method, url, _send(caller, method, url), "query")
            if method == "GET":
                continue
            is_api = good_url.startswith("/api/")
            field_bodies = [
                ("{" + ", ".join(f'"{name}": {value}' for name in json_names) + "}", value[:30])
                for value in FIELD_VALUES
            ]
            for caller in callers:
                # The body's structure is checked before any view code: the callers
                # who get furthest (staff, admin) suffice. Field values go to all.
                raw = RAW_JSON_BODIES if caller.name in ("instructor", "admin") else []
                bodies = raw + [text for text, _ in field_bodies]
                if not is_api:  # pages refuse JSON whatever it holds
                    bodies = bodies[:1]
                for text in bodies:
                    response = _send(
                        caller,
                        method,
                        good_url,
                        data=text.encode(),
                        headers={"Content-Type": "application/json"},
                    )
                    tally.check(caller.name, method, good_url, response, f"json {text[:40]}")
                if is_api:
                    continue
                for value in FORM_VALUES:
                    form = {name: value for name in form_names}
                    response = _send(caller, method, good_url, data=form)
                    tally.check(caller.name, method, good_url, response, f"form={value[:20]!r}")
                # Bytes that are not UTF-8 in a form body.
                raw_form = "&".join(f"{name}=%ED%A0%80%FF" for name in form_names)
                response = _send(
                    caller,
                    method,
                    good_url,
                    data=raw_form.encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                tally.check(caller.name, method, good_url, response, "form=bad utf-8")
            tally.slowest.append((time.monotonic() - route_started, f"{method} {rule.rule}"))
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    elapsed = time.monotonic() - started
    print(f"fuzz: {tally.requests} requests over {len(_routes(app))} routes in {elapsed:.1f} s")
    print("slowest routes:", sorted(tally.slowest, reverse=True)[:5])
    assert not tally.failures, "\n".join(tally.failures[:40])
    assert tally.requests > 1000


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", f"/api/v1/lessons/{HUGE}", None),
        ("GET", f"/api/v1/sections/{HUGE}/lessons", None),
        ("GET", f"/api/v1/lessons/{2**31}", None),
        ("GET", f"/lessons/{HUGE}", None),
        ("POST", "/api/v1/auth/login", '{"login": "\\ud800", "password": "x"}'),
        ("POST", "/api/v1/auth/login", '{"login": ' * 5000 + '"x"' + "}" * 5000),
        ("POST", "/api/v1/auth/login", "[" * 100000 + "]" * 100000),
        ("POST", "/api/v1/courses", '{"title": "x", "category_id": ' + HUGE + "}"),
        ("POST", "/api/v1/courses", '{"title": "x", "category_id": ' + str(2**31) + "}"),
        ("POST", "/api/v1/courses/any/sections/reorder", '{"ids": [' + HUGE + "]}"),
        ("POST", "/auth/login", '{"email": "a@b.c", "password": ' + HUGE + "}"),
        ("GET", "/courses?q=%00", None),
        ("POST", "/api/v1/auth/login", '{"login": "a\\u0000", "password": "x"}'),
    ],
    ids=[
        "api-lesson-huge-id",
        "api-section-huge-id",
        "api-lesson-id-past-int32",
        "page-lesson-huge-id",
        "login-lone-surrogate",
        "login-deep-object",
        "login-deep-array",
        "course-huge-category",
        "course-category-past-int32",
        "reorder-huge-id",
        "page-form-json-body",
        "page-query-nul",
        "login-nul",
    ],
)
def test_reported_malformed_input_gets_a_4xx_in_the_error_format(
    app: Flask,
    world: dict[str, Any],
    make_client: Callable[[], FormClient],
    method: str,
    url: str,
    body: str | None,
    login_as: Callable[..., Any],
) -> None:
    """Signed in as the instructor, so role checks let the input reach the parsers."""
    client = make_client()
    token = world["login"](client, world["people"]["instructor"].email)
    login_as(client, world["people"]["instructor"])
    url = url.replace("/any/", f"/{world['values']['slug']}/")
    headers = {"Content-Type": "application/json"} if body else {}
    if url.startswith("/api/"):
        headers["Authorization"] = f"Bearer {token}"
    response = client.open(
        url, method=method, data=body.encode() if body else None, headers=headers
    )
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    if url.startswith("/api/"):
        error = response.get_json()["error"]
        assert error["code"] and error["message"]


def test_page_number_past_64_bits_shows_the_first_page(
    world: dict[str, Any], make_client: Callable[[], FormClient], login_as: Callable[..., Any]
) -> None:
    client = make_client()
    response = client.get(f"/api/v1/courses?page={HUGE}")
    assert response.status_code == 422
    assert "page" in response.get_json()["error"]["fields"]
    signed_in = _callers(make_client, world, login_as)[1].client
    response = signed_in.get(f"/notifications?page={HUGE}")
    assert response.status_code == 200


def test_json_parser_refuses_what_no_view_could_store() -> None:
    from lms.inputs import BadJson, loads

    for text in [
        '{"a": "\\ud800"}',
        '{"a": "\\u0000"}',
        HUGE,
        str(2**31),
        str(-(2**31) - 1),
        "[" * 40 + "]" * 40,
        "1e999",
        "NaN",
        "[" * 9999,
    ]:
        with pytest.raises(BadJson):
            loads(text)
    assert loads('{"a": [1, "\\ud83d\\ude00", {"b": null}]}') == {"a": [1, "😀", {"b": None}]}
    assert json.loads(INT_MAX) == loads(INT_MAX)
