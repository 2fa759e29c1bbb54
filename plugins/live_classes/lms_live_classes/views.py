"""Pages: a course's classes, a class, scheduling and editing, my classes, calendars."""

from __future__ import annotations

from flask import render_template

from lms.permissions import login_required
from lms_live_classes.blueprint import bp


@bp.route("/my-classes")
@login_required
def my_classes() -> str:
    return render_template("live_classes/my_classes.html", upcoming=[], past=[])
