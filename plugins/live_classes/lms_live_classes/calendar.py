"""Calendar files (iCalendar, RFC 5545): one per class, and each user's secret feed.

Texts (the description, the feed's name) are in the current language: the
viewer's for a class's file, the feed owner's for the feed. Times are written
in UTC (``DTSTART:...Z``): every calendar program shows them in its own zone.
A class's UID never changes, so an updated file replaces the event instead of
adding a second one; a cancelled class stays in the feed with
``STATUS:CANCELLED`` so calendars remove it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from icalendar import Calendar, Event
from sqlalchemy import select

from lms.extensions import db
from lms.i18n import _
from lms.models import User
from lms.urls import external_url, site_host
from lms_live_classes.models import CANCELLED, CalendarToken, LiveClass, new_calendar_token

PRODID = "-//LMS//Live classes//EN"


def class_event(live_class: LiveClass, course: Any) -> Event:
    event = Event()
    event.add("uid", f"live-class-{live_class.id}@{site_host()}")
    event.add("dtstamp", live_class.updated_at)
    event.add("dtstart", live_class.starts_at)
    event.add("dtend", live_class.ends_at)
    event.add("summary", live_class.title)
    link = external_url("live_classes.detail", class_id=live_class.id)
    lines = [
        _("Live class of the course %(course)s.", course=course.title)
        if course
        else _("Live class.")
    ]
    if live_class.description:
        lines += ["", live_class.description]
    lines += ["", link]
    event.add("description", "\n".join(lines))
    event.add("url", link)
    event.add("location", link)
    event.add("status", "CANCELLED" if live_class.status == CANCELLED else "CONFIRMED")
    # Calendars take a change only with a higher SEQUENCE: seconds since creation grow.
    event.add(
        "sequence", max(0, int((live_class.updated_at - live_class.created_at).total_seconds()))
    )
    return event


def feed_name() -> str:
    """The calendar's name in a person's calendar program."""
    return _("My live classes")


def calendar_file(classes: Iterable[tuple[LiveClass, Any]], name: str) -> bytes:
    """An iCalendar file of (class, course) pairs."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for live_class, course in classes:
        cal.add_component(class_event(live_class, course))
    return cal.to_ical()


# --- the secret feed URL -------------------------------------------------------------


def token_for(user: Any) -> str:
    """The user's feed token, created on first use (the caller commits)."""
    row = db.session.get(CalendarToken, user.id)
    if row is None:
        row = CalendarToken(user_id=user.id, token=new_calendar_token())
        db.session.add(row)
        db.session.flush()
    return row.token


def regenerate_token(user: Any) -> str:
    """A new secret: the old feed URL stops working at once (the caller commits)."""
    row = db.session.get(CalendarToken, user.id)
    if row is None:
        return token_for(user)
    row.token = new_calendar_token()
    db.session.flush()
    return row.token


def user_for_token(token: str) -> User | None:
    """The active user whose feed this is, or None (unknown token, deactivated, banned)."""
    if not token or len(token) > 64:
        return None
    row = db.session.scalar(select(CalendarToken).where(CalendarToken.token == token))
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return user
