"""JSON API under /api/v1: sections, lessons, files and progress."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView

from lms.api import ApiBlueprint, ApiError, require_user
from lms.extensions import db
from lms.i18n import _
from lms.permissions import check_first, login_required
from lms_lessons import access, files, services, tracking
from lms_lessons.builtin_types import attach_file
from lms_lessons.registry import ContentError, get_lesson_type
from lms_lessons.schemas import (
    FileIn,
    FileUrlOut,
    LessonIn,
    LessonList,
    LessonOut,
    ProgressIn,
    ProgressOut,
    ReorderIn,
    SectionIn,
    SectionList,
    SectionOut,
)
from lms_lessons.serialize import lesson_json, lesson_summary, progress_json, section_json

blp = ApiBlueprint(
    "lessons_api", __name__, description="Sections, lessons, lesson files and student progress."
)


# Refusals from the services (LessonError, a core ServiceError) need no
# handler here: the core answers them as {"error": ...} and rolls back.


def _user() -> Any:
    from flask_login import current_user

    return current_user


# Who may edit is settled before the body is read (a student gets 403, never a 422).
def _edits_course(slug: str) -> None:
    access.editable_course(access.course_by_slug(slug, _user()), _user())


def _edits_section(section_id: int) -> None:
    access.section_for(section_id, require_user(), edit=True)


def _edits_lesson(lesson_id: int) -> None:
    access.lesson_for_edit(lesson_id, require_user())


# --- sections --------------------------------------------------------------------


@blp.route("/courses/<slug>/sections")
class CourseSections(MethodView):
    @blp.response(200, SectionList)
    def get(self, slug: str) -> dict[str, Any]:
        """List a course's sections with their lessons (drafts only for its staff)."""
        user = _user()
        course = access.course_by_slug(slug, user)
        staff = course.is_staff(user)
        sections = services.sections_of(course.id)
        done = tracking.completed_ids(user, course)
        items = [section_json(s, course, include_drafts=staff, completed=done) for s in sections]
        return {"items": items, "total": len(items)}

    @blp.errors(409, 422)
    @check_first(_edits_course)
    @blp.arguments(SectionIn)
    @blp.response(201, SectionOut)
    def post(self, data: dict[str, Any], slug: str) -> dict[str, Any]:
        """Add a section at the end of the course (course staff)."""
        user = require_user()
        course = access.editable_course(access.course_by_slug(slug, user), user)
        section = services.create_section(course.id, data.get("title"))
        db.session.commit()
        return section_json(section, course, include_drafts=True)


@blp.route("/courses/<slug>/sections/reorder")
class SectionReorder(MethodView):
    @blp.errors(422)
    @check_first(_edits_course)
    @blp.arguments(ReorderIn)
    @blp.response(200, SectionList)
    def post(self, data: dict[str, Any], slug: str) -> dict[str, Any]:
        """Put the course's sections in the order of `ids` (every section once)."""
        user = require_user()
        course = access.editable_course(access.course_by_slug(slug, user), user)
        sections = services.reorder_sections(course.id, data.get("ids"))
        db.session.commit()
        items = [section_json(s, course, include_drafts=True) for s in sections]
        return {"items": items, "total": len(items)}


@blp.route("/sections/<int:section_id>")
class SectionItem(MethodView):
    @blp.errors(422)
    @check_first(_edits_section)
    @blp.arguments(SectionIn)
    @blp.response(200, SectionOut)
    def patch(self, data: dict[str, Any], section_id: int) -> dict[str, Any]:
        """Rename a section."""
        section, course = access.section_for(section_id, require_user(), edit=True)
        services.rename_section(section, data.get("title"))
        db.session.commit()
        return section_json(section, course, include_drafts=True)

    @blp.errors(403)
    @blp.response(204)
    def delete(self, section_id: int) -> None:
        """Delete a section and every lesson in it."""
        section, _course = access.section_for(section_id, require_user(), edit=True)
        services.delete_section(section)
        db.session.commit()


# --- lessons of a section ------------------------------------------------------------


@blp.route("/sections/<int:section_id>/lessons")
class SectionLessons(MethodView):
    @blp.response(200, LessonList)
    def get(self, section_id: int) -> dict[str, Any]:
        """List a section's lessons in order (drafts only for the course's staff)."""
        user = _user()
        section, course = access.section_for(section_id, user, edit=False)
        staff = course.is_staff(user)
        done = tracking.completed_ids(user, course)
        items = [
            lesson_summary(lesson, done)
            for lesson in section.lessons
            if staff or lesson.is_available
        ]
        return {"items": items, "total": len(items)}

    @blp.errors(409, 422)
    @check_first(_edits_section)
    @blp.arguments(LessonIn)
    @blp.response(201, LessonOut)
    def post(self, data: dict[str, Any], section_id: int) -> dict[str, Any]:
        """Add a lesson at the end of the section (course staff)."""
        user = require_user()
        section, course = access.section_for(section_id, user, edit=True)
        lesson = services.create_lesson(section, data)
        db.session.commit()
        return lesson_json(lesson, course, user, with_content=True)


