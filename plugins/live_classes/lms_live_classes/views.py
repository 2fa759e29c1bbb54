"""Pages: a course's classes, a class, scheduling and editing, my classes, calendars.

Staff actions (schedule, edit, start, end, cancel, attendance, rules) answer 403
to anyone else who is signed in; unknown ids answer 404.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from lms.actions import attempt
from lms.extensions import db
from lms.i18n import _, _l, user_locale
from lms.permissions import login_required
from lms.urls import external_url
from lms_live_classes import attendance, calendar, queries, scheduling
from lms_live_classes.blueprint import bp
from lms_live_classes.forms import ClassForm
from lms_live_classes.models import LiveClass
from lms_live_classes.scheduling import LiveClassError
from lms_live_classes.timezones import (
    SKIPPED_TIME,
    LocalTimeError,
    school_zone,
    to_local,
    to_utc,
    viewer_zone,
    zone_label,
)


def _course_or_404(course_id: int) -> Any:
    from lms_catalog import get_course

    course = get_course(course_id)
    if course is None or course.deleted_at is not None:
        abort(404)
    return course


def _class_or_404(class_id: int) -> LiveClass:
    live_class = db.session.get(LiveClass, class_id)
    if live_class is None:
        abort(404)
    return live_class


def _forbid_unless(allowed: bool, message: str) -> None:
    if not allowed:
        abort(403, str(message))


STAFF_ONLY = _l("Only the course's instructors can do this.")
NOT_ENROLLED = _l("Enrol in this course to see its live classes.")


def room_url(live_class: LiveClass) -> str | None:
    """The class room (another part of this plugin), when it is installed."""
    if "live_classes.room" not in current_app.view_functions:
        return None
    return url_for("live_classes.room", class_id=live_class.id)


# --- a course's classes ------------------------------------------------------------------


@bp.route("/courses/<int:course_id>/classes")
@login_required
def course_classes(course_id: int) -> str:
    course = _course_or_404(course_id)
    staff = scheduling.is_staff(current_user, course)
    _forbid_unless(
        staff or scheduling.is_student(current_user, course),
        NOT_ENROLLED,
    )
    ids = {course.id}
    return render_template(
        "live_classes/course_classes.html",
        course=course,
        upcoming=queries.classes_of_courses(ids, queries.UPCOMING),
        past=queries.classes_of_courses(ids, queries.PAST),
        can_manage=scheduling.can_manage(current_user, course),
        zone=viewer_zone(current_user),
    )


def _lesson_choices(course_id: int) -> list[tuple[int, str]]:
    return [(lesson.id, lesson.title) for lesson in queries.course_lessons(course_id)]


def _apply_errors(form: ClassForm, exc: LiveClassError) -> None:
    targets = {"starts_at": "start_date"}
    for name, messages in (exc.fields or {}).items():
        field = getattr(form, targets.get(name, name), None)
        if field is not None:
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)
    if not exc.fields:
        form.form_errors.append(exc.message)


def _form_data(form: ClassForm) -> dict[str, Any] | None:
    """The services' input from a valid form, or None with the time's error on the form."""
    zone = school_zone()
    try:
        starts_at = to_utc(form.start_date.data, form.start_time.data, zone)
    except (LocalTimeError, OverflowError, ValueError) as exc:
        message = (
            SKIPPED_TIME if isinstance(exc, LocalTimeError) else _l("Give a valid date and time.")
        )
        form.start_time.errors = [*form.start_time.errors, str(message)]
        return None
    return {
        "title": form.title.data,
        "description": form.description.data or "",
        "starts_at": starts_at,
        "duration_minutes": form.duration_minutes.data,
        "seats": form.seats.data,
        "lesson_id": form.lesson_id.data or None,
    }


def _render_form(template: str, form: ClassForm, status: int, **context: Any) -> tuple[str, int]:
    return (
        render_template(template, form=form, school_zone=zone_label(school_zone()), **context),
        status,
    )


@bp.route("/courses/<int:course_id>/classes/new", methods=["GET", "POST"])
@login_required
def schedule(course_id: int) -> Any:
    course = _course_or_404(course_id)
    _forbid_unless(scheduling.can_manage(current_user, course), STAFF_ONLY)
    form = ClassForm(lessons=_lesson_choices(course.id))
    if form.validate_on_submit():
        data = _form_data(form)
        if data is not None:
            try:
                live_class = scheduling.create_class(course, current_user, data)
            except LiveClassError as exc:
                db.session.rollback()
                _apply_errors(form, exc)
            else:
                db.session.commit()
                flash(_("The class is scheduled."), "success")
                return redirect(url_for("live_classes.detail", class_id=live_class.id))
    status = 422 if form.errors or form.form_errors else 200
    return _render_form(
        "live_classes/class_form.html", form, status, course=course, live_class=None
    )


# --- one class -------------------------------------------------------------------------


@bp.route("/classes/<int:class_id>")
@login_required
def detail(class_id: int) -> str:
    live_class = _class_or_404(class_id)
    course = _course_or_404(live_class.course_id)
    staff = scheduling.is_staff(current_user, course)
    _forbid_unless(
        staff or scheduling.is_student(current_user, course),
        NOT_ENROLLED,
    )
    mine = None
    if not staff and live_class.started_at is not None:
        mine = attendance.student_attendance(live_class, current_user)
    lesson = None
    if live_class.lesson_id is not None:
        from lms_lessons import get_lesson

        lesson = get_lesson(live_class.lesson_id)
    return render_template(
        "live_classes/detail.html",
        live_class=live_class,
        course=course,
        lesson=lesson,
        staff=staff,
        can_manage=scheduling.can_manage(current_user, course),
        can_view_attendance=scheduling.can_view_attendance(current_user, course),
        room_url=room_url(live_class),
        mine=mine,
        zone=viewer_zone(current_user),
    )


def _editable(class_id: int) -> tuple[LiveClass, Any]:
    live_class = _class_or_404(class_id)
    course = _course_or_404(live_class.course_id)
    _forbid_unless(scheduling.can_manage(current_user, course), STAFF_ONLY)
    return live_class, course


@bp.route("/classes/<int:class_id>/edit", methods=["GET", "POST"])
@login_required
def edit(class_id: int) -> Any:
    live_class, course = _editable(class_id)
    if live_class.is_finished:
        raise LiveClassError(
            _("This class has ended or was cancelled; it can no longer be changed."),
            code="class_finished",
            status=409,
        )
    form = ClassForm(lessons=_lesson_choices(course.id))
    if not form.is_submitted():
        local = to_local(live_class.starts_at, school_zone())
        form.title.data = live_class.title
        form.description.data = live_class.description
        form.start_date.data = local.date()
        form.start_time.data = local.time().replace(second=0, microsecond=0, tzinfo=None)
        form.duration_minutes.data = live_class.duration_minutes
        form.seats.data = live_class.seats
        form.lesson_id.data = live_class.lesson_id or 0
    elif form.validate():
        data = _form_data(form)
        if data is not None:
            try:
                scheduling.update_class(live_class, current_user, data)
            except LiveClassError as exc:
                db.session.rollback()
                _apply_errors(form, exc)
            else:
                db.session.commit()
                flash(_("The class is saved."), "success")
                return redirect(url_for("live_classes.detail", class_id=live_class.id))
    status = 422 if form.errors or form.form_errors else 200
    return _render_form(
        "live_classes/class_form.html", form, status, course=course, live_class=live_class
    )


def _state_change(class_id: int, action: str, success: str) -> BaseResponse:
    live_class, _course = _editable(class_id)
    service = getattr(scheduling, f"{action}_class")
    attempt(lambda: service(live_class, current_user), success)
    return redirect(url_for("live_classes.detail", class_id=class_id))


@bp.route("/classes/<int:class_id>/start", methods=["POST"])
@login_required
def start(class_id: int) -> BaseResponse:
    return _state_change(class_id, "start", _("The class is live: students can join now."))


@bp.route("/classes/<int:class_id>/end", methods=["POST"])
@login_required
def end(class_id: int) -> BaseResponse:
    return _state_change(class_id, "end", _("The class has ended."))


@bp.route("/classes/<int:class_id>/cancel", methods=["POST"])
@login_required
def cancel(class_id: int) -> BaseResponse:
    return _state_change(
        class_id, "cancel", _("The class is cancelled; its students are being told.")
    )


# --- my classes and calendars -------------------------------------------------------------


@bp.route("/my-classes")
@login_required
def my_classes() -> str:
    ids = queries.user_course_ids(current_user)
    upcoming = queries.classes_of_courses(ids, queries.UPCOMING)
    past = queries.classes_of_courses(ids, queries.PAST)[:30]
    courses = queries.course_titles({c.course_id for c in upcoming + past})
    token = calendar.token_for(current_user)
    db.session.commit()  # the feed's token, created on the first visit
    return render_template(
        "live_classes/my_classes.html",
        upcoming=upcoming,
        past=past,
        courses=courses,
        feed_url=external_url("live_classes.feed", token=token),
        zone=viewer_zone(current_user),
    )


@bp.route("/calendar/regenerate", methods=["POST"])
@login_required
def regenerate_feed() -> BaseResponse:
    calendar.regenerate_token(current_user)
    db.session.commit()
    flash(_("Your calendar has a new address; the old one no longer works."), "success")
    return redirect(url_for("live_classes.my_classes"))


def _ics(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/classes/<int:class_id>/calendar.ics")
@login_required
def class_ics(class_id: int) -> Response:
    live_class = _class_or_404(class_id)
    course = _course_or_404(live_class.course_id)
    _forbid_unless(
        scheduling.can_view(current_user, live_class, course),
        NOT_ENROLLED,
    )
    body = calendar.calendar_file([(live_class, course)], live_class.title)
    return _ics(body, f"live-class-{live_class.id}.ics")


@bp.route("/calendar/<token>.ics")
def feed(token: str) -> Response:
    """A user's calendar feed: the secret in the URL is the only credential."""
    user = calendar.user_for_token(token)
    if user is None:
        abort(404)
    classes = queries.feed_classes(user)
    courses = queries.course_titles({c.course_id for c in classes})
    pairs = [(c, courses.get(c.course_id)) for c in classes]
    with user_locale(user):  # the feed is read by a calendar program: the owner's language
        body = calendar.calendar_file(pairs, calendar.feed_name())
    return _ics(body, "live-classes.ics")
