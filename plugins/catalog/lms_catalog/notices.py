"""Tell people what concerns them: reviewers, a course's instructors, a certified student.

Each notification (and its mail) is written in its recipient's language: the
texts are functions, called inside `user_locale()` for each person.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from lms.extensions import db
from lms.i18n import _, user_locale
from lms.models import Role, User
from lms.notifications import notify
from lms.urls import path_for
from lms_catalog.models import Certificate, Course


def reviewers() -> list[User]:
    """Return the people who decide on submitted courses (the school's active admins)."""
    return list(
        db.session.scalars(
            select(User).where(
                User.role == Role.ADMIN,
                User.is_deactivated.is_(False),
                User.is_banned.is_(False),
            )
        )
    )


def on_course_submitted(course: Course, *, by: User, **_kwargs: Any) -> None:
    for reviewer in reviewers():
        if reviewer.id != by.id:
            with user_locale(reviewer):
                notify(
                    reviewer,
                    "catalog.course_submitted",
                    _("Course to review: %(title)s", title=course.title),
                    _("%(name)s submitted it for review.", name=by.display_name),
                    path_for("catalog.moderation"),
                    course_id=course.id,
                )


def _tell_instructors(
    course: Course,
    by: User,
    kind: str,
    title: Callable[[], str],
    body: Callable[[], str],
    link: str,
) -> None:
    for instructor in course.instructors:
        if instructor.id != by.id:  # nobody needs telling what they just did
            with user_locale(instructor):
                notify(instructor, kind, title(), body(), link, email=True, course_id=course.id)


def on_course_published(course: Course, *, by: User, **_kwargs: Any) -> None:
    _tell_instructors(
        course,
        by,
        "catalog.course_published",
        lambda: _("%(title)s is published", title=course.title),
        lambda: _("Students can now find it in the catalog and enrol."),
        path_for("catalog.course", slug=course.slug),
    )


def on_course_rejected(course: Course, *, by: User, feedback: str, **_kwargs: Any) -> None:
    _tell_instructors(
        course,
        by,
        "catalog.course_rejected",
        lambda: _("Changes requested for %(title)s", title=course.title),
        lambda: _("The reviewer wrote: %(feedback)s", feedback=feedback),
        path_for("catalog.edit_course", slug=course.slug),
    )


def on_certificate_issued(certificate: Certificate, **_kwargs: Any) -> None:
    enrollment = certificate.enrollment
    with user_locale(enrollment.user):
        notify(
            enrollment.user,
            "catalog.certificate_issued",
            _("Your certificate for %(title)s", title=enrollment.course.title),
            _("Congratulations on completing the course. View, print or share your certificate."),
            path_for("catalog.certificate", code=certificate.code),
            email=True,
            certificate_id=certificate.id,
        )
