"""API schemas of the live-classes endpoints (and their OpenAPI documentation)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from lms_live_classes.models import STATUSES


class LiveClassIn(Schema):
    # Raw fields: the service checks each value itself, so every mistake gets a clear message.
    title = fields.Raw(metadata={"description": "1-200 characters (required to create)."})
    description = fields.Raw(metadata={"description": "Up to 5000 characters."})
    starts_at = fields.Raw(
        metadata={
            "description": "ISO 8601 date and time with its offset, e.g. "
            "2030-05-01T18:00:00+02:00 or 2030-05-01T16:00:00Z; in the future "
            "(required to create).",
            "type": "string",
        }
    )
    duration_minutes = fields.Raw(
        metadata={"description": "Whole minutes, 5-480 (required to create).", "type": "integer"}
    )
    seats = fields.Raw(
        metadata={
            "description": "Students at most, 1-10000 (required to create).",
            "type": "integer",
        }
    )
    lesson_id = fields.Raw(
        metadata={
            "description": "A lesson of the course, or null.",
            "type": "integer",
            "nullable": True,
        }
    )


class LiveClassOut(Schema):
    id = fields.Integer()
    course_id = fields.Integer()
    lesson_id = fields.Integer(allow_none=True)
    title = fields.String()
    description = fields.String()
    starts_at = fields.DateTime(metadata={"description": "UTC."})
    ends_at = fields.DateTime(metadata={"description": "Start plus duration, UTC."})
    duration_minutes = fields.Integer()
    seats = fields.Integer()
    status = fields.String(metadata={"description": " | ".join(STATUSES)})
    started_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    is_joinable = fields.Boolean(metadata={"description": "True while the class is live."})
    page_url = fields.String(metadata={"description": "The class's page."})
    ics_url = fields.String(metadata={"description": "The class's calendar file."})


class LiveClassList(Schema):
    items = fields.List(fields.Nested(LiveClassOut))
    total = fields.Integer()


class LiveClassListArgs(Schema):
    when = fields.String(
        load_default="all",
        validate=validate.OneOf(["upcoming", "past", "all"]),
        metadata={
            "description": "upcoming (scheduled and live), past (ended and cancelled) or all.",
        },
    )


class LiveIntervalOut(Schema):
    joined_at = fields.DateTime()
    left_at = fields.DateTime(allow_none=True)


class LiveAttendanceOut(Schema):
    user_id = fields.Integer()
    name = fields.String()
    email = fields.String()
    status = fields.String(metadata={"description": "present | late | left early | absent"})
    minutes = fields.Integer()
    seconds = fields.Integer()
    share = fields.Float(metadata={"description": "Percent of the class, 0-100."})
    first_joined_at = fields.DateTime(allow_none=True)
    intervals = fields.List(fields.Nested(LiveIntervalOut))


class LiveAttendanceList(Schema):
    class_id = fields.Integer()
    status = fields.String()
    late_after_minutes = fields.Integer()
    present_share = fields.Integer()
    items = fields.List(fields.Nested(LiveAttendanceOut))
    total = fields.Integer()


class LiveRulesIO(Schema):
    late_after_minutes = fields.Raw(
        required=True, metadata={"description": "0-480 minutes.", "type": "integer"}
    )
    present_share = fields.Raw(
        required=True, metadata={"description": "1-100 percent.", "type": "integer"}
    )


class LiveHistoryItem(Schema):
    live_class = fields.Nested(LiveClassOut, data_key="class")
    course_title = fields.String()
    attendance = fields.Nested(LiveAttendanceOut)


class LiveHistoryList(Schema):
    items = fields.List(fields.Nested(LiveHistoryItem))
    total = fields.Integer()
