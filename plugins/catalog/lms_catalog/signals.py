"""Signals of the catalog. Connect receivers in your Plugin.init() with ``self.connect()``.

Receivers run inside the request or job that sent the signal, before it
commits: use ``lms.commit.on_commit`` (or ``lms.tasks.enqueue``, which uses
it) for work that must wait for the commit.
"""

from blinker import Namespace

_signals = Namespace()

#: An instructor sent a course for review. sender: the Course. kwargs: by (the User).
course_submitted = _signals.signal("catalog-course-submitted")

#: A course became visible in the catalog (approved by an admin, or published
#: directly by one). sender: the Course. kwargs: by (the User who approved).
course_published = _signals.signal("catalog-course-published")

#: A course was sent back to draft by a reviewer. sender: the Course.
#: kwargs: by (the reviewer), feedback (str).
course_rejected = _signals.signal("catalog-course-rejected")

#: A user enrolled in a course (also sent when an unenrolled user comes back).
#: sender: the Enrollment. kwargs: via ("web", "api", "payment", "demo").
user_enrolled = _signals.signal("catalog-user-enrolled")

#: A user left a course. sender: the Enrollment.
user_unenrolled = _signals.signal("catalog-user-unenrolled")

#: A student completed a course: their enrolment reached 100% (once per
#: enrolment, just before its certificate is issued). sender: the Enrollment.
course_completed = _signals.signal("catalog-course-completed")

#: The same signal under its first name (kept so that existing receivers work).
enrollment_completed = course_completed

#: A certificate was issued for a completed enrolment. sender: the Certificate.
certificate_issued = _signals.signal("catalog-certificate-issued")

#: A user asked to enrol in a paid course. sender: the Course. kwargs: user.
#: A payment plugin answers by returning a URL to its checkout page (the
#: catalog redirects there, or returns it to API clients with 402); once paid,
#: it calls ``lms_catalog.enroll(user, course, via="payment")``. With no
#: receiver answering, the catalog refuses the enrolment with a clear message.
paid_enrollment_requested = _signals.signal("catalog-paid-enrollment-requested")
