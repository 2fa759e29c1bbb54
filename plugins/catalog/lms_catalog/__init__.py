"""lms-catalog: courses, categories, the public catalog, enrolment and certificates.

This module is the plugin's public API: other plugins import only what
``__all__`` lists. Services flush and send signals; the caller commits.

Template hooks and signals: see docs/hooks-and-signals.md in the repository.
"""

from lms_catalog.models import (
    LEVELS,
    Category,
    Certificate,
    Course,
    CourseInstructor,
    CourseSlugRedirect,
    Enrollment,
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

__all__ = [
    "LEVELS",
    "CatalogError",
    "Category",
    "Certificate",
    "Course",
    "CourseInstructor",
    "CourseSlugRedirect",
    "Enrollment",
    "certificate_issued",
    "course_completed",
    "course_published",
    "course_rejected",
    "course_submitted",
    "enroll",
    "enrollment_completed",
    "get_certificate",
    "get_course",
    "get_course_by_slug",
    "get_enrollment",
    "is_enrolled",
    "paid_enrollment_requested",
    "set_course_progress",
    "set_course_rating",
    "touch_last_lesson",
    "unenroll",
    "user_enrolled",
    "user_unenrolled",
]
