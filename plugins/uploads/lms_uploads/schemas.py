"""API schemas of the uploads plugin (what the video endpoints answer, for OpenAPI)."""

from __future__ import annotations

from marshmallow import Schema, fields


class RenditionOut(Schema):
    name = fields.String(metadata={"description": 'Rung name, e.g. "720p".'})
    width = fields.Integer()
    height = fields.Integer()
    bandwidth = fields.Integer(metadata={"description": "Peak bits per second."})


class TaskProgressOut(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "queued, running, finished or failed."})
    progress = fields.Integer(metadata={"description": "Percent done, 0-100."})
    message = fields.String(metadata={"description": "What the job is doing (speed ...)."})
    eta_seconds = fields.Integer(
        allow_none=True, metadata={"description": "Seconds until it should be done."}
    )
    queue_position = fields.Integer(
        allow_none=True,
        metadata={"description": "While waiting: how many media jobs run before it (1 = next)."},
    )


class VideoOut(Schema):
    id = fields.Integer()
    lesson_id = fields.Integer()
    course_id = fields.Integer()
    status = fields.String(
        metadata={"description": "awaiting_upload, pending, processing, ready or failed."}
    )
    error = fields.String(allow_none=True, metadata={"description": "Why processing failed."})
    size_bytes = fields.Integer()
    duration_seconds = fields.Float(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    has_audio = fields.Boolean(allow_none=True)
    renditions = fields.List(fields.Nested(RenditionOut))
    attempts = fields.Integer()
    can_retry = fields.Boolean(metadata={"description": "The retry button applies."})
    task = fields.Nested(TaskProgressOut, allow_none=True)
    updated_at = fields.DateTime()
