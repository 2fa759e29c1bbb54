"""marshmallow's own error messages, in the request's language.

webargs answers a refused API body with marshmallow's messages per field
("Missing data for required field."), written in English by the library. The
core's JSON errors pass each one through `translate()`: the common ones are in
the core's catalogue; a message of a plugin's own (already marked) or one not
listed here is left as it is.
"""

from __future__ import annotations

import re
from typing import Any

from lms.i18n import _l

# The fixed messages of marshmallow's fields, schemas and validators.
FIXED: dict[str, Any] = {
    "Missing data for required field.": _l("Missing data for required field."),
    "Field may not be null.": _l("Field may not be null."),
    "Invalid value.": _l("Invalid value."),
    "Invalid type.": _l("Invalid type."),
    "Invalid input.": _l("Invalid input."),
    "Invalid input type.": _l("Invalid input type."),
    "Unknown field.": _l("Unknown field."),
    "Not a valid list.": _l("Not a valid list."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid UUID.": _l("Not a valid UUID."),
    "Not a valid number.": _l("Not a valid number."),
    "Not a valid integer.": _l("Not a valid integer."),
    "Number too large.": _l("Number too large."),
    "Not a valid boolean.": _l("Not a valid boolean."),
    "Not a valid datetime.": _l("Not a valid datetime."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid time.": _l("Not a valid time."),
    "Not a valid mapping type.": _l("Not a valid mapping type."),
    "Not a valid URL.": _l("Not a valid URL."),
    "Not a valid email address.": _l("Not a valid email address."),
    "String does not match expected pattern.": _l("String does not match expected pattern."),
    "Special numeric values (nan or infinity) are not permitted.": _l(
        "Special numeric values (nan or infinity) are not permitted."
    ),
}

# Messages with values in them: (what marshmallow writes, the marked sentence).
PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(r"Shorter than minimum length (?P<min>\d+)\."),
        lambda m: _l("Shorter than minimum length %(min)s.", **m),
    ),
    (
        re.compile(r"Longer than maximum length (?P<max>\d+)\."),
        lambda m: _l("Longer than maximum length %(max)s.", **m),
    ),
    (
        re.compile(r"Length must be between (?P<min>\d+) and (?P<max>\d+)\."),
        lambda m: _l("Length must be between %(min)s and %(max)s.", **m),
    ),
    (
        re.compile(
            r"Must be greater than or equal to (?P<min>\S+)"
            r" and less than or equal to (?P<max>\S+)\."
        ),
        lambda m: _l(
            "Must be greater than or equal to %(min)s and less than or equal to %(max)s.", **m
        ),
    ),
    (
        re.compile(r"Must be greater than or equal to (?P<min>\S+)\."),
        lambda m: _l("Must be greater than or equal to %(min)s.", **m),
    ),
    (
        re.compile(r"Must be less than or equal to (?P<max>\S+)\."),
        lambda m: _l("Must be less than or equal to %(max)s.", **m),
    ),
    (
        re.compile(r"Must be one of: (?P<values>.*)\."),
        lambda m: _l("Must be one of: %(values)s.", **m),
    ),
]


def translate(message: Any) -> str:
    """`message` in the current language if it is one of marshmallow's, else unchanged."""
    text = str(message)
    if text in FIXED:
        return str(FIXED[text])
    for pattern, sentence in PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return str(sentence(match.groupdict()))
    return text
