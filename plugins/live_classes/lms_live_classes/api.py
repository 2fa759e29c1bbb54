"""JSON API under /api/v1/live: classes (CRUD for staff, list and detail for students),
attendance (JSON and CSV), attendance rules and calendar files. Join, leave and the
waitlist live in room_api.py on the same blueprint.

Who may call is settled before any body is read (``check_first``): a student
gets 403 on a staff operation, never a 422 that describes the body.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Response
from flask.views import MethodView

from lms.api import ApiBlueprint, require_user
from lms.extensions import db
from lms.i18n import _
from lms.permissions import check_first
from lms_live_classes import attendance, calendar, queries, scheduling
from lms_live_classes.models import ENDED, LiveClass
from lms_live_classes.scheduling import LiveClassError
from lms_live_classes.schemas import (
    LiveAttendanceList,
    LiveClassIn,
    LiveClassList,
    LiveClassListArgs,
    LiveClassOut,
    LiveHistoryList,
    LiveRulesIO,
)
from lms_live_classes.serialize import attendance_json, class_json

blp = ApiBlueprint(
    "live_classes_api",
    __name__,
    url_prefix="/live",
    description="Live classes: schedule, attendance, calendar, seats and waitlist.",
)


# --- lookups and permission checks --------------------------------------------------------


def _course(course_id: int) -> Any:
    from lms_catalog import get_course

    course = get_course(course_id)
    if course is None or course.deleted_at is not None:
        raise LiveClassError(_("This course does not exist."), code="not_found", status=404)
    return course


def _forbidden(message: str | None = None) -> LiveClassError:
    message = message or _("Only the course's instructors can do this.")
    return LiveClassError(message, code="forbidden", status=403)


def _viewable_course(course_id: int) -> Any:
    user = require_user()
    course = _course(course_id)
    if not (scheduling.is_staff(user, course) or scheduling.is_student(user, course)):
        raise _forbidden(_("Enrol in this course to see its live classes."))
    return course


def _managed_course(course_id: int) -> Any:
    user = require_user()
    course = _course(course_id)
    if not scheduling.can_manage(user, course):
        raise _forbidden()
    return course


def _viewable_class(class_id: int) -> LiveClass:
    user = require_user()
    live_class = scheduling.get_class(class_id)
    scheduling.require_view(user, live_class)
    return live_class


def _managed_class(class_id: int) -> LiveClass:
    user = require_user()
    live_class = scheduling.get_class(class_id)
    if not scheduling.can_manage(user, scheduling.course_of(live_class)):
        raise _forbidden()
    return live_class


def _attendance_class(class_id: int) -> LiveClass:
    user = require_user()
    live_class = scheduling.get_class(class_id)
    if not scheduling.can_view_attendance(user, scheduling.course_of(live_class)):
        raise _forbidden(_("Only the course's staff can see the attendance."))
    return live_class


def _parse_start(value: Any) -> datetime:
    """An ISO 8601 date-time with an offset, as an aware UTC datetime (else a 422)."""
    message = _(
        "Give the start as an ISO 8601 date and time with its offset, e.g. %(example)s.",
        example="2030-05-01T18:00:00+02:00",
    )
    if not isinstance(value, str) or len(value) > 64:
        raise scheduling.invalid_field("starts_at", message)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise scheduling.invalid_field("starts_at", message) from None
    if parsed.tzinfo is None:
        raise scheduling.invalid_field("starts_at", message)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise scheduling.invalid_field(
            "starts_at",
            _("Give a date between the years %(low)d and %(high)d.", low=2000, high=9000),
        ) from None


def _class_data(body: dict[str, Any]) -> dict[str, Any]:
    data = dict(body)
    if data.get("starts_at") is not None:
        data["starts_at"] = _parse_start(data["starts_at"])
    return data


# --- a course's classes --------------------------------------------------------------------


@blp.route("/courses/<int:course_id>/classes")
class CourseClasses(MethodView):
    @blp.errors(403)
    @check_first(_viewable_course)
    @blp.arguments(LiveClassListArgs, location="query")
    @blp.response(200, LiveClassList)
    def get(self, args: dict[str, Any], course_id: int) -> dict[str, Any]:
        """List a course's classes (its staff and enrolled students): upcoming, past or all."""
        course = _viewable_course(course_id)
        ids = {course.id}
        items: list[LiveClass] = []
        if args["when"] in ("upcoming", "all"):
            items += queries.classes_of_courses(ids, queries.UPCOMING)
        if args["when"] in ("past", "all"):
            items += queries.classes_of_courses(ids, queries.PAST)
        return {"items": [class_json(c) for c in items], "total": len(items)}

    @blp.errors(403, 422)
    @check_first(_managed_course)
    @blp.arguments(LiveClassIn)
    @blp.response(201, LiveClassOut)
    def post(self, data: dict[str, Any], course_id: int) -> dict[str, Any]:
        """Schedule a class (the course's instructors, admins)."""
        course = _managed_course(course_id)
        live_class = scheduling.create_class(course, require_user(), _class_data(data))
        db.session.commit()
        return class_json(live_class)


