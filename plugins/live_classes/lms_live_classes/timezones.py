"""Time zones: classes are stored in UTC, typed in the school's zone, shown in the viewer's.

The core has no time-zone setting and users have no time zone (checked when this
was written), so the school's zone is this plugin's ``school_timezone`` setting;
a user attribute ``timezone`` is honoured if the core ever adds one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime, get_timezone_name
from flask import g, has_request_context

from lms.settings import get_setting


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def school_zone() -> ZoneInfo:
    return _zone(get_setting("live_classes", "school_timezone")) or ZoneInfo("UTC")


def viewer_zone(user: Any = None) -> ZoneInfo:
    """The user's own zone if they have one, else the school's."""
    return _zone(getattr(user, "timezone", None)) or school_zone()


class LocalTimeError(ValueError):
    """A local date and time that does not exist (a clock change skips it)."""


def to_utc(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time in `zone`.

    A time skipped by a clock change (02:30 on a spring-forward night) is refused;
    a time that happens twice (autumn) is its first occurrence.
    """
    local = datetime.combine(day, clock.replace(tzinfo=None), tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise LocalTimeError("This time does not exist on that day: the clocks change.")
    return instant


def to_local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone)


def _locale() -> str:
    return g.get("lang", "en") if has_request_context() else "en"


def format_when(instant: datetime | None, zone: ZoneInfo, fmt: str = "medium") -> str:
    """A date and time for people, in `zone`, for the page's language (Babel)."""
    if instant is None:
        return ""
    return format_datetime(instant, format=fmt, tzinfo=zone, locale=_locale())


def zone_label(zone: ZoneInfo) -> str:
    """The zone's id, as people search for it ("Europe/Paris")."""
    return str(zone.key)


def zone_long_name(zone: ZoneInfo) -> str:
    try:
        return get_timezone_name(zone, locale=_locale())
    except Exception:  # Babel lacks a name for a few zones: the id will do
        return str(zone.key)
