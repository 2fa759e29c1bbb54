"""What the site accepts from outside before any view sees it: ids in paths, JSON bodies.

Ids and every other integer column are SQLAlchemy ``Integer``: 32 bits on
PostgreSQL (SQLite holds 64). A number outside that range can name no row and
fit no column, and letting one reach the database makes the driver raise (a
500; on PostgreSQL already for 2**31). The path converter registered as
``int`` and the one JSON parser below refuse such numbers up front, so no view
or service has to remember to.
"""

from __future__ import annotations

import builtins
import json
import math
from typing import Any

from flask import Request, request
from marshmallow import fields, validate
from werkzeug.exceptions import BadRequest, UnsupportedMediaType
from werkzeug.routing import IntegerConverter, Map

from lms.i18n import _, _l
from lms.request_body import body_is_streamed

# The range of an INTEGER column on every database we run on.
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
# Our API's bodies are a few levels deep; the limit only has to stop abuse.
MAX_JSON_DEPTH = 32
# PostgreSQL cannot store NUL in text, and no person types one.
NUL_MESSAGE = _l("Text contains a NUL character.")


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that matches only numbers an INTEGER column can hold.

    A larger number does not match the rule, so the answer is a plain 404
    instead of an overflow in the database driver.
    """

    def __init__(
        self,
        map: Map,  # noqa: A002 (Werkzeug's parameter names)
        fixed_digits: int = 0,
        min: int | None = None,  # noqa: A002
        max: int | None = None,  # noqa: A002
        signed: bool = False,
    ) -> None:
        low = INT_MIN if min is None and signed else min
        high = INT_MAX if max is None else builtins.min(max, INT_MAX)
        super().__init__(map, fixed_digits, min=low, max=high, signed=signed)


class BadJson(ValueError):
    """A request body that is not JSON we accept; the message says why, for people."""


def _parse_int(text: str) -> int:
    value = int(text)
    if not INT_MIN <= value <= INT_MAX:
        raise BadJson(
            _("Whole numbers must lie between %(min)s and %(max)s.", min=INT_MIN, max=INT_MAX)
        )
    return value


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJson(_("Numbers must be finite."))
    return value


def _refuse_constant(name: str) -> Any:
    raise BadJson(_("%(name)s is not a JSON number.", name=name))


def _check_tree(value: Any) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH and strings that are not valid Unicode.

    Iterative, so a hostile body cannot exhaust the stack here either.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise BadJson(_("JSON nested more than %(num)d levels deep.", num=MAX_JSON_DEPTH))
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_text(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise BadJson(str(NUL_MESSAGE))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone UTF-16 surrogate ("\ud800"): no database or mail can store it.
        raise BadJson(_("Text contains an unpaired UTF-16 surrogate.")) from None


def loads(data: str | bytes) -> Any:
    """Parse a JSON request body or raise BadJson (a ValueError) saying what is wrong.

    Beyond ``json.loads``: whole numbers must fit an INTEGER column, numbers must be finite,
    nesting is bounded and every string must be encodable as UTF-8.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_refuse_constant,
        )
    except BadJson:
        raise
    except UnicodeDecodeError:
        raise BadJson(_("The request body is not UTF-8.")) from None
    except RecursionError:
        raise BadJson(_("JSON nested more than %(num)d levels deep.", num=MAX_JSON_DEPTH)) from None
    except ValueError as exc:
        raise BadJson(_("The request body is not valid JSON (%(reason)s).", reason=exc)) from None
    _check_tree(value)
    return value


class _BodyJson:
    """What Werkzeug's ``Request.get_json`` calls to parse: ``lms.inputs.loads``."""

    loads = staticmethod(loads)


def screen_request() -> None:
    """Refuse, before any view, what no view could handle (a before_request handler).

    - a NUL character in the path, the query string or form fields: 400;
    - a JSON body sent to a page: 415. Pages take form fields, the API takes
      JSON; Flask-WTF would otherwise load JSON as form data, and its fields
      expect strings, not numbers or lists.
    JSON bodies are checked when read (``loads``).
    """
    texts = [request.path, *request.args.keys(), *request.args.values()]
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        if request.is_json and not request.path.startswith("/api/"):
            raise UnsupportedMediaType(
                _("This page takes form fields, not JSON. The API is %(path)s.", path="/api/v1")
            )
        if not body_is_streamed():  # already received (lms.request_body)
            texts += [*request.form.keys(), *request.form.values()]
    if any("\x00" in text for text in texts):
        raise BadRequest(str(NUL_MESSAGE))


class LmsRequest(Request):
    """Flask's request parsing its JSON body with ``loads``; a refused body is a 400.

    Only request bodies get the strict parser: Flask's own JSON provider
    (``app.json``: responses, the session cookie) stays as it is.
    """

    @property
    def json_module(self) -> Any:  # type: ignore[override]
        return _BodyJson

    @json_module.setter
    def json_module(self, _provider: Any) -> None:
        pass  # Flask assigns app.json to every request; bodies keep the strict parser

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        from lms.errors import ApiError

        if e is None:
            return super().on_json_loading_failed(e)  # wrong content type: 415
        raise ApiError(400, str(e), code="invalid_json")


class Id(fields.Integer):
    """A row id in a body: a strict integer from 1 to INT_MAX."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("strict", True)
        validators = kwargs.pop("validate", None)
        validators = [validators] if callable(validators) else list(validators or [])
        validators.insert(0, validate.Range(min=1, max=INT_MAX))
        super().__init__(validate=validators, **kwargs)
