"""Changing a course's staff: add, remove, change a role, transfer ownership.

Only the owner or someone who manages every course (admins) may change the
staff; anyone may leave a course's staff, except the owner, who transfers
ownership first. Each change is recorded (`CourseStaffChange`). Services
flush; the caller commits.
"""

from __future__ import annotations

import logging
from typing import Any

from lms.extensions import db
from lms.i18n import _
from lms.models import User
from lms_catalog.models import Course, CourseInstructor, CourseStaffChange
from lms_catalog.roles import (
    ASSISTANT,
    INSTRUCTOR,
    OWNER,
    ROLE_LABELS,
    STAFF_ROLES,
    course_permission,
)
from lms_catalog.services import CatalogError

log = logging.getLogger(__name__)


def _refuse(message: str) -> CatalogError:
    return CatalogError(message, code="forbidden", status=403)


def _require_manager(course: Course, actor: Any) -> None:
    if not course_permission(actor, course, "manage_staff"):
        raise _refuse(_("Only the course's owner or an admin can change its staff."))


def _check_role(role: str) -> str:
    if role not in STAFF_ROLES:
        message = _(
            "Choose %(instructor)s or %(assistant)s.",
            instructor=repr(INSTRUCTOR),
            assistant=repr(ASSISTANT),
        )
        raise CatalogError.invalid("role", message)
    return role


def _check_can_hold(user: User, role: str) -> None:
    if not user.is_active:
        raise CatalogError.invalid(
            "user", _("%(name)s's account is not active.", name=user.display_name)
        )
    if role == INSTRUCTOR and not user.is_instructor:
        raise CatalogError.invalid(
            "role",
            _(
                "%(name)s is not an instructor on this site; add them as a teaching assistant, "
                "or approve their instructor application first.",
                name=user.display_name,
            ),
        )


def _link(course: Course, user_id: int) -> CourseInstructor:
    for link in course.instructor_links:
        if link.user_id == user_id:
            return link
    raise CatalogError(
        _("That person is not on this course's staff."), code="not_found", status=404
    )


def _record(
    course: Course, actor: Any, action: str, user_id: int, role: str | None, **extra: Any
) -> None:
    db.session.add(
        CourseStaffChange(
            course_id=course.id,
            actor_id=getattr(actor, "id", None),
            user_id=user_id,
            action=action,
            role=role,
            **extra,
        )
    )


def staff_role(course: Course, link: CourseInstructor) -> str:
    """Return the role to show for a staff link: "owner", "instructor" or "assistant"."""
    return OWNER if link.user_id == course.owner_id else link.role


def add_staff(course: Course, actor: Any, user: User, role: str = INSTRUCTOR) -> CourseInstructor:
    """Add `user` to the course's staff as `role` (owner or admin only)."""
    _require_manager(course, actor)
    _check_role(role)
    if user.id in course.instructor_ids:
        raise CatalogError(
            _("%(name)s is already on this course's staff.", name=user.display_name),
            code="conflict",
            status=409,
        )
    _check_can_hold(user, role)
    position = max((link.position for link in course.instructor_links), default=-1) + 1
    link = CourseInstructor(user_id=user.id, position=position, role=role)
    course.instructor_links.append(link)
    _record(course, actor, "added", user.id, role)
    db.session.flush()
    log.info("user %s added to course %s as %s by %s", user.id, course.id, role, actor.id)
    return link


def remove_staff(course: Course, actor: Any, user_id: int) -> None:
    """Remove someone from the staff (owner or admin; or the person themselves, leaving)."""
    link = _link(course, user_id)
    if user_id != getattr(actor, "id", None):
        _require_manager(course, actor)
    if user_id == course.owner_id:
        raise CatalogError(
            _("The owner cannot be removed from the course; transfer ownership first."),
            code="conflict",
            status=409,
        )
    course.instructor_links.remove(link)
    _record(course, actor, "removed", user_id, None)
    db.session.flush()
    log.info("user %s removed from course %s by %s", user_id, course.id, actor.id)


def set_staff_role(course: Course, actor: Any, user_id: int, role: str) -> CourseInstructor:
    """Make a staff member an instructor or an assistant (owner or admin only)."""
    _require_manager(course, actor)
    _check_role(role)
    link = _link(course, user_id)
    if user_id == course.owner_id:
        raise CatalogError(
            _("The owner's role cannot change; transfer ownership first."),
            code="conflict",
            status=409,
        )
    if link.role != role:
        _check_can_hold(link.user, role)
        link.role = role
        _record(course, actor, "role_changed", user_id, role)
        db.session.flush()
        log.info("user %s is now %s of course %s (by %s)", user_id, role, course.id, actor.id)
    return link


def transfer_ownership(course: Course, actor: Any, new_owner: User) -> None:
    """Make `new_owner` the course's owner; the former owner stays as an instructor.

    Only the owner or an admin may do it; the new owner must be an instructor
    on this site, and joins the staff as an instructor if needed.
    """
    _require_manager(course, actor)
    if new_owner.id == course.owner_id:
        raise CatalogError.invalid(
            "user_id", _("%(name)s already owns this course.", name=new_owner.display_name)
        )
    _check_can_hold(new_owner, INSTRUCTOR)
    former = course.owner_id
    links = {link.user_id: link for link in course.instructor_links}
    link = links.get(new_owner.id)
    if link is None:
        link = CourseInstructor(user_id=new_owner.id, role=INSTRUCTOR)
        course.instructor_links.append(link)
    link.role = INSTRUCTOR
    course.owner_id = new_owner.id
    # The owner is listed first; the others keep their order.
    ordered = [link, *(other for other in course.instructor_links if other is not link)]
    for position, member in enumerate(sorted(ordered[1:], key=lambda m: m.position), start=1):
        member.position = position
    link.position = 0
    _record(course, actor, "owner_transferred", new_owner.id, OWNER, former_owner_id=former)
    db.session.flush()
    log.info("course %s transferred from %s to %s by %s", course.id, former, new_owner.id, actor.id)


def role_label(role: str) -> str:
    """Return the role as people read it in the current language."""
    label = ROLE_LABELS.get(role)
    return str(label) if label is not None else role
