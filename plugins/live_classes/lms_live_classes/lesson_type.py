"""The "live class" lesson type: a lesson of the syllabus that a class completes.

Completion is EXTERNAL: no "mark as complete" button; when a class linked to
the lesson ends, every student who attended it (present, or late but there)
completes the lesson (``attendance.complete_linked_lesson``).
"""

from __future__ import annotations

from typing import Any

from lms_lessons import EXTERNAL, LessonType, register_lesson_type

from lms.i18n import _l

NAME = "live_class"


def player_context(lesson: Any, course: Any, user: Any) -> dict[str, Any]:
    from lms_live_classes import queries
    from lms_live_classes.timezones import viewer_zone

    return {"live_classes": queries.classes_of_lesson(lesson.id), "live_zone": viewer_zone(user)}


def register(plugin: Any) -> None:
    register_lesson_type(
        plugin.app,
        LessonType(
            name=NAME,
            label=_l("Live class"),
            description=_l(
                "A live session with the instructor; attending it completes the lesson."
            ),
            player_template="live_classes/lesson_player.html",
            completion=EXTERNAL,
            completion_hint=_l("Attend the live class to complete this lesson."),
            player_context=player_context,
        ),
    )
