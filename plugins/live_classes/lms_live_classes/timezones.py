"""Time zones: classes are stored in UTC, typed in the school's zone, shown in the viewer's.

The school's zone is the core setting ``timezone`` (the plugin once had its own,
``school_timezone``: the core's replaced it, so that every page of the site
agrees); a person's own zone (``user.timezone``, chosen in their profile) wins
for what they see. Dates are formatted by Babel in the current language
(the request's, or `lms.i18n.user_locale` in a job).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime, get_timezone_name

from lms.i18n import _l, current_language
from lms.settings import get_setting


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def school_zone() -> ZoneInfo:
    """The school's zone: the core setting ``timezone`` (UTC when unset or unknown)."""
    return _zone(get_setting("core", "timezone")) or ZoneInfo("UTC")


def viewer_zone(user: Any = None) -> ZoneInfo:
    """The user's own zone if they have one, else the school's."""
    return _zone(getattr(user, "timezone", None)) or school_zone()


class LocalTimeError(ValueError):
    """A local date and time that does not exist (a clock change skips it)."""


# Shown under the form's time field: lazy, so it speaks the language of the page.
SKIPPED_TIME = _l("This time does not exist on that day: the clocks change.")


def to_utc(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time in `zone`.

    A time skipped by a clock change (02:30 on a spring-forward night) is refused;
    a time that happens twice (autumn) is its first occurrence.
    """
    local = datetime.combine(day, clock.replace(tzinfo=None), tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise LocalTimeError("skipped by a clock change")
    return instant


def to_local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone)


def format_when(instant: datetime | None, zone: ZoneInfo, fmt: str = "medium") -> str:
    """A date and time for people, in `zone`, in the current language (Babel)."""
    if instant is None:
        return ""
    return format_datetime(instant, format=fmt, tzinfo=zone, locale=current_language())


def zone_label(zone: ZoneInfo) -> str:
    """The zone's id, as people search for it ("Europe/Paris")."""
    return str(zone.key)


def zone_long_name(zone: ZoneInfo) -> str:
    """The zone's name in the current language ("heure : Paris")."""
    try:
        return get_timezone_name(zone, locale=current_language())
    except Exception:  # Babel lacks a name for a few zones: the id will do
        return str(zone.key)