# --- one class -----------------------------------------------------------------------------


@blp.route("/classes/<int:class_id>")
class ClassItem(MethodView):
    @blp.errors(403)
    @check_first(_viewable_class)
    @blp.response(200, LiveClassOut)
    def get(self, class_id: int) -> dict[str, Any]:
        """A class (its course's staff and enrolled students)."""
        return class_json(_viewable_class(class_id))

    @blp.errors(403, 409, 422)
    @check_first(_managed_class)
    @blp.arguments(LiveClassIn)
    @blp.response(200, LiveClassOut)
    def patch(self, data: dict[str, Any], class_id: int) -> dict[str, Any]:
        """Change a scheduled or live class; an ended or cancelled one answers 409."""
        live_class = _managed_class(class_id)
        scheduling.update_class(live_class, require_user(), _class_data(data))
        db.session.commit()
        return class_json(live_class)

    @blp.errors(403, 409)
    @check_first(_managed_class)
    @blp.response(204)
    def delete(self, class_id: int) -> None:
        """Remove a cancelled class for good (cancel it first; a class that took place
        keeps its attendance: 409)."""
        live_class = _managed_class(class_id)
        if live_class.status != "cancelled":
            raise LiveClassError(
                _("Only a cancelled class can be removed; cancel it first."),
                code="not_cancelled",
                status=409,
            )
        db.session.delete(live_class)
        db.session.commit()


def _change_state(class_id: int, change: Callable[[Any, Any], Any]) -> dict[str, Any]:
    live_class = _managed_class(class_id)
    change(live_class, require_user())
    db.session.commit()
    return class_json(live_class)


@blp.route("/classes/<int:class_id>/start")
class ClassStart(MethodView):
    @blp.errors(403, 409)
    @check_first(_managed_class)
    @blp.response(200, LiveClassOut)
    def post(self, class_id: int) -> dict[str, Any]:
        """Start a scheduled class: students may join from now on."""
        return _change_state(class_id, scheduling.start_class)


@blp.route("/classes/<int:class_id>/end")
class ClassEnd(MethodView):
    @blp.errors(403, 409)
    @check_first(_managed_class)
    @blp.response(200, LiveClassOut)
    def post(self, class_id: int) -> dict[str, Any]:
        """End a live class (its open attendance intervals close now)."""
        return _change_state(class_id, scheduling.end_class)


@blp.route("/classes/<int:class_id>/cancel")
class ClassCancel(MethodView):
    @blp.errors(403, 409)
    @check_first(_managed_class)
    @blp.response(200, LiveClassOut)
    def post(self, class_id: int) -> dict[str, Any]:
        """Cancel a scheduled class; its students are told in-app and by e-mail."""
        return _change_state(class_id, scheduling.cancel_class)


# --- attendance --------------------------------------------------------------------------


@blp.route("/classes/<int:class_id>/attendance")
class ClassAttendance(MethodView):
    @blp.errors(403)
    @check_first(_attendance_class)
    @blp.response(200, LiveAttendanceList)
    def get(self, class_id: int) -> dict[str, Any]:
        """Every student of the course with intervals, minutes, share and status (staff).
        Before the class has started everyone is absent."""
        live_class = _attendance_class(class_id)
        rows = attendance.class_attendance(live_class)
        rules = attendance.rules_for(live_class.course_id)
        return {
            "class_id": live_class.id,
            "status": live_class.status,
            "late_after_minutes": rules.late_after_minutes,
            "present_share": rules.present_share,
            "items": [attendance_json(r) for r in rows],
            "total": len(rows),
        }


