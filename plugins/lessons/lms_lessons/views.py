"""The lesson page (player with syllabus and previous/next), completion and file downloads."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from lms_catalog import get_course_by_slug, get_enrollment
from werkzeug.exceptions import Forbidden, Unauthorized
from werkzeug.wrappers import Response

from lms.db import write_now
from lms.extensions import db
from lms.i18n import _
from lms.markup import plain_text
from lms.permissions import login_required
from lms_lessons import access, files, services, tracking
from lms_lessons.blueprint import bp
from lms_lessons.progress import progress_for_course
from lms_lessons.registry import MANUAL, get_lesson_type


def _neighbours(lessons: list[Any], lesson_id: int) -> tuple[Any, Any]:
    ids = [lesson.id for lesson in lessons]
    if lesson_id not in ids:
        return None, None
    i = ids.index(lesson_id)
    return (lessons[i - 1] if i > 0 else None), (lessons[i + 1] if i + 1 < len(lessons) else None)


@bp.route("/lessons/<int:lesson_id>")
def lesson(lesson_id: int) -> Any:
    """Play a lesson: content, mark as complete, previous/next and the syllabus."""
    found = access.lesson_access(lesson_id, current_user)
    lesson, course = found.lesson, found.course
    sections = services.sections_of(course.id)
    visible = services.ordered_lessons(sections, include_drafts=found.is_staff)
    previous, following = _neighbours(visible, lesson.id)
    progress = progress_for_course(current_user.id, course.id) if found.can_track else {}
    context: dict[str, Any] = {
        "course": course,
        "lesson": lesson,
        "found": found,
        "sections": sections,
        "previous": previous,
        "next": following,
        "progress": progress,
        "include_drafts": found.is_staff,
        "lesson_type": get_lesson_type(lesson.type),
    }
    if not found.can_see_content:
        return render_template("lessons/locked.html", **context), 403
    if found.can_track:
        with write_now():  # a GET that writes: in a short transaction of its own
            tracking.mark_started(found)
    lesson_type = context["lesson_type"]
    if lesson_type is not None and lesson_type.player_context:
        context.update(lesson_type.player_context(lesson, course, current_user))
    context["this_progress"] = progress.get(lesson.id)
    context["manual"] = lesson_type is not None and lesson_type.completion == MANUAL
    context["completion_hint"] = tracking.completion_hint(lesson_type)
    context["show_summary"] = _summary_adds_something(lesson)
    context["certificate"] = _finished_course_certificate(found)
    return render_template("lessons/lesson.html", **context)


def _summary_adds_something(lesson: Any) -> bool:
    """Say whether the lesson's summary differs from the start of its own text."""
    if not lesson.description:
        return False
    text = plain_text((lesson.content or {}).get("html", ""), 400).casefold()
    return not text.startswith(plain_text(lesson.description).rstrip("…").casefold())


def _finished_course_certificate(found: access.LessonAccess) -> Any:
    """Return the student's certificate once they have finished the course, else None."""
    if not found.can_track:
        return None
    enrollment = get_enrollment(current_user.id, found.course.id)
    if enrollment is None or enrollment.completed_at is None:
        return None
    return enrollment.certificate


@bp.route("/courses/<slug>/learn")
@login_required
def start(slug: str) -> Response:
    """Open the first lesson not completed yet ("Start learning"), else the course page."""
    course = get_course_by_slug(slug)
    if course is None or not course.can_view(current_user):
        abort(404)
    lessons = services.ordered_lessons(services.sections_of(course.id), include_drafts=False)
    progress = progress_for_course(current_user.id, course.id)
    for lesson in lessons:
        row = progress.get(lesson.id)
        if row is None or row.completed_at is None:
            return redirect(url_for("lessons.lesson", lesson_id=lesson.id))
    if lessons:  # everything done: back to the last lesson (it links to the certificate)
        return redirect(url_for("lessons.lesson", lesson_id=lessons[-1].id))
    flash(_("This course has no lessons yet."), "info")
    return redirect(url_for("catalog.course", slug=course.slug))


@bp.route("/lessons/<int:lesson_id>/complete", methods=["POST"])
@login_required
def complete(lesson_id: int) -> Response:
    """The "Mark as complete" button; goes on to the next lesson."""
    found = access.lesson_access(lesson_id, current_user)
    try:
        tracking.require_tracking(found)
        result = tracking.mark_complete(found)
    except services.LessonError as exc:
        db.session.rollback()
        if exc.status == 403:
            abort(403, exc.message)
        flash(exc.message, "error")
        return redirect(url_for("lessons.lesson", lesson_id=lesson_id))
    db.session.commit()
    if result.course_progress == 100:
        flash(_("Lesson complete. That was the last one: well done!"), "success")
        return redirect(url_for("lessons.lesson", lesson_id=lesson_id))
    flash(_("Lesson complete."), "success")
    sections = services.sections_of(found.course.id)
    _previous, following = _neighbours(
        services.ordered_lessons(sections, include_drafts=False), lesson_id
    )
    target = following.id if following is not None else lesson_id
    return redirect(url_for("lessons.lesson", lesson_id=target))


@bp.route("/lessons/<int:lesson_id>/file")
def download(lesson_id: int) -> Response:
    """Check access, then send the browser to a fresh signed, expiring URL of the file."""
    found = access.lesson_access(lesson_id, current_user)
    try:
        access.require_content(found)
    except Unauthorized:
        return redirect(url_for("lessons.lesson", lesson_id=lesson_id))
    except Forbidden as exc:
        abort(403, exc.description)
    content = found.lesson.content or {}
    if not content.get("key"):
        abort(404, _("This lesson has no file yet."))
    response = redirect(files.signed_url(content, download=True))
    response.headers["Cache-Control"] = "no-store"
    return response
