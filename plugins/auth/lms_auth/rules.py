"""Input rules shared by the forms and the API schemas, so both refuse the same things."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib.resources import files
from urllib.parse import urlsplit
from zoneinfo import available_timezones

import pytz
from email_validator import EmailNotValidError, validate_email
from flask_babel import format_number

from lms.i18n import LANGUAGES, _, ngettext

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
        raise RuleError(_("Enter your e-mail address."))
    if len(value) > MAX_EMAIL_LENGTH:
        raise RuleError(
            ngettext(
                "An e-mail address has at most %(limit)s character.",
                "An e-mail address has at most %(limit)s characters.",
                MAX_EMAIL_LENGTH,
                limit=format_number(MAX_EMAIL_LENGTH),
            )
        )
    if has_control_chars(value):
        raise RuleError(_("That e-mail address is not valid."))
    try:
        normalised = validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        # Special-use names (.local, .internal...) are refused unless the school lists
        # its intranet domain; then only the globally-deliverable check is relaxed.
        local, _at, domain = value.rpartition("@")
        if not _on_intranet_domain(domain) or not INTRANET_DOMAIN_RE.match(domain):
            raise RuleError(_("That e-mail address is not valid.")) from None
        try:
            # The library refuses special-use names whatever it is told: check the
            # mailbox part against an ordinary domain, the listed domain by pattern.
            checked = validate_email(f"{local}@intranet.example.org", check_deliverability=False)
        except EmailNotValidError:
            raise RuleError(_("That e-mail address is not valid.")) from None
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
        raise RuleError(_("Choose a username."))
    if not USERNAME_RE.match(value):
        raise RuleError(
            _(
                "A username has 3 to 40 characters: letters a-z, digits, '.', '_' or '-', "
                "starting with a letter or digit."
            )
        )
    return value


def clean_name(value: str | None) -> str:
    value = (value or "").strip()
    if len(value) > MAX_NAME_LENGTH:
        raise RuleError(
            ngettext(
                "A name has at most %(limit)s character.",
                "A name has at most %(limit)s characters.",
                MAX_NAME_LENGTH,
                limit=format_number(MAX_NAME_LENGTH),
            )
        )
    if has_control_chars(value):
        raise RuleError(_("The name contains characters that are not allowed."))
    return value


def _text_problems(label: str, max_length: int) -> tuple[str, str]:
    """(too long, bad characters) for the text `label` names: whole sentences, so they translate."""
    if label == "note":
        return (
            ngettext(
                "The note has at most %(limit)s character.",
                "The note has at most %(limit)s characters.",
                max_length,
                limit=format_number(max_length),
            ),
            _("The note contains characters that are not allowed."),
        )
    if label == "text about you":
        return (
            ngettext(
                "The text about you has at most %(limit)s character.",
                "The text about you has at most %(limit)s characters.",
                max_length,
                limit=format_number(max_length),
            ),
            _("The text about you contains characters that are not allowed."),
        )
    return (
        ngettext(
            "The text has at most %(limit)s character.",
            "The text has at most %(limit)s characters.",
            max_length,
            limit=format_number(max_length),
        ),
        _("The text contains characters that are not allowed."),
    )


def clean_text(value: str | None, max_length: int, label: str) -> str:
    """Strip `value`; `label` ("text about you", "note") picks the wording of the refusal."""
    value = (value or "").strip()
    if len(value) > max_length:
        raise RuleError(_text_problems(label, max_length)[0])
    if has_control_chars(value, allow_newlines=True):
        raise RuleError(_text_problems(label, max_length)[1])
    return value


def password_problem(password: str, email: str | None = None) -> str | None:
    """Return why `password` is refused, or None if it is acceptable."""
    if not password:
        return _("Choose a password.")
    if len(password) < MIN_PASSWORD_LENGTH:
        return ngettext(
            "The password must have at least %(limit)s character.",
            "The password must have at least %(limit)s characters.",
            MIN_PASSWORD_LENGTH,
            limit=format_number(MIN_PASSWORD_LENGTH),
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return ngettext(
            "The password must have at most %(limit)s character.",
            "The password must have at most %(limit)s characters.",
            MAX_PASSWORD_LENGTH,
            limit=format_number(MAX_PASSWORD_LENGTH),
        )
    if "\x00" in password:
        return _("The password contains a character that is not allowed.")
    lowered = password.lower()
    if email:
        email = email.lower()
        local = email.split("@", 1)[0]
        if email in lowered or (len(local) >= 4 and lowered == local):
            return _("The password must not be your e-mail address.")
    if lowered.strip() in common_passwords():
        return _("That password is too common; choose one that is harder to guess.")
    return None


def clean_country(value: str | None) -> str | None:
    value = (value or "").strip().upper()
    if not value:
        return None
    from lms_auth.countries import COUNTRIES

    if value not in COUNTRIES:
        raise RuleError(_("Choose a country from the list."))
    return value


def clean_language(value: str | None) -> str | None:
    """A language the site speaks, or None: the browser's language decides."""
    value = (value or "").strip()
    if not value:
        return None
    if value not in LANGUAGES:
        raise RuleError(_("Choose a language from the list."))
    return value


@cache
def time_zones() -> tuple[str, ...]:
    """IANA zone names, sorted; only those Babel's formatting (pytz) also knows."""
    known = available_timezones() & set(pytz.all_timezones)
    return tuple(sorted(zone for zone in known if "/" in zone or zone == "UTC"))


def clean_timezone(value: str | None) -> str | None:
    """An IANA time zone ("Europe/Paris"), or None: the school's time zone applies."""
    value = (value or "").strip()
    if not value:
        return None
    if value not in time_zones():
        raise RuleError(_("Choose a time zone from the list."))
    return value


def clean_link(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > MAX_LINK_LENGTH:
        raise RuleError(
            ngettext(
                "A link has at most %(limit)s character.",
                "A link has at most %(limit)s characters.",
                MAX_LINK_LENGTH,
                limit=format_number(MAX_LINK_LENGTH),
            )
        )
    if has_control_chars(value) or " " in value:
        raise RuleError(_("That link is not a valid web address."))
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RuleError(_("A link must start with https:// or http://."))
    return value


def clean_links(values: dict[str, str | None]) -> dict[str, str]:
    """Keep the filled-in links of known kinds; raise RuleError naming the kind at fault."""
    cleaned: dict[str, str] = {}
    for kind, value in values.items():
        if kind not in LINK_KINDS:
            raise RuleError(
                _(
                    "Unknown link kind %(kind)s; use %(kinds)s.",
                    kind=repr(kind),
                    kinds=", ".join(LINK_KINDS),
                )
            )
        try:
            link = clean_link(value)
        except RuleError as exc:
            raise RuleError(_("%(kind)s: %(problem)s", kind=kind, problem=exc)) from None
        if link:
            cleaned[kind] = link
    return cleaned
