"""What the plugin adds to other pages: the course page's box, the lesson type, a filter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template
from flask_login import current_user
from markupsafe import Markup

UPCOMING_ON_COURSE_PAGE = 3


def live_when(instant: datetime | None, zone: Any = None, fmt: str = "medium") -> str:
    """Template filter: a UTC time in `zone` (default: the viewer's), with Babel."""
    from lms_live_classes.timezones import format_when, viewer_zone

    return format_when(instant, zone or viewer_zone(current_user), fmt)


def course_box(course: Any, enrollment: Any = None, user: Any = None, **_: Any) -> str:
    """The course page, after the syllabus: the next classes, for its students and staff."""
    from lms_live_classes import queries, scheduling
    from lms_live_classes.timezones import viewer_zone

    staff = scheduling.is_staff(user, course)
    if not staff and not (enrollment is not None and enrollment.is_active):
        return ""
    upcoming = queries.classes_of_courses({course.id}, queries.UPCOMING)
    return Markup(  # noqa: S704 - our own rendered template
        render_template(
            "live_classes/_course_box.html",
            course=course,
            upcoming=upcoming[:UPCOMING_ON_COURSE_PAGE],
            can_manage=scheduling.can_manage(user, course),
            zone=viewer_zone(user),
        )
    )


def register_hooks(plugin: Any) -> None:
    """Called from the plugin's init(): no database, no network."""
    from lms_live_classes import lesson_type

    plugin.app.add_template_filter(live_when, "live_when")
    plugin.template_hook("course-after-syllabus", course_box)
    lesson_type.register(plugin)