@blp.route("/classes/<int:class_id>/attendance.csv")
class ClassAttendanceCsv(MethodView):
    @blp.errors(403, 409)
    @check_first(_attendance_class)
    @blp.response(200, {"type": "string"}, content_type="text/csv")
    def get(self, class_id: int) -> Response:
        """The attendance as CSV: one line per student of the course (staff; 409 before
        the class has started)."""
        live_class = _attendance_class(class_id)
        if live_class.started_at is None:
            raise LiveClassError(
                _("Attendance appears once the class has started."), code="not_started", status=409
            )
        body = attendance.to_csv(
            live_class, attendance.class_attendance(live_class), for_people=False
        )
        response = Response(body, mimetype="text/csv")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="attendance-class-{live_class.id}.csv"'
        )
        return response


def _rules_json(rules: attendance.Rules) -> dict[str, int]:
    return {"late_after_minutes": rules.late_after_minutes, "present_share": rules.present_share}


@blp.route("/courses/<int:course_id>/attendance-rules")
class CourseRules(MethodView):
    @blp.errors(403)
    @check_first(_managed_course)
    @blp.response(200, LiveRulesIO)
    def get(self, course_id: int) -> dict[str, Any]:
        """The course's attendance rules (its instructors)."""
        rules = attendance.rules_for(_managed_course(course_id).id)
        return {
            "late_after_minutes": rules.late_after_minutes,
            "present_share": rules.present_share,
        }

    @blp.errors(403, 422)
    @check_first(_managed_course)
    @blp.arguments(LiveRulesIO)
    @blp.response(200, LiveRulesIO)
    def put(self, data: dict[str, Any], course_id: int) -> dict[str, Any]:
        """Set the course's attendance rules."""
        course = _managed_course(course_id)
        rules = attendance.set_rules(
            course, require_user(), data.get("late_after_minutes"), data.get("present_share")
        )
        db.session.commit()
        return {
            "late_after_minutes": rules.late_after_minutes,
            "present_share": rules.present_share,
        }


# --- the user's own ----------------------------------------------------------------------


@blp.route("/my-classes")
class MyClasses(MethodView):
    @blp.arguments(LiveClassListArgs, location="query")
    @blp.response(200, LiveClassList)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The classes of the courses the user studies or teaches."""
        ids = queries.user_course_ids(require_user())
        items: list[LiveClass] = []
        if args["when"] in ("upcoming", "all"):
            items += queries.classes_of_courses(ids, queries.UPCOMING)
        if args["when"] in ("past", "all"):
            items += queries.classes_of_courses(ids, queries.PAST)
        return {"items": [class_json(c) for c in items], "total": len(items)}


@blp.route("/my-attendance")
class MyAttendance(MethodView):
    @blp.response(200, LiveHistoryList)
    def get(self) -> dict[str, Any]:
        """The user's attendance of every ended class of their courses, newest first."""
        history = attendance.student_history(require_user())
        items = [
            {
                "live_class": class_json(c),
                "course_title": course.title if course else "",
                "attendance": attendance_json(a),
            }
            for c, course, a in history
            if c.status == ENDED
        ]
        return {"items": items, "total": len(items)}


# --- calendar ----------------------------------------------------------------------------


@blp.route("/classes/<int:class_id>/calendar.ics")
class ClassCalendar(MethodView):
    @blp.errors(403)
    @check_first(_viewable_class)
    @blp.response(200, {"type": "string"}, content_type="text/calendar")
    def get(self, class_id: int) -> Response:
        """The class as an iCalendar file."""
        live_class = _viewable_class(class_id)
        body = calendar.calendar_file(
            [(live_class, scheduling.course_of(live_class))], live_class.title
        )
        response = Response(body, mimetype="text/calendar")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="live-class-{live_class.id}.ics"'
        )
        return response
