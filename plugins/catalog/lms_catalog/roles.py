"""Who may do what in one course: the course's staff roles and the one check that reads them.

A course has an owner, co-instructors and teaching assistants. The owner
decides who teaches; instructors build the course; assistants help with
students (grade, moderate discussions, follow progress) but do not edit the
course. People holding the site permission "catalog.manage_courses" (admins)
may do everything in every course. Every check of the catalog, and of the
plugins built on it, goes through `course_permission()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from lms.i18n import _l
from lms.permissions import has_permission

if TYPE_CHECKING:
    from lms_catalog.models import Course

OWNER = "owner"
INSTRUCTOR = "instructor"
ASSISTANT = "assistant"
#: The roles a staff member can be given (the owner is one of the instructors).
STAFF_ROLES = (INSTRUCTOR, ASSISTANT)
ROLE_LABELS = {
    OWNER: _l("Owner"),
    INSTRUCTOR: _l("Instructor"),
    ASSISTANT: _l("Teaching assistant"),
}

CourseAction = Literal["view", "edit", "grade", "moderate", "view_progress", "manage_staff"]
COURSE_ACTIONS: tuple[str, ...] = (
    "view",
    "edit",
    "grade",
    "moderate",
    "view_progress",
    "manage_staff",
)

_ROLE_ACTIONS: dict[str, frozenset[str]] = {
    OWNER: frozenset(COURSE_ACTIONS),
    # Co-instructors build the course; changing who teaches is the owner's call.
    INSTRUCTOR: frozenset({"view", "edit", "grade", "moderate", "view_progress"}),
    ASSISTANT: frozenset({"view", "grade", "moderate", "view_progress"}),
}


def _signed_in(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
    )


def manages_all_courses(user: Any) -> bool:
    """Return whether `user` may act in every course (admins, or a role granted it)."""
    return _signed_in(user) and has_permission("catalog.manage_courses", user)


def course_role(user: Any, course: Course) -> str | None:
    """Return `user`'s role in `course`: "owner", "instructor", "assistant" or None."""
    if not _signed_in(user):
        return None
    if course.owner_id is not None and course.owner_id == user.id:
        return OWNER
    for link in course.instructor_links:
        if link.user_id == user.id:
            return link.role
    return None


def course_permission(user: Any, course: Course, action: CourseAction | str) -> bool:
    """Return whether `user` may do `action` in `course`.

    Actions: "view" (drafts included for staff), "edit" (the course and its
    lessons), "grade", "moderate" (its discussions), "view_progress" (its
    students' progress), "manage_staff" (add, remove and change staff, transfer
    ownership).
    """
    if action not in COURSE_ACTIONS:
        raise ValueError(f"unknown course action {action!r}; actions are {COURSE_ACTIONS}")
    if course.deleted_at is not None:
        # Nobody works in a deleted course; those who can restore it may still look.
        return action == "view" and manages_all_courses(user)
    if action == "view" and course.status == "published":
        return True
    if manages_all_courses(user):
        return True
    role = course_role(user, course)
    return role is not None and action in _ROLE_ACTIONS[role]
