"""JSON API under /api/v1/live: classes (CRUD for staff, list and detail for students),
attendance (JSON and CSV) and calendar files. Join, leave and waitlist live in room_api.py
on the same blueprint."""

from __future__ import annotations

from lms.api import ApiBlueprint

blp = ApiBlueprint(
    "live_classes_api",
    __name__,
    url_prefix="/live",
    description="Live classes: schedule, attendance, calendar, seats and waitlist.",
)
