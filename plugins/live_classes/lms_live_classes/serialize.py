"""Rows to JSON for the API."""

from __future__ import annotations

from typing import Any

from lms.urls import external_url
from lms_live_classes.attendance import StudentAttendance
from lms_live_classes.models import LiveClass


def class_json(live_class: LiveClass) -> dict[str, Any]:
    # Not the room name: it is the room's secret, handed out only when joining.
    return {
        "id": live_class.id,
        "course_id": live_class.course_id,
        "lesson_id": live_class.lesson_id,
        "title": live_class.title,
        "description": live_class.description,
        "starts_at": live_class.starts_at,
        "ends_at": live_class.ends_at,
        "duration_minutes": live_class.duration_minutes,
        "seats": live_class.seats,
        "status": live_class.status,
        "started_at": live_class.started_at,
        "ended_at": live_class.ended_at,
        "is_joinable": live_class.is_joinable,
        "page_url": external_url("live_classes.detail", class_id=live_class.id),
        "ics_url": external_url("live_classes_api.ClassCalendar", class_id=live_class.id),
    }


def attendance_json(row: StudentAttendance) -> dict[str, Any]:
    return {
        "user_id": row.user_id,
        "name": row.name,
        "email": row.email,
        "status": row.status,
        "minutes": row.minutes,
        "seconds": row.seconds,
        "share": round(row.share, 1),
        "first_joined_at": row.first_joined_at,
        "intervals": [{"joined_at": i.joined_at, "left_at": i.left_at} for i in row.intervals],
    }
