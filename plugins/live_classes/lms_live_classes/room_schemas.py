"""Schemas of the join, leave and waitlist API (room_api.py)."""

from __future__ import annotations

from marshmallow import Schema, fields


class SeatOut(Schema):
    class_id = fields.Integer(required=True)
    state = fields.String(
        required=True,
        metadata={"description": 'One of "seated", "offered", "waiting", "none" or "staff".'},
    )
    position = fields.Integer(
        required=True, metadata={"description": "Place on the waitlist (1 = next); 0 if none."}
    )
    offer_expires_in = fields.Integer(
        required=True, metadata={"description": "Seconds left to take an offered seat."}
    )
    seats = fields.Integer(required=True)


class WaitlistEntry(Schema):
    position = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    name = fields.String(required=True)


class WaitlistOut(Schema):
    class_id = fields.Integer(required=True)
    seats = fields.Integer(required=True)
    seated = fields.Integer(required=True, metadata={"description": "Seats taken."})
    waiting = fields.Integer(required=True, metadata={"description": "Students waiting."})
    me = fields.Nested(SeatOut, required=True, metadata={"description": "The caller's place."})
    entries = fields.List(
        fields.Nested(WaitlistEntry),
        required=True,
        metadata={"description": "The waitlist in order (course staff only; empty for others)."},
    )
