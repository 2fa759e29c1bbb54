"""What the plugin adds to other pages: the lesson type and the course page's link."""

from __future__ import annotations

from typing import Any


def register_hooks(plugin: Any) -> None:
    """Called from the plugin's init(): no database, no network."""
    from lms_live_classes import lesson_type

    lesson_type.register(plugin)
