"""API schemas: what the lessons endpoints accept and answer (and document in OpenAPI)."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from lms_lessons.models import STATUSES


class SectionIn(Schema):
    title = fields.Raw(required=True, metadata={"description": "1-200 characters."})


class ReorderIn(Schema):
    ids = fields.Raw(
        required=True,
        metadata={
            "description": "Every id in the new order.",
            "type": "array",
            "items": {"type": "integer"},
        },
    )


class LessonIn(Schema):
    # Raw fields: the service checks types itself so every mistake gets a clear message.
    type = fields.Raw(metadata={"description": "Lesson type name (text, file, ...); create only."})
    title = fields.Raw(metadata={"description": "1-200 characters."})
    description = fields.Raw(metadata={"description": "Up to 5000 characters."})
    duration_seconds = fields.Raw(metadata={"description": "Whole seconds, 0-360000."})
    status = fields.Raw(metadata={"description": " or ".join(STATUSES)})
    free_preview = fields.Raw(metadata={"description": "Playable before enrolment."})
    content = fields.Raw(
        metadata={"description": 'The type\'s fields, e.g. {"markdown": "..."} for text.'}
    )


class ProgressIn(Schema):
    position = fields.Raw(metadata={"description": "Where the player is now, in seconds."})
    watched_seconds = fields.Raw(metadata={"description": "Seconds watched so far (total)."})


class FileIn(Schema):
    file = Upload(
        required=True, metadata={"description": "PDF, Word, slides, spreadsheet or image."}
    )


class LessonSummary(Schema):
    id = fields.Integer()
    section_id = fields.Integer()
    type = fields.String()
    type_label = fields.String()
    title = fields.String()
    duration_seconds = fields.Integer()
    position = fields.Integer()
    status = fields.String()
    free_preview = fields.Boolean()
    type_installed = fields.Boolean(
        metadata={
            "description": "False when no installed plugin provides the lesson's type "
            "(students do not see such lessons; only staff get them)."
        }
    )
    completed = fields.Boolean(allow_none=True, metadata={"description": "For enrolled students."})


class SectionOut(Schema):
    id = fields.Integer()
    course_slug = fields.String()
    title = fields.String()
    position = fields.Integer()
    lessons = fields.List(fields.Nested(LessonSummary))


class ProgressOut(Schema):
    lesson_id = fields.Integer()
    started_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    completed = fields.Boolean()
    position = fields.Integer()
    watched_seconds = fields.Integer()
    last_seen_at = fields.DateTime(allow_none=True)
    course_progress = fields.Integer(allow_none=True)


class LessonOut(LessonSummary):
    course_slug = fields.String()
    description = fields.String()
    completion = fields.String(
        allow_none=True,
        metadata={"description": "manual, watched or external (null: type not installed)"},
    )
    content = fields.Dict(allow_none=True)
    file_url = fields.String(
        allow_none=True, metadata={"description": "Signed, expiring download URL (file lessons)."}
    )
    progress = fields.Nested(ProgressOut, allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class FileUrlOut(Schema):
    url = fields.String()
    view_url = fields.String(allow_none=True)
    filename = fields.String()
    expires_in = fields.Integer()


class SectionList(Schema):
    items = fields.List(fields.Nested(SectionOut))
    total = fields.Integer()


class LessonList(Schema):
    items = fields.List(fields.Nested(LessonSummary))
    total = fields.Integer()
