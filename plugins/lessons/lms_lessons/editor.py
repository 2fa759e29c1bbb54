"""The course editor for staff: sections and lessons, their order, each lesson's content.

Every action is an ordinary form POST (works without JavaScript; the move
buttons are the keyboard way to reorder). With JavaScript, editor.js adds drag
and drop through SortableJS and saves the order with the JSON API.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.wrappers import Response

from lms.extensions import db
from lms.i18n import _
from lms.permissions import login_required
from lms_lessons import access, files, services
from lms_lessons.blueprint import bp
from lms_lessons.forms import LessonForm, NewLessonForm, SectionForm
from lms_lessons.registry import get_lesson_type, lesson_types


def _editor_url(course: Any, anchor: str | None = None) -> str:
    url = url_for("lessons.editor", slug=course.slug)
    return f"{url}#{anchor}" if anchor else url


def _new_lesson_form() -> NewLessonForm:
    form = NewLessonForm(prefix="new")
    form.type.choices = [(t.name, str(t.label)) for t in lesson_types()]
    return form


def _flash_error(exc: services.LessonError) -> None:
    db.session.rollback()
    details = [m for messages in (exc.fields or {}).values() for m in messages]
    flash(details[0] if len(details) == 1 else exc.message, "error")


def _render_editor(course: Any, section_form: SectionForm) -> str:
    types = lesson_types()
    return render_template(
        "lessons/editor.html",
        course=course,
        sections=services.sections_of(course.id),
        section_form=section_form,
        lesson_types=types,
        type_labels={t.name: t.label for t in types},
    )


@bp.route("/courses/<slug>/curriculum")
@login_required
def editor(slug: str) -> str:
    """Sections and lessons of a course, with everything staff do to them."""
    course = access.editable_course(access.course_by_slug(slug, current_user), current_user)
    return _render_editor(course, SectionForm(prefix="section"))


@bp.route("/courses/<slug>/curriculum/sections", methods=["POST"])
@login_required
def add_section(slug: str) -> Any:
    course = access.editable_course(access.course_by_slug(slug, current_user), current_user)
    form = SectionForm(prefix="section")
    if not form.validate_on_submit():
        return _render_editor(course, form), 422
    try:
        section = services.create_section(course.id, form.title.data)
    except services.LessonError as exc:
        _flash_error(exc)
        return redirect(_editor_url(course))
    db.session.commit()
    flash(_("Section “%(title)s” added.", title=section.title), "success")
    return redirect(_editor_url(course, f"section-{section.id}"))


@bp.route("/curriculum/sections/<int:section_id>/rename", methods=["POST"])
@login_required
def rename_section(section_id: int) -> Response:
    section, course = access.section_for(section_id, current_user, edit=True)
    form = SectionForm()
    if form.validate_on_submit():
        try:
            services.rename_section(section, form.title.data)
        except services.LessonError as exc:
            _flash_error(exc)
        else:
            db.session.commit()
            flash(_("Section renamed."), "success")
    else:
        flash(next(iter(form.errors.values()))[0], "error")
    return redirect(_editor_url(course, f"section-{section_id}"))


@bp.route("/curriculum/sections/<int:section_id>/move", methods=["POST"])
@login_required
def move_section(section_id: int) -> Response:
    section, course = access.section_for(section_id, current_user, edit=True)
    direction = request.form.get("direction", "")
    if services.move_section(section, direction):
        db.session.commit()
        flash(
            _("Section “%(title)s” moved up.", title=section.title)
            if direction == "up"
            else _("Section “%(title)s” moved down.", title=section.title),
            "success",
        )
    else:
        flash(_("That section cannot move further."), "info")
    return redirect(_editor_url(course, f"section-{section_id}"))


@bp.route("/curriculum/sections/<int:section_id>/delete", methods=["POST"])
@login_required
def delete_section(section_id: int) -> Response:
    section, course = access.section_for(section_id, current_user, edit=True)
    title = section.title
    services.delete_section(section)
    db.session.commit()
    flash(_("Section “%(title)s” and its lessons were deleted.", title=title), "success")
    return redirect(_editor_url(course))


@bp.route("/curriculum/sections/<int:section_id>/lessons", methods=["POST"])
@login_required
def add_lesson(section_id: int) -> Response:
    """Create a draft lesson of the chosen type, then open its editor."""
    section, course = access.section_for(section_id, current_user, edit=True)
    form = _new_lesson_form()
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "error")
        return redirect(_editor_url(course, f"section-{section_id}"))
    try:
        lesson = services.create_lesson(section, {"type": form.type.data, "title": form.title.data})
    except services.LessonError as exc:
        _flash_error(exc)
        return redirect(_editor_url(course, f"section-{section_id}"))
    db.session.commit()
    flash(_("Lesson created as a draft. Add its content, then publish it."), "success")
    return redirect(url_for("lessons.edit_lesson", lesson_id=lesson.id))


@bp.route("/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@login_required
def edit_lesson(lesson_id: int) -> Any:
    lesson, course = access.lesson_for_edit(lesson_id, current_user)
    lesson_type = get_lesson_type(lesson.type)
    form = LessonForm(obj=lesson if request.method == "GET" else None)
    if request.method == "GET":
        form.duration_minutes.data = (lesson.duration_seconds + 59) // 60
    content_form = None
    if lesson_type is not None:
        formdata = (
            CombinedMultiDict((request.files, request.form)) if request.method == "POST" else None
        )
        content_form = lesson_type.editor_form(
            formdata=formdata, prefix="content", meta={"csrf": False}
        )
        if request.method == "GET":
            content_form.load(lesson)
    status = 200
    if request.method == "POST":
        content_ok = content_form.validate() if content_form is not None else True
        if form.validate_on_submit() and content_ok:
            try:
                services.update_lesson(lesson, form.lesson_data(), form=content_form)
            except services.LessonError as exc:
                db.session.rollback()
                _attach_errors(exc, form, content_form)
                status = 422
            else:
                db.session.commit()
                flash(_("Lesson saved."), "success")
                return redirect(url_for("lessons.edit_lesson", lesson_id=lesson.id))
        else:
            status = 422
        if status == 422:
            # The rollback reloads the lesson as stored: show that, with the errors.
            db.session.refresh(lesson)
    return render_template(
        "lessons/edit_lesson.html",
        course=course,
        lesson=lesson,
        lesson_type=lesson_type,
        form=form,
        content_form=content_form,
        max_file_size=files.human_size(files.max_file_size()),
    ), status


def _attach_errors(exc: services.LessonError, form: LessonForm, content_form: Any) -> None:
    """Show a service's refusal next to the field it concerns."""
    placed = False
    for name, messages in (exc.fields or {}).items():
        target = None
        if name.startswith("content.") and content_form is not None:
            target = getattr(content_form, name.removeprefix("content."), None)
        elif name == "duration_seconds":
            target = form.duration_minutes
        else:
            target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*target.errors, *messages]
            placed = True
    if not placed:
        form.form_errors.append(exc.message)


@bp.route("/lessons/<int:lesson_id>/move", methods=["POST"])
@login_required
def move_lesson(lesson_id: int) -> Response:
    lesson, course = access.lesson_for_edit(lesson_id, current_user)
    direction = request.form.get("direction", "")
    if services.move_lesson(lesson, direction):
        db.session.commit()
        flash(
            _("Lesson “%(title)s” moved up.", title=lesson.title)
            if direction == "up"
            else _("Lesson “%(title)s” moved down.", title=lesson.title),
            "success",
        )
    else:
        flash(_("That lesson cannot move further."), "info")
    return redirect(_editor_url(course, f"lesson-{lesson_id}"))


@bp.route("/lessons/<int:lesson_id>/delete", methods=["POST"])
@login_required
def delete_lesson(lesson_id: int) -> Response:
    lesson, course = access.lesson_for_edit(lesson_id, current_user)
    title = lesson.title
    services.delete_lesson(lesson)
    db.session.commit()
    flash(_("Lesson “%(title)s” was deleted.", title=title), "success")
    return redirect(_editor_url(course))
