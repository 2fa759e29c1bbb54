"""Tell people what concerns them: reviewers, a course's instructors, a certified student."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lms.extensions import db
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


def on_course_submitted(course: Course, *, by: User, **_: Any) -> None:
    for reviewer in reviewers():
        if reviewer.id != by.id:
            notify(
                reviewer,
                "catalog.course_submitted",
                f"Course to review: {course.title}",
                f"{by.display_name} submitted it for review.",
                path_for("catalog.moderation"),
                course_id=course.id,
            )


def _tell_instructors(
    course: Course, by: User, kind: str, title: str, body: str, link: str
) -> None:
    for instructor in course.instructors:
        if instructor.id != by.id:  # nobody needs telling what they just did
            notify(instructor, kind, title, body, link, email=True, course_id=course.id)


def on_course_published(course: Course, *, by: User, **_: Any) -> None:
    _tell_instructors(
        course,
        by,
        "catalog.course_published",
        f"{course.title} is published",
        "Students can now find it in the catalog and enrol.",
        path_for("catalog.course", slug=course.slug),
    )


def on_course_rejected(course: Course, *, by: User, feedback: str, **_: Any) -> None:
    _tell_instructors(
        course,
        by,
        "catalog.course_rejected",
        f"Changes requested for {course.title}",
        f"The reviewer wrote: {feedback}",
        path_for("catalog.edit_course", slug=course.slug),
    )


def on_certificate_issued(certificate: Certificate, **_: Any) -> None:
    enrollment = certificate.enrollment
    notify(
        enrollment.user,
        "catalog.certificate_issued",
        f"Your certificate for {enrollment.course.title}",
        "Congratulations on completing the course. View, print or share your certificate.",
        path_for("catalog.certificate", code=certificate.code),
        email=True,
        certificate_id=certificate.id,
    )
