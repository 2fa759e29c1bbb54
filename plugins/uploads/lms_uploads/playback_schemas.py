"""API schemas of playback and captions (what they accept and answer, for OpenAPI)."""

from __future__ import annotations

from marshmallow import Schema, fields


class CaptionIn(Schema):
    # Raw fields: the captions module checks them itself, with messages for people.
    language = fields.Raw(metadata={"description": "BCP 47 language code, like en, fr or pt-BR."})
    label = fields.Raw(metadata={"description": "Name in the captions menu (optional)."})


class CaptionOut(Schema):
    id = fields.Integer()
    language = fields.String()
    label = fields.String()
    url = fields.String(
        allow_none=True, metadata={"description": "The WebVTT file (for who may play)."}
    )
    converted_from_srt = fields.Boolean(metadata={"description": "Uploads only."})


class CaptionList(Schema):
    items = fields.List(fields.Nested(CaptionOut))
    total = fields.Integer()


class CaptionTrack(Schema):
    id = fields.Integer()
    language = fields.String()
    label = fields.String()
    url = fields.String()


class PlaybackOut(Schema):
    video_id = fields.Integer()
    lesson_id = fields.Integer()
    master_url = fields.String(metadata={"description": "HLS master playlist (m3u8)."})
    expires_in = fields.Integer(metadata={"description": "Seconds the URLs stay valid."})
    renditions = fields.List(fields.String(), metadata={"description": "Highest first."})
    duration_seconds = fields.Float(allow_none=True)
    poster_url = fields.String(allow_none=True)
    captions = fields.List(fields.Nested(CaptionTrack))
