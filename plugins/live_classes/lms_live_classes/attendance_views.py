"""Pages: a class's attendance table and CSV, a course's rules, a student's own history."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, url_for
from flask_login import current_user

from lms.extensions import db
from lms.i18n import _, _l
from lms.permissions import login_required
from lms_live_classes import attendance, scheduling
from lms_live_classes.blueprint import bp
from lms_live_classes.forms import RulesForm
from lms_live_classes.timezones import viewer_zone
from lms_live_classes.views import STAFF_ONLY, _class_or_404, _course_or_404, _forbid_unless

NOT_STARTED = _l("Attendance appears once the class has started.")


def _attendance_of(class_id: int) -> tuple[Any, Any]:
    live_class = _class_or_404(class_id)
    course = _course_or_404(live_class.course_id)
    _forbid_unless(
        scheduling.can_view_attendance(current_user, course),
        _("Only the course's staff can see the attendance."),
    )
    return live_class, course


@bp.route("/classes/<int:class_id>/attendance")
@login_required
def attendance_table(class_id: int) -> str:
    live_class, course = _attendance_of(class_id)
    rows = attendance.class_attendance(live_class) if live_class.started_at else []
    counts = {status: 0 for status in attendance.STATUS_LABELS}
    for row in rows:
        counts[row.status] += 1
    return render_template(
        "live_classes/attendance.html",
        live_class=live_class,
        course=course,
        rows=rows,
        counts=counts,
        labels=attendance.STATUS_LABELS,
        rules=attendance.rules_for(course.id),
        started=live_class.started_at is not None,
        can_manage=scheduling.can_manage(current_user, course),
        zone=viewer_zone(current_user),
    )


@bp.route("/classes/<int:class_id>/attendance.csv")
@login_required
def attendance_csv(class_id: int) -> Response:
    live_class, _course = _attendance_of(class_id)
    if live_class.started_at is None:
        raise scheduling.LiveClassError(NOT_STARTED, code="not_started", status=409)
    body = attendance.to_csv(live_class, attendance.class_attendance(live_class))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="attendance-class-{live_class.id}.csv"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/courses/<int:course_id>/attendance-rules", methods=["GET", "POST"])
@login_required
def rules(course_id: int) -> Any:
    course = _course_or_404(course_id)
    _forbid_unless(scheduling.can_manage(current_user, course), STAFF_ONLY)
    current = attendance.rules_for(course.id)
    form = RulesForm(
        data={
            "late_after_minutes": current.late_after_minutes,
            "present_share": current.present_share,
        }
    )
    if form.validate_on_submit():
        try:
            attendance.set_rules(
                course, current_user, form.late_after_minutes.data, form.present_share.data
            )
        except attendance.RulesError as exc:
            db.session.rollback()
            for name, messages in (exc.fields or {}).items():
                getattr(form, name).errors = [*getattr(form, name).errors, *messages]
        else:
            db.session.commit()
            flash(_("The attendance rules are saved."), "success")
            return redirect(url_for("live_classes.course_classes", course_id=course.id))
    status = 422 if form.errors else 200
    return render_template("live_classes/rules.html", form=form, course=course), status


@bp.route("/my-attendance")
@login_required
def my_attendance() -> str:
    return render_template(
        "live_classes/my_attendance.html",
        history=attendance.student_history(current_user),
        zone=viewer_zone(current_user),
    )
