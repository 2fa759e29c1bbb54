"""Input rules shared by the forms and the API schemas, so both refuse the same things."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib.resources import files
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 120
MAX_BIO_LENGTH = 2000
MAX_NOTE_LENGTH = 2000
MAX_LINK_LENGTH = 300
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,39}$")
#: Profile links a user may fill in, by kind.
LINK_KINDS = ("website", "github", "linkedin", "x", "youtube")


class RuleError(ValueError):
    """An input breaks a rule; the message is written for the person who typed it."""


@cache
def common_passwords() -> frozenset[str]:
    text = files("lms_auth").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line and not line.startswith("#")
    )


# Bidi embeddings, overrides and isolates: they make "gnp.exe" read as "exe.png".
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_chars(value: str, allow_newlines: bool = False) -> bool:
    """True for NUL, other control characters and bidi overrides (PostgreSQL refuses NUL)."""
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(
        (unicodedata.category(c) == "Cc" and c not in allowed) or c in _BIDI_CONTROLS for c in value
    )


def normalise_email(value: str) -> str:
    """Return the address in the form we store (lower case), or raise RuleError."""
    value = (value or "").strip()
    if not value:
        raise RuleError("Enter your e-mail address.")
    if len(value) > MAX_EMAIL_LENGTH:
        raise RuleError(f"An e-mail address has at most {MAX_EMAIL_LENGTH} characters.")
    if has_control_chars(value):
        raise RuleError("That e-mail address is not valid.")
    try:
        normalised = validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        # Special-use names (.local, .internal...) are refused unless the school lists
        # its intranet domain; then only the globally-deliverable check is relaxed.
        local, _, domain = value.rpartition("@")
        if not _on_intranet_domain(domain) or not INTRANET_DOMAIN_RE.match(domain):
            raise RuleError("That e-mail address is not valid.") from None
        try:
            # The library refuses special-use names whatever it is told: check the
            # mailbox part against an ordinary domain, the listed domain by pattern.
            checked = validate_email(f"{local}@intranet.example.org", check_deliverability=False)
        except EmailNotValidError:
            raise RuleError("That e-mail address is not valid.") from None
        normalised = f"{checked.local_part}@{domain}"
    return normalised.lower()


INTRANET_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z]{2,63}$"
)


def _on_intranet_domain(domain: str) -> bool:
    from lms.settings import get_setting

    domain = domain.strip().lower()
    listed = (get_setting("auth", "intranet_email_domains") or "").replace(",", " ").split()
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in listed)


def normalise_username(value: str) -> str:
    value = (value or "").strip().lower()
    if not value:
        raise RuleError("Choose a username.")
    if not USERNAME_RE.match(value):
        raise RuleError(
            "A username has 3 to 40 characters: letters a-z, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return value


def clean_name(value: str | None) -> str:
    value = (value or "").strip()
    if len(value) > MAX_NAME_LENGTH:
        raise RuleError(f"A name has at most {MAX_NAME_LENGTH} characters.")
    if has_control_chars(value):
        raise RuleError("The name contains characters that are not allowed.")
    return value


def clean_text(value: str | None, max_length: int, label: str) -> str:
    value = (value or "").strip()
    if len(value) > max_length:
        raise RuleError(f"The {label} has at most {max_length} characters.")
    if has_control_chars(value, allow_newlines=True):
        raise RuleError(f"The {label} contains characters that are not allowed.")
    return value


def password_problem(password: str, email: str | None = None) -> str | None:
    """Return why `password` is refused, or None if it is acceptable."""
    if not password:
        return "Choose a password."
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password must have at most {MAX_PASSWORD_LENGTH} characters."
    if "\x00" in password:
        return "The password contains a character that is not allowed."
    lowered = password.lower()
    if email:
        email = email.lower()
        local = email.split("@", 1)[0]
        if email in lowered or (len(local) >= 4 and lowered == local):
            return "The password must not be your e-mail address."
    if lowered.strip() in common_passwords():
        return "That password is too common; choose one that is harder to guess."
    return None


def clean_country(value: str | None) -> str | None:
    value = (value or "").strip().upper()
    if not value:
        return None
    from lms_auth.countries import COUNTRIES

    if value not in COUNTRIES:
        raise RuleError("Choose a country from the list.")
    return value


def clean_link(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > MAX_LINK_LENGTH:
        raise RuleError(f"A link has at most {MAX_LINK_LENGTH} characters.")
    if has_control_chars(value) or " " in value:
        raise RuleError("That link is not a valid web address.")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RuleError("A link must start with https:// or http://.")
    return value


def clean_links(values: dict[str, str | None]) -> dict[str, str]:
    """Keep the filled-in links of known kinds; raise RuleError naming the kind at fault."""
    cleaned: dict[str, str] = {}
    for kind, value in values.items():
        if kind not in LINK_KINDS:
            raise RuleError(f"Unknown link kind {kind!r}; use {', '.join(LINK_KINDS)}.")
        try:
            link = clean_link(value)
        except RuleError as exc:
            raise RuleError(f"{kind}: {exc}") from None
        if link:
            cleaned[kind] = link
    return cleaned
