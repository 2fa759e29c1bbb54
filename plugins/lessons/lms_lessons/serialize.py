"""Lessons and sections as the API shows them."""

from __future__ import annotations

from typing import Any

from lms_lessons.models import Lesson, Section
from lms_lessons.registry import get_lesson_type


def _type_label(lesson: Lesson) -> str:
    lesson_type = get_lesson_type(lesson.type)
    return str(lesson_type.label) if lesson_type else lesson.type


def lesson_summary(lesson: Lesson, completed: set[int] | None = None) -> dict[str, Any]:
    return {
        "id": lesson.id,
        "section_id": lesson.section_id,
        "type": lesson.type,
        "type_label": _type_label(lesson),
        "title": lesson.title,
        "duration_seconds": lesson.duration_seconds,
        "position": lesson.position,
        "status": lesson.status,
        "free_preview": lesson.free_preview,
        "type_installed": lesson.type_installed,
        "completed": None if completed is None else lesson.id in completed,
    }


def section_json(
    section: Section, course: Any, *, include_drafts: bool, completed: set[int] | None = None
) -> dict[str, Any]:
    return {
        "id": section.id,
        "course_slug": course.slug,
        "title": section.title,
        "position": section.position,
        "lessons": [
            lesson_summary(lesson, completed)
            for lesson in section.lessons
            if include_drafts or lesson.is_available
        ],
    }


def progress_fields(row: Any, course_progress: int | None = None) -> dict[str, Any]:
    """A progress row (ORM object or RETURNING row) as the API shows it."""
    return {
        "lesson_id": row.lesson_id,
        "started_at": row.started_at,
        "completed_at": row.completed_at,
        "completed": row.completed_at is not None,
        "position": row.position_seconds,
        "watched_seconds": row.watched_seconds,
        "last_seen_at": row.last_seen_at,
        "course_progress": course_progress,
    }


def progress_json(result: Any) -> dict[str, Any]:
    return progress_fields(result.row, result.course_progress)


def lesson_json(
    lesson: Lesson, course: Any, user: Any, *, with_content: bool, track: bool = False
) -> dict[str, Any]:
    """The lesson; `with_content` only for people allowed to see it (signed file URL included)."""
    from lms_lessons.progress import progress_for_lesson

    lesson_type = get_lesson_type(lesson.type)
    data = lesson_summary(lesson)
    data.update(
        course_slug=course.slug,
        description=lesson.description,
        completion=lesson_type.completion if lesson_type else None,
        created_at=lesson.created_at,
        updated_at=lesson.updated_at,
        content=None,
        file_url=None,
        progress=None,
    )
    if with_content and lesson_type is not None and lesson_type.content_json:
        content = dict(lesson_type.content_json(lesson))
        data["file_url"] = content.pop("file_url", None)
        data["content"] = content
    if track:
        row = progress_for_lesson(user.id, lesson.id)
        data["completed"] = bool(row and row.completed_at)
        if row is not None:
            data["progress"] = progress_fields(row)
    return data
