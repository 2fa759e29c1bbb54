"""lms-live-classes: scheduled live classes with exact seats, presence and attendance.

This module is the plugin's public API; other plugins import only what
``__all__`` lists. Services flush and send signals; the caller commits.

- Scheduling: ``create_class``, ``update_class``, ``cancel_class``, ``start_class``,
  ``end_class`` (each checks the actor: the course's instructors or an admin),
  ``get_class``; refusals raise ``LiveClassError``.
- Attendance: ``class_attendance(live_class)`` (every student of the course, with
  minutes, share and status), ``rules_for(course_id)``.
- Signals: ``class_scheduled``, ``class_started``, ``class_ended``, ``class_cancelled``.
"""

from lms_live_classes.attendance import (
    ABSENT,
    LATE,
    LEFT_EARLY,
    PRESENT,
    StudentAttendance,
    class_attendance,
    rules_for,
)
from lms_live_classes.models import CANCELLED, ENDED, LIVE, SCHEDULED, LiveClass
from lms_live_classes.scheduling import (
    LiveClassError,
    cancel_class,
    create_class,
    end_class,
    get_class,
    start_class,
    update_class,
)
from lms_live_classes.signals import (
    class_cancelled,
    class_ended,
    class_scheduled,
    class_started,
)

__all__ = [
    "ABSENT",
    "CANCELLED",
    "ENDED",
    "LATE",
    "LEFT_EARLY",
    "LIVE",
    "PRESENT",
    "SCHEDULED",
    "LiveClass",
    "LiveClassError",
    "StudentAttendance",
    "cancel_class",
    "class_attendance",
    "class_cancelled",
    "class_ended",
    "class_scheduled",
    "class_started",
    "create_class",
    "end_class",
    "get_class",
    "rules_for",
    "start_class",
    "update_class",
]
