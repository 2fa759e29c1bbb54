"""lms-catalog: courses, categories, the public catalog, enrolment and certificates.

This module is the plugin's public API: other plugins import only what
``__all__`` lists. Services flush and send signals; the caller commits.

Template hooks and signals: see docs/hooks-and-signals.md in the repository.

Who may do what in a course: ``course_permission(user, course, action)`` with
action "view", "edit", "grade", "moderate", "view_progress" or "manage_staff"
(see lms_catalog.roles); plugins ask it rather than checking roles themselves.
"""

from lms_catalog.models import (
    LEVELS,
    Category,
    Certificate,
    Course,
    CourseInstructor,
    CourseSlugRedirect,
    CourseStaffChange,
    Enrollment,
    level_label,
    status_label,
)
from lms_catalog.roles import (
    ASSISTANT,
    COURSE_ACTIONS,
    INSTRUCTOR,
    OWNER,
    STAFF_ROLES,
    course_permission,
    course_role,
)
from lms_catalog.services import (
    CatalogError,
    enroll,
    get_certificate,
    get_course,
    get_course_by_slug,
    get_enrollment,
    is_enrolled,
    set_course_progress,
    set_course_rating,
    touch_last_lesson,
    unenroll,
)
from lms_catalog.signals import (
    certificate_issued,
    course_completed,
    course_published,
    course_rejected,
    course_submitted,
    enrollment_completed,
    paid_enrollment_requested,
    user_enrolled,
    user_unenrolled,
)
from lms_catalog.staff import add_staff, remove_staff, set_staff_role, transfer_ownership

__all__ = [
    "ASSISTANT",
    "COURSE_ACTIONS",
    "INSTRUCTOR",
    "LEVELS",
    "OWNER",
    "STAFF_ROLES",
    "CatalogError",
    "Category",
    "Certificate",
    "Course",
    "CourseInstructor",
    "CourseSlugRedirect",
    "CourseStaffChange",
    "Enrollment",
    "add_staff",
    "certificate_issued",
    "course_completed",
    "course_permission",
    "course_published",
    "course_rejected",
    "course_role",
    "course_submitted",
    "enroll",
    "enrollment_completed",
    "get_certificate",
    "get_course",
    "get_course_by_slug",
    "get_enrollment",
    "is_enrolled",
    "level_label",
    "paid_enrollment_requested",
    "remove_staff",
    "set_course_progress",
    "set_course_rating",
    "set_staff_role",
    "status_label",
    "touch_last_lesson",
    "transfer_ownership",
    "unenroll",
    "user_enrolled",
    "user_unenrolled",
]
