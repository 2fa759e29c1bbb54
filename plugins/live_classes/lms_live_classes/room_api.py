"""Seats over the JSON API: join, leave and the waitlist of a live class.

A seat taken here without a Socket.IO connection is held for the presence
grace period only, like a tab that closed: the room page (or a client of the
``/live`` namespace) keeps it by being connected.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_login import current_user

from lms.permissions import login_required
from lms_live_classes import joining
from lms_live_classes.api import blp
from lms_live_classes.room_schemas import SeatOut, WaitlistOut
from lms_live_classes.scheduling import get_class


def _class_and_role(class_id: int) -> tuple[Any, str]:
    live_class = get_class(class_id)
    return live_class, joining.room_role(current_user, live_class)


@blp.route("/classes/<int:class_id>/join")
class JoinClass(MethodView):
    @blp.errors(403, 409)
    @login_required
    @blp.response(200, SeatOut)
    def post(self, class_id: int) -> dict[str, Any]:
        """Take a seat in a live class, or a place on its waitlist (students; staff take none)."""
        live_class, role = _class_and_role(class_id)
        answer = joining.join(live_class, current_user, role)
        if role == joining.STUDENT:
            joining.presence_for(live_class).expect(current_user.id)
        return answer


@blp.route("/classes/<int:class_id>/leave")
class LeaveClass(MethodView):
    @blp.errors(403, 409)
    @login_required
    @blp.response(200, SeatOut)
    def post(self, class_id: int) -> dict[str, Any]:
        """Give back a seat, an offered seat or a waitlist place; the next student is offered it."""
        live_class, role = _class_and_role(class_id)
        if role == joining.STAFF:
            return joining.join(live_class, current_user, role)
        return joining.leave(live_class, current_user)


@blp.route("/classes/<int:class_id>/waitlist")
class Waitlist(MethodView):
    @blp.errors(403, 409)
    @login_required
    @blp.response(200, WaitlistOut)
    def get(self, class_id: int) -> dict[str, Any]:
        """The caller's place and the waitlist's length; the whole list for course staff."""
        live_class, role = _class_and_role(class_id)
        if role == joining.STAFF:
            me = joining.join(live_class, current_user, role)
        else:
            me = joining.current_status(live_class, current_user)
        roster = joining.roster(live_class)
        entries = []
        if role == joining.STAFF:
            entries = [
                {"position": i, "user_id": p["id"], "name": p["name"]}
                for i, p in enumerate(roster["waitlist"], start=1)
            ]
        return {
            "class_id": live_class.id,
            "seats": live_class.seats,
            "seated": len(roster["seated"]),
            "waiting": len(roster["waitlist"]),
            "me": me,
            "entries": entries,
        }
