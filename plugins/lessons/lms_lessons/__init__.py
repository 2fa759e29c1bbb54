"""lms-lessons: sections, lessons, lesson types and progress.

This module is the plugin's public API; other plugins import only what
``__all__`` lists (docs/plugins.md, "Lessons", walks through it). To add a
lesson type, in your plugin's ``init()``::

    from lms.i18n import _l
    from lms_lessons import EXTERNAL, LessonType, register_lesson_type

    register_lesson_type(self.app, LessonType(
        name="quiz", label=_l("Quiz"), player_template="quiz/player.html",
        completion=EXTERNAL, completion_hint=_l("Pass the quiz to complete this lesson."),
        player_context=quiz_context,  # (lesson, course, user) -> template variables
    ))

(label, description and completion_hint are lazy strings, `_l`: they are shown in
the reader's language), and keep the type's own data in your own tables, with a foreign key to
``lessons_lessons.id`` (``ondelete="CASCADE"``). When the student passes,
``complete_lesson(user, lesson)`` completes the lesson (the caller commits).

Media players report progress with ``POST /api/v1/lessons/<id>/progress``
``{position, watched_seconds}``; a WATCHED lesson completes once its rule
(default: the ``lessons.watched_share`` setting, 90% of the duration) holds.

Signals: ``lesson_started``, ``lesson_completed``, ``lesson_deleted`` (see
``lms_lessons.signals``); the course's completion is ``lms_catalog.course_completed``.
"""

from lms_lessons.models import Lesson, Section
from lms_lessons.registry import (
    EXTERNAL,
    MANUAL,
    WATCHED,
    ContentError,
    ContentForm,
    LessonType,
    get_lesson_type,
    lesson_types,
    register_lesson_type,
    watched_share_rule,
)
from lms_lessons.services import LessonError, get_lesson
from lms_lessons.signals import lesson_completed, lesson_deleted, lesson_started
from lms_lessons.tracking import complete_lesson

__all__ = [
    "EXTERNAL",
    "MANUAL",
    "WATCHED",
    "ContentError",
    "ContentForm",
    "Lesson",
    "LessonError",
    "LessonType",
    "Section",
    "complete_lesson",
    "get_lesson",
    "get_lesson_type",
    "lesson_completed",
    "lesson_deleted",
    "lesson_started",
    "lesson_types",
    "register_lesson_type",
    "watched_share_rule",
]
