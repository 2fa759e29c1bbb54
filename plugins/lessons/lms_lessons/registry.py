"""The lesson-type registry: each app holds its own, other plugins add their types.

A lesson type supplies its editor form (a WTForms form of its own fields), its
player template and its completion rule. The registry lives on the app's core
state (``lms_state(app).registries["lessons.types"]``), never in a module
global, so apps built side by side (tests) never see each other's types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask
from wtforms import Form

from lms.state import lms_state

if TYPE_CHECKING:
    from lms_lessons.models import Lesson

REGISTRY_KEY = "lessons.types"

#: The student marks the lesson complete (text, files).
MANUAL = "manual"
#: The lesson completes once a share of its duration has been watched (media).
WATCHED = "watched"
#: Only another plugin completes the lesson, with ``complete_lesson(user, lesson)``
#: (a passed quiz, an attended live class): no "mark as complete" button.
EXTERNAL = "external"
COMPLETIONS = (MANUAL, WATCHED, EXTERNAL)


class ContentError(ValueError):
    """Type-specific content was refused; `fields` maps field names to messages."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        message = str(message)  # a lazy string (`_l`) takes the current language here
        super().__init__(message)
        self.message = message
        self.fields = {
            name: [str(m) for m in messages] for name, messages in (fields or {}).items()
        }


class ContentForm(Form):
    """Base of a lesson type's editor form: the type's own fields, nothing else.

    The editor renders it inside the lesson form (which carries the CSRF token)
    and the API validates a lesson's JSON ``content`` with the same form, so
    pages and API accept exactly the same values.
    """

    def load(self, lesson: Lesson) -> None:
        """Fill the fields from `lesson.content` (editor, GET)."""

    def save(self, lesson: Lesson) -> None:
        """Store the validated fields into `lesson.content` (the caller flushes)."""


def watched_share_rule(lesson: Lesson, watched_seconds: int, share: float) -> bool:
    """Default rule of media types: complete once `share` (0-1) of the duration is watched."""
    return lesson.duration_seconds > 0 and watched_seconds >= share * lesson.duration_seconds


@dataclass(frozen=True)
class LessonType:
    """One kind of lesson ("text", "file", "video" ...).

    Keep the type's own data in the type's own tables (prefixed with your
    plugin's name) with a foreign key to ``lessons_lessons.id`` and
    ``ondelete="CASCADE"``, not in ``lesson.content``: that JSON column is for
    the two built-in types, and nothing checks or migrates what is inside it.
    """

    name: str
    label: str
    #: Template rendered inside the lesson page; gets `lesson`, `course`, `current_user`
    #: and whatever `player_context` returns.
    player_template: str
    #: WTForms form (a ContentForm subclass) with the type's own editor fields.
    editor_form: type[ContentForm] = ContentForm
    #: MANUAL ("mark as complete"), WATCHED (progress updates complete it) or
    #: EXTERNAL (only ``complete_lesson`` completes it).
    completion: str = MANUAL
    #: For WATCHED types: (lesson, watched_seconds, share 0-1) -> complete?
    completion_rule: Callable[[Lesson, int, float], bool] = watched_share_rule
    description: str = ""
    #: What the student reads instead of a "mark as complete" button (WATCHED and
    #: EXTERNAL types), e.g. "Pass the quiz with 60% to complete this lesson."
    completion_hint: str = ""
    #: Extra template variables for the player (signed URLs, embeds ...):
    #: called as player_context(lesson, course, user).
    player_context: Callable[[Lesson, Any, Any], Mapping[str, Any]] | None = None
    #: What the API shows of `lesson.content` to people allowed to see it.
    content_json: Callable[[Lesson], Mapping[str, Any]] | None = None
    #: Why the lesson cannot be published yet (e.g. "upload the file first"), or None.
    publish_problem: Callable[[Lesson], str | None] | None = None
    #: Called when a lesson of this type is deleted (free stored files ...).
    on_delete: Callable[[Lesson], None] | None = None
    #: True when the type stores an uploaded file (`POST /api/v1/lessons/<id>/file`).
    accepts_file: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").isalnum() or len(self.name) > 32:
            raise ValueError(f"lesson type name {self.name!r}: use 1-32 letters, digits, _")
        if self.completion not in COMPLETIONS:
            choices = ", ".join(repr(c) for c in COMPLETIONS)
            raise ValueError(f"lesson type {self.name!r}: completion is one of {choices}")

    def is_complete(self, lesson: Lesson, watched_seconds: int, share: float) -> bool:
        return self.completion == WATCHED and self.completion_rule(lesson, watched_seconds, share)


def _registry(app: Flask | None = None) -> dict[str, LessonType]:
    return lms_state(app).registries.setdefault(REGISTRY_KEY, {})


def register_lesson_type(app: Flask, lesson_type: LessonType) -> None:
    """Make `lesson_type` available in `app` (call it from your plugin's `init()`)."""
    registry = _registry(app)
    if lesson_type.name in registry:
        raise ValueError(f"lesson type {lesson_type.name!r} is registered twice")
    registry[lesson_type.name] = lesson_type


def lesson_types(app: Flask | None = None) -> list[LessonType]:
    """Return the registered lesson types, in registration order."""
    return list(_registry(app).values())


def get_lesson_type(name: str, app: Flask | None = None) -> LessonType | None:
    """Return the registered type called `name`, or None (its plugin is not installed)."""
    return _registry(app).get(name)


def installed_type_names(app: Flask | None = None) -> list[str]:
    """Return the names of the registered lesson types."""
    return list(_registry(app))
