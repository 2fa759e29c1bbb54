"""The live classes' part of the demo school: classes to come, one going on, past ones with
attendance.

Runs after the catalog and lessons seeds. A school that has classes already gets
none, so running the seed twice adds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from lms.extensions import db
from lms.models import utcnow
from lms_live_classes.models import ENDED, LIVE, SCHEDULED, AttendanceInterval, LiveClass

COURSES = 4  # the first published courses get classes


def _add(course: Any, title: str, starts_in: timedelta, minutes: int, status: str) -> LiveClass:
    starts_at = (utcnow() + starts_in).replace(second=0, microsecond=0)
    live_class = LiveClass(
        course_id=course.id,
        created_by_id=course.owner_id,
        title=title,
        description=f"A live session of {course.title}: questions welcome.",
        starts_at=starts_at,
        duration_minutes=minutes,
        seats=25,
        status=status,
    )
    if status in (LIVE, ENDED):
        live_class.started_at = starts_at
    if status == ENDED:
        live_class.ended_at = starts_at + timedelta(minutes=minutes)
    db.session.add(live_class)
    db.session.flush()
    return live_class


def _attendance(live_class: LiveClass, student_ids: list[int], rng: random.Random) -> None:
    begin = live_class.started_at
    for user_id in student_ids:
        if rng.random() < 0.2:
            continue  # absent
        joined = begin + timedelta(minutes=rng.choice([0, 1, 2, 4, 12, 20]))
        left = begin + timedelta(minutes=rng.choice([20, 40, 55, 60]))
        if left <= joined:
            left = joined + timedelta(minutes=5)
        db.session.add(
            AttendanceInterval(
                class_id=live_class.id,
                user_id=user_id,
                joined_at=joined,
                left_at=left,
                last_seen_at=left,
            )
        )


def seed(echo: Callable[[str], Any]) -> None:
    from lms_catalog import Course, Enrollment

    rng = random.Random(9)  # the same demo every time
    if db.session.scalar(select(LiveClass.id).limit(1)) is not None:
        echo("live classes: the school has classes already")
        return
    courses = db.session.scalars(
        select(Course)
        .where(Course.deleted_at.is_(None), Course.status == "published")
        .order_by(Course.id)
        .limit(COURSES)
    ).all()
    total = 0
    for index, course in enumerate(courses):
        students = list(
            db.session.scalars(
                select(Enrollment.user_id).where(
                    Enrollment.course_id == course.id, Enrollment.status == "active"
                )
            )
        )
        for week in (2, 1):
            past = _add(course, f"Week {3 - week} review", -timedelta(days=7 * week), 60, ENDED)
            _attendance(past, students, rng)
        _add(course, "Questions and answers", timedelta(days=2 + index, hours=3), 45, SCHEDULED)
        _add(course, "Project clinic", timedelta(days=9 + index), 60, SCHEDULED)
        total += 4
    db.session.flush()
    echo(f"live classes: {total} classes in {len(courses)} courses")
