"""pytest plugin of the live-classes plugin: a factory for classes.

Registered through the ``pytest11`` entry point, beside the catalog's
(``create_course``, ``create_enrolment``) and the lessons' fixtures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask


@dataclass(frozen=True)
class LiveClassRef:
    id: int
    course_id: int
    title: str
    room_name: str


@pytest.fixture
def create_live_class(app: Flask) -> Callable[..., LiveClassRef]:
    """Return a factory: create_live_class(course, **kw) -> LiveClassRef.

    Keywords: ``actor`` (default: the course's owner), ``title``, ``description``,
    ``starts_at`` (aware datetime; default an hour from now) or ``starts_in``
    (a timedelta), ``duration_minutes`` (60), ``seats`` (30), ``lesson_id``,
    ``status`` ("scheduled"; "live" starts it, "ended" starts then ends it,
    "cancelled" cancels it). The class goes through the scheduling services
    (a start in the past is moved into place afterwards, as a test needs).
    """

    def make(course: Any, **kw: Any) -> LiveClassRef:
        from lms_catalog import get_course

        from lms.extensions import db
        from lms.models import User, utcnow
        from lms_live_classes import scheduling

        with app.app_context():
            course_row = get_course(course.id)
            actor_ref = kw.pop("actor", None)
            actor_id = actor_ref.id if actor_ref is not None else course_row.owner_id
            actor = db.session.get(User, actor_id)
            starts_at: datetime | None = kw.pop("starts_at", None)
            starts_in: timedelta | None = kw.pop("starts_in", None)
            if starts_at is None:
                starts_at = utcnow() + (starts_in if starts_in is not None else timedelta(hours=1))
            status = kw.pop("status", "scheduled")
            in_past = starts_at <= utcnow()
            data = {
                "title": kw.pop("title", "Weekly live session"),
                "description": kw.pop("description", ""),
                "starts_at": utcnow() + timedelta(hours=1) if in_past else starts_at,
                "duration_minutes": kw.pop("duration_minutes", 60),
                "seats": kw.pop("seats", 30),
                "lesson_id": kw.pop("lesson_id", None),
            }
            if kw:
                raise TypeError(f"unknown keywords: {sorted(kw)}")
            live_class = scheduling.create_class(course_row, actor, data)
            if in_past:
                live_class.starts_at = starts_at
            if status in ("live", "ended"):
                scheduling.start_class(live_class, actor)
                if in_past:
                    live_class.started_at = starts_at
            if status == "ended":
                scheduling.end_class(live_class, actor)
            if status == "cancelled":
                scheduling.cancel_class(live_class, actor)
            db.session.commit()
            return LiveClassRef(
                live_class.id, live_class.course_id, live_class.title, live_class.room_name
            )

    return make