@blp.route("/sections/<int:section_id>/lessons/reorder")
class LessonReorder(MethodView):
    @blp.errors(422)
    @check_first(_edits_section)
    @blp.arguments(ReorderIn)
    @blp.response(200, LessonList)
    def post(self, data: dict[str, Any], section_id: int) -> dict[str, Any]:
        """Order the section's lessons by `ids`; ids of other sections' lessons move them here."""
        section, _course = access.section_for(section_id, require_user(), edit=True)
        lessons = services.reorder_lessons(section, data.get("ids"))
        db.session.commit()
        items = [lesson_summary(lesson) for lesson in lessons]
        return {"items": items, "total": len(items)}


# --- one lesson ----------------------------------------------------------------------


@blp.route("/lessons/<int:lesson_id>")
class LessonItem(MethodView):
    @blp.errors(403)
    @blp.response(200, LessonOut)
    def get(self, lesson_id: int) -> dict[str, Any]:
        """Return a lesson with its content (enrolled students, free previews, staff)."""
        user = _user()
        found = access.lesson_access(lesson_id, user)
        access.require_content(found)
        return lesson_json(
            found.lesson, found.course, user, with_content=True, track=found.can_track
        )

    @blp.errors(409, 422)
    @check_first(_edits_lesson)
    @blp.arguments(LessonIn, required=False)  # omitted fields stay
    @blp.response(200, LessonOut)
    def patch(self, data: dict[str, Any], lesson_id: int) -> dict[str, Any]:
        """Change a lesson's fields or content (course staff)."""
        user = require_user()
        lesson, course = access.lesson_for_edit(lesson_id, user)
        services.update_lesson(lesson, data)
        db.session.commit()
        return lesson_json(lesson, course, user, with_content=True)

    @blp.errors(403)
    @blp.response(204)
    def delete(self, lesson_id: int) -> None:
        """Delete a lesson (and its stored file)."""
        lesson, _course = access.lesson_for_edit(lesson_id, require_user())
        services.delete_lesson(lesson)
        db.session.commit()


@blp.route("/lessons/<int:lesson_id>/file")
class LessonFile(MethodView):
    @blp.errors(403)
    @blp.response(200, FileUrlOut)
    def get(self, lesson_id: int) -> dict[str, Any]:
        """Return a fresh signed, expiring URL to the lesson's file."""
        found = access.lesson_access(lesson_id, _user())
        access.require_content(found)
        content = found.lesson.content or {}
        if not content.get("key"):
            raise ApiError(404, _("This lesson has no file."), code="no_file")
        kind = files.ALLOWED.get(str(content.get("mime")))
        return {
            "url": files.signed_url(content, download=True),
            "view_url": files.signed_url(content, download=False) if kind and kind.inline else None,
            "filename": content.get("filename"),
            "expires_in": current_app.config["LESSONS_FILE_URL_EXPIRES"],
        }

    @blp.errors(409, 413, 422)
    @check_first(_edits_lesson)
    @blp.arguments(FileIn, location="files")
    @blp.response(200, LessonOut)
    def post(self, _files: dict[str, Any], lesson_id: int) -> dict[str, Any]:
        """Upload (or replace) the file of a file lesson: multipart/form-data, field `file`."""
        user = require_user()
        lesson, course = access.lesson_for_edit(lesson_id, user)
        lesson_type = get_lesson_type(lesson.type)
        if lesson_type is None or not lesson_type.accepts_file:
            raise ApiError(
                409, _("Only file lessons take an uploaded file."), code="not_a_file_lesson"
            )
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise services.invalid(
                {"file": [_("Choose a file to upload.")]}, _("Choose a file to upload.")
            )
        try:
            attach_file(lesson, upload.stream, upload.filename)
        except ContentError as exc:
            raise services.LessonError(
                exc.message, code="file_rejected", status=422, fields=exc.fields
            ) from exc
        db.session.commit()
        return lesson_json(lesson, course, user, with_content=True)


# --- progress ---------------------------------------------------------------------------


@blp.route("/lessons/<int:lesson_id>/progress")
class LessonProgressView(MethodView):
    @blp.errors(403, 409, 422)
    @login_required
    @blp.arguments(ProgressIn)
    @blp.response(200, ProgressOut)
    def post(self, data: dict[str, Any], lesson_id: int) -> dict[str, Any]:
        """Report where the player is and how much was watched (idempotent; call every ~10 s)."""
        user = require_user()
        found = access.lesson_access(lesson_id, user)
        tracking.require_tracking(found)
        result = tracking.report(found, data.get("position"), data.get("watched_seconds"))
        db.session.commit()
        return progress_json(result)


@blp.route("/lessons/<int:lesson_id>/complete")
class LessonComplete(MethodView):
    @blp.errors(403, 409)
    @blp.response(200, ProgressOut)
    def post(self, lesson_id: int) -> dict[str, Any]:
        """Mark a lesson complete (text and file lessons; media complete by watching)."""
        user = require_user()
        found = access.lesson_access(lesson_id, user)
        tracking.require_tracking(found)
        result = tracking.mark_complete(found)
        db.session.commit()
        return progress_json(result)
