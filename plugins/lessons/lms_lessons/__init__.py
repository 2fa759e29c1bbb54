"""lms-lessons: sections, lessons, lesson types and progress.

This module is the plugin's public API; other plugins import only what
``__all__`` lists. To add a lesson type, in your plugin's ``init()``::

    from lms_lessons import LessonType, register_lesson_type, WATCHED

    register_lesson_type(self.app, LessonType(
        name="youtube", label="YouTube video",
        player_template="youtube/player.html", editor_form=YoutubeForm,
        completion=WATCHED,
    ))

Media players report progress with ``POST /api/v1/lessons/<id>/progress``
``{position, watched_seconds}``; a WATCHED lesson completes once its rule
(default: the ``lessons.watched_share`` setting, 90% of the duration) holds.
"""

from lms_lessons.registry import (
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

__all__ = [
    "MANUAL",
    "WATCHED",
    "ContentError",
    "ContentForm",
    "LessonType",
    "get_lesson_type",
    "lesson_types",
    "register_lesson_type",
    "watched_share_rule",
]
