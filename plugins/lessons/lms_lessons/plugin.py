"""The contract: one Plugin subclass the entry point names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint

from lms.i18n import _, _l
from lms.plugins import Plugin
from lms.settings import SettingSpec
from lms_lessons.registry import register_lesson_type


def _duration(seconds: int | None) -> str:
    """Format a duration for people: "45 s", "12 min", "1 h 05 min" (in the page's language)."""
    from flask_babel import format_number

    seconds = int(seconds or 0)
    if seconds < 60:
        return _("%(seconds)s s", seconds=format_number(seconds))
    minutes = (seconds + 30) // 60
    if minutes < 60:
        return _("%(minutes)s min", minutes=format_number(minutes))
    return _(
        "%(hours)s h %(minutes)s min",
        hours=format_number(minutes // 60),
        minutes=f"{minutes % 60:02d}",
    )


class LessonsPlugin(Plugin):
    """Lessons

    Ordered sections and lessons of a course, lesson types that other plugins
    extend (text and file ship here), student progress and course completion.
    """

    # The plugin's name on the settings page, in the reader's language.
    label = _l("Lessons")

    requires = ("catalog",)
    default_settings = {
        "watched_share": SettingSpec(
            int,
            90,
            min=1,
            max=100,
            label=_l("Watched share to complete a media lesson (%)"),
            description=_l(
                "A video or audio lesson counts as completed once the student has "
                "watched this share of its duration."
            ),
        ),
    }
    default_config = {
        # Largest file a file lesson accepts (bytes); keep it below MAX_CONTENT_LENGTH.
        "LESSONS_MAX_FILE_SIZE": 50 * 1024 * 1024,
        # Lifetime (seconds) of the signed URLs handed out for lesson files.
        "LESSONS_FILE_URL_EXPIRES": 600,
    }

    def init(self) -> None:
        from lms_lessons.builtin_types import BUILTIN_TYPES
        from lms_lessons.hooks import course_editor, course_sidebar, course_syllabus

        for lesson_type in BUILTIN_TYPES:
            register_lesson_type(self.app, lesson_type)
        self.template_hook("course-syllabus", course_syllabus)
        self.template_hook("course-sidebar", course_sidebar)
        self.template_hook("course-editor", course_editor)
        self.app.add_template_filter(_duration, "lesson_duration")

    def get_blueprints(self) -> list[Blueprint]:
        from lms_lessons import editor, views  # noqa: F401 - their routes join the blueprint
        from lms_lessons.blueprint import bp

        return [bp]

    def get_api_blueprints(self) -> list[Any]:
        from lms_lessons.api import blp

        return [blp]

    def seed_demo(self, echo: Callable[[str], Any]) -> None:
        from lms_lessons.demo import seed

        seed(echo)
