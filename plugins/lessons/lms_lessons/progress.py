"""Per-student lesson progress and the course progress derived from it.

A media player reports progress every ~10 seconds, so an update is one
INSERT ... ON CONFLICT DO UPDATE statement (SQLite and PostgreSQL both have it):
idempotent, safe under concurrent requests, and completion only ever moves
forwards (``completed_at = coalesce(completed_at, now)``). Course progress is
recomputed only when a lesson becomes complete.
"""

from __future__ import annotations

from typing import Any

from lms_catalog import set_course_progress
from sqlalchemy import and_, func, select
from sqlalchemy.dialects import postgresql, sqlite

from lms.extensions import db
from lms.models import utcnow
from lms_lessons.models import PUBLISHED, Lesson, LessonProgress
from lms_lessons.registry import installed_type_names

POSITION_MAX = 100 * 3600  # seconds; matches the longest lesson we accept


def _insert() -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(LessonProgress)


def record(
    user_id: int,
    lesson: Lesson,
    *,
    position: int | None = None,
    watched_seconds: int | None = None,
    complete: bool = False,
) -> tuple[Any, bool]:
    """Upsert the student's progress; return (the row's values, completed by this call).

    `watched_seconds` only grows (a re-watch never lowers it); `position` is
    where the player is now (resume point).
    """
    now = utcnow()
    table = LessonProgress.__table__
    values: dict[str, Any] = {
        "user_id": user_id,
        "lesson_id": lesson.id,
        "course_id": lesson.course_id,
        "started_at": now,
        "last_seen_at": now,
        "position_seconds": position or 0,
        "watched_seconds": watched_seconds or 0,
        "completed_at": now if complete else None,
    }
    stmt = _insert().values(**values)
    excluded = stmt.excluded
    updates: dict[str, Any] = {"last_seen_at": excluded.last_seen_at}
    if position is not None:
        updates["position_seconds"] = excluded.position_seconds
    if watched_seconds is not None:
        updates["watched_seconds"] = func.max(table.c.watched_seconds, excluded.watched_seconds)
        if db.session.get_bind().dialect.name == "postgresql":
            updates["watched_seconds"] = func.greatest(
                table.c.watched_seconds, excluded.watched_seconds
            )
    if complete:
        updates["completed_at"] = func.coalesce(table.c.completed_at, excluded.completed_at)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.user_id, table.c.lesson_id], set_=updates
    ).returning(
        table.c.lesson_id,
        table.c.started_at,
        table.c.completed_at,
        table.c.position_seconds,
        table.c.watched_seconds,
        table.c.last_seen_at,
    )
    row = db.session.execute(stmt).one()
    # The row's completion time equals ours only if this very call completed it.
    return row, bool(complete and row.completed_at is not None and row.completed_at == now)


def course_percent(user_id: int, course_id: int) -> int:
    """Share of the course's available lessons this student completed (0-100, 100 = all).

    Lessons whose type is no longer installed are hidden from students, so
    they count neither way.
    """
    installed = installed_type_names()
    total = (
        select(func.count(Lesson.id))
        .where(
            Lesson.course_id == course_id,
            Lesson.status == PUBLISHED,
            Lesson.type.in_(installed),
        )
        .scalar_subquery()
    )
    done = (
        select(func.count(LessonProgress.id))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(
            LessonProgress.user_id == user_id,
            LessonProgress.course_id == course_id,
            LessonProgress.completed_at.is_not(None),
            Lesson.status == PUBLISHED,
            Lesson.type.in_(installed),
        )
        .scalar_subquery()
    )
    total_count, done_count = db.session.execute(select(total, done)).one()
    if not total_count:
        return 0
    if done_count >= total_count:
        return 100
    return done_count * 100 // total_count  # floor: 100 only when everything is done


def update_course_progress(user_id: int, course_id: int, last_lesson_id: int | None = None) -> Any:
    """Recompute and store the course progress (the catalog completes and certifies at 100)."""
    return set_course_progress(
        user_id, course_id, course_percent(user_id, course_id), last_lesson_id=last_lesson_id
    )


def progress_for_course(user_id: int, course_id: int) -> dict[int, LessonProgress]:
    """The student's progress rows in a course, by lesson id (one statement)."""
    rows = db.session.scalars(
        select(LessonProgress).where(
            LessonProgress.user_id == user_id, LessonProgress.course_id == course_id
        )
    )
    return {row.lesson_id: row for row in rows}


def progress_for_lesson(user_id: int, lesson_id: int) -> LessonProgress | None:
    return db.session.scalar(
        select(LessonProgress).where(
            and_(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson_id)
        )
    )
