"""Background jobs of the lessons plugin (run by the RQ worker; they take ids)."""

from __future__ import annotations

from typing import Any

from lms_catalog import Enrollment
from sqlalchemy import select

from lms.extensions import db
from lms.tasks import job
from lms_lessons.progress import update_course_progress


# Unique: edits in quick succession queue one recomputation, not one each.
@job(unique=True)
def recompute_course_progress(course_id: int) -> dict[str, Any]:
    """Recompute each unfinished student's progress after a course's published lessons changed.

    Idempotent. Completed enrolments are left alone: completion never moves backwards.
    """
    user_ids = db.session.scalars(
        select(Enrollment.user_id).where(
            Enrollment.course_id == course_id,
            Enrollment.status == "active",
            Enrollment.completed_at.is_(None),
        )
    ).all()
    for user_id in user_ids:
        update_course_progress(user_id, course_id)
    db.session.commit()
    return {"course_id": course_id, "students": len(user_ids)}
