"""Pages: the catalog, course pages, enrolment, student and instructor dashboards, the editor."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterator
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.lists import format_list
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.routing import BuildError

from lms.actions import attempt
from lms.extensions import db
from lms.i18n import _, current_language
from lms.pagination import page_number
from lms.permissions import ensure_can, login_required, role_required
from lms.state import lms_state
from lms_catalog import services, staff
from lms_catalog.forms import LANGUAGES, CourseEditForm, CourseForm
from lms_catalog.models import Course, CourseInstructor, Enrollment, level_label, status_label
from lms_catalog.roles import INSTRUCTOR
from lms_catalog.search import (
    SORTS,
    course_cards,
    parse_query,
    published,
)
from lms_catalog.services import CatalogError
from lms_catalog.thumbnails import save_thumbnail

bp = Blueprint(
    "catalog",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/catalog-plugin",
)

STUDENTS_PER_PAGE = 50


def login_url(next_url: str | None = None) -> str | None:
    """URL of the sign-in page (None while no auth plugin provides one)."""
    view = current_app.login_manager.login_view  # type: ignore[attr-defined]
    try:
        return url_for(view, next=next_url or request.full_path)
    except BuildError:
        return None


def continue_url(enrollment: Enrollment) -> str:
    """Where "continue"/"start learning" leads: the last lesson, else the first one not done.

    Lessons belong to the lessons plugin (a soft dependency): without it, the syllabus.
    """
    if "lessons" in lms_state().plugins:
        try:
            if enrollment.last_lesson_id:
                return url_for("lessons.lesson", lesson_id=enrollment.last_lesson_id)
            return url_for("lessons.start", slug=enrollment.course.slug)
        except BuildError:
            pass
    return url_for("catalog.course", slug=enrollment.course.slug) + "#syllabus"


def template_globals() -> dict[str, Any]:
    """Helpers the catalog's templates (and their imported macros) call."""
    from lms.markup import plain_text, render_markdown
    from lms_catalog.thumbnails import thumbnail_url

    def plain_excerpt(text: str | None, limit: int = 180) -> str:
        return plain_text(text, limit)

    return {
        "catalog_level": level_label,
        "catalog_status": status_label,
        "catalog_names": names_list,
        "catalog_isolate": isolate,
        "catalog_language": language_label,
        "catalog_markdown": render_markdown,
        "catalog_excerpt": plain_excerpt,
        "catalog_thumbnail": thumbnail_url,
        "catalog_continue_url": continue_url,
        "catalog_login_url": login_url,
        "catalog_staff": course_staff,
    }


def isolate(text: str) -> str:
    """`text` between Unicode isolates: <bdi> for plain text (a confirm dialog, a title)."""
    return f"\u2068{text}\u2069"


_NAME_WRAPPERS = {
    "strong": Markup("<strong><bdi>{0}</bdi></strong>"),
    "span": Markup("<span><bdi>{0}</bdi></span>"),
}


def names_list(names: list[str], tag: str = "strong") -> Markup:
    """People's names as the page's language lists them ("A, B and C"), each isolated.

    <bdi> keeps a Latin name in an Arabic sentence (and the reverse) in its own order.
    """
    wrapper = _NAME_WRAPPERS.get(tag, _NAME_WRAPPERS["strong"])
    marked = [str(wrapper.format(name)) for name in names]
    if not marked:
        return Markup("")
    return Markup(format_list(marked, locale=current_language()))  # noqa: S704 - parts escaped


def language_label(code: str) -> str:
    """Return the name of a course's language in the page's language ("fr" -> "French")."""
    return _language_label(code, current_language())


@functools.lru_cache(maxsize=1024)
def _language_label(code: str, reader: str) -> str:
    try:
        name = Locale.parse(code, sep="-").get_display_name(reader)
    except (ValueError, TypeError, UnknownLocaleError):  # not a code Babel knows: show it as stored
        return code
    return name[:1].upper() + name[1:] if name else code


def course_staff(course: Course) -> list[dict[str, Any]]:
    """Each staff member with their role, for the staff section of the editor."""
    rows = []
    for link in course.staff:
        role = staff.staff_role(course, link)
        rows.append({"user": link.user, "role": role, "label": staff.role_label(role)})
    # The owner first, whatever the stored positions say.
    return sorted(rows, key=lambda row: row["role"] != "owner")


# --- the public catalog ------------------------------------------------------------------


@bp.route("/courses")
def catalog() -> str:
    query, errors = parse_query(request.args)
    for messages in errors.values():
        for message in messages:
            flash(message, "error")
    categories = services.category_choices()
    per_page = current_app.config["LMS_PER_PAGE"]
    number = page_number(request.args.get("page"))
    page = course_cards(query, number, per_page)
    return render_template(
        "catalog/catalog.html",
        page=page,
        query=query,
        categories=categories,
        sorts=SORTS,
        course_languages=LANGUAGES,  # not "languages": the core menu's global
    )


def home_box(**_kwargs: Any) -> Markup:
    """The home page's part: featured courses and the newest ones."""
    featured = list(
        db.session.scalars(
            select(Course)
            .where(published(), Course.is_featured.is_(True))
            .order_by(Course.published_at.desc(), Course.id.desc())
            .limit(4)
        )
    )
    newest = list(
        db.session.scalars(
            select(Course)
            .where(published(), Course.id.not_in([c.id for c in featured] or [0]))
            .order_by(Course.published_at.desc(), Course.id.desc())
            .limit(8)
        )
    )
    # Markup: the core escapes plain strings a hook returns; the template autoescapes.
    html = render_template("catalog/_home.html", featured=featured, newest=newest)
    return Markup(html)  # noqa: S704


def _load_course_page(slug: str) -> Course | None:
    # One statement: the course, its category and its instructors (users joined).
    stmt = (
        select(Course)
        .where(Course.slug == slug)
        .options(joinedload(Course.instructor_links))
        .limit(1)
    )
    return db.session.scalars(stmt).unique().first()


def _course_or_404(slug: str, action: str = "view") -> Course:
    course = services.get_course_by_slug(slug)
    if course is None:
        abort(404)
    ensure_can(course, "view", hide=True)
    if action != "view":
        ensure_can(course, action)
    return course


@bp.route("/courses/<slug>")
def course(slug: str) -> Any:
    course = _load_course_page(slug) if len(slug) <= 200 else None
    if course is None:
        moved = services.resolve_old_slug(slug)
        if moved is not None and moved.can_view(current_user):
            return redirect(url_for("catalog.course", slug=moved.slug), 301)
        abort(404)
    ensure_can(course, "view", hide=True)
    is_staff = course.is_staff(current_user)
    # Staff may look at the page as a student who has not enrolled yet sees it.
    preview = is_staff and request.args.get("preview") == "student"
    enrollment = None
    if current_user.is_authenticated and not preview:
        enrollment = services.get_enrollment(current_user.id, course.id)
        if enrollment is not None and not enrollment.is_active:
            enrollment = None
    return render_template(
        "catalog/course.html",
        course=course,
        enrollment=enrollment,
        is_staff=is_staff and not preview,
        preview=preview,
    )


# --- enrolment ------------------------------------------------------------------------------


@bp.route("/courses/<slug>/enroll", methods=["POST"])
@login_required
def enroll(slug: str) -> Response:
    course = _course_or_404(slug)
    target = url_for("catalog.course", slug=course.slug)
    if not course.is_free and not services.is_enrolled(current_user, course):
        checkout = services.request_paid_enrollment(current_user, course)
        if checkout:
            return redirect(checkout)
    try:
        enrollment, created = services.enroll(current_user, course, via="web")
    except CatalogError as exc:
        flash(exc.message, "error")
        return redirect(target)
    db.session.commit()
    if created:
        flash(
            _(
                "You are enrolled in %(title)s. Start with the first lesson below.",
                title=course.title,
            ),
            "success",
        )
    else:
        flash(_("You are already enrolled in this course."), "info")
    return redirect(target + "#syllabus")


@bp.route("/courses/<slug>/unenroll", methods=["POST"])
@login_required
def unenroll(slug: str) -> Response:
    course = _course_or_404(slug)
    if services.unenroll(current_user, course):
        db.session.commit()
        flash(
            _("You left %(title)s. Your progress is kept if you enrol again.", title=course.title),
            "success",
        )
    else:
        flash(_("You were not enrolled in this course."), "info")
    return redirect(url_for("catalog.course", slug=course.slug))


# --- the student dashboard -----------------------------------------------------------------------


@bp.route("/my/courses")
@login_required
def my_courses() -> str:
    stmt = (
        select(Enrollment)
        .join(Course)
        .where(
            Enrollment.user_id == current_user.id,
            Enrollment.status == "active",
            Course.deleted_at.is_(None),
        )
        .options(joinedload(Enrollment.course), selectinload(Enrollment.certificate))
        .order_by(
            Enrollment.completed_at.is_not(None),
            Enrollment.last_activity_at.desc().nulls_last(),
            Enrollment.enrolled_at.desc(),
            Enrollment.id.desc(),
        )
    )
    page = db.paginate(
        stmt,
        page=page_number(request.args.get("page")),
        per_page=current_app.config["LMS_PER_PAGE"],
        error_out=False,
    )
    return render_template("catalog/my_courses.html", page=page, enrollments=page.items)


@bp.route("/dashboard")
@login_required
def dashboard() -> Response:
    return redirect(url_for("catalog.my_courses"))


# --- the instructor's side ----------------------------------------------------------------------


def _taught_courses(user: Any) -> list[Course]:
    stmt = (
        select(Course)
        .join(CourseInstructor, CourseInstructor.course_id == Course.id)
        .where(CourseInstructor.user_id == user.id, Course.deleted_at.is_(None))
        .order_by(Course.updated_at.desc(), Course.id.desc())
    )
    return list(db.session.scalars(stmt).unique())


@bp.route("/teach")
@login_required
def teach() -> str:
    if not current_user.is_instructor:
        # A student who finds the page learns what teaching here means and how to start.
        return render_template("catalog/teach_intro.html")
    courses = _taught_courses(current_user)
    completed: dict[int, int] = {}
    if courses:
        rows = db.session.execute(
            select(Enrollment.course_id, func.count())
            .where(
                Enrollment.course_id.in_([c.id for c in courses]),
                Enrollment.completed_at.is_not(None),
                Enrollment.status == "active",
            )
            .group_by(Enrollment.course_id)
        )
        completed = {course_id: count for course_id, count in rows}
    return render_template("catalog/teach.html", courses=courses, completed=completed)


def _students_statement(course: Course) -> Any:
    return (
        select(Enrollment)
        .where(Enrollment.course_id == course.id, Enrollment.status == "active")
        .options(joinedload(Enrollment.user))
        .order_by(Enrollment.last_activity_at.desc().nulls_last(), Enrollment.id.desc())
    )


@bp.route("/teach/courses/<slug>/students")
@login_required
def course_students(slug: str) -> str:
    course = _course_or_404(slug, "view_progress")
    page = db.paginate(
        _students_statement(course),
        page=page_number(request.args.get("page")),
        per_page=STUDENTS_PER_PAGE,
        error_out=False,
    )
    return render_template("catalog/students.html", course=course, page=page)


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells starting with these as formulas; a name must stay a name.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.route("/teach/courses/<slug>/students.csv")
@login_required
def course_students_csv(slug: str) -> Response:
    course = _course_or_404(slug, "view_progress")
    stmt = _students_statement(course).execution_options(yield_per=500)

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            ["name", "email", "enrolled_at", "progress", "completed_at", "last_activity_at"]
        )
        for enrollment in db.session.scalars(stmt):
            writer.writerow(
                [
                    _csv_cell(enrollment.user.display_name),
                    _csv_cell(enrollment.user.email),
                    enrollment.enrolled_at.isoformat(),
                    enrollment.progress,
                    enrollment.completed_at.isoformat() if enrollment.completed_at else "",
                    enrollment.last_activity_at.isoformat() if enrollment.last_activity_at else "",
                ]
            )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(rows()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{course.slug}-students.csv"'
    return response


def _category_choices() -> list[tuple[int, str]]:
    return [(0, _("— None —")), *((c.id, c.name) for c in services.list_categories())]


def _apply_thumbnail(form: CourseForm, course: Course) -> bool:
    upload = form.thumbnail.data
    if not upload or not getattr(upload, "filename", ""):
        return True
    try:
        save_thumbnail(course, upload.stream)
    except CatalogError as exc:
        form.thumbnail.errors = [*form.thumbnail.errors, exc.message]
        return False
    return True


def _form_errors(form: CourseForm, exc: CatalogError) -> None:
    for name, messages in (exc.fields or {}).items():
        target = "price" if name == "price_cents" else name
        field = getattr(form, target, None)
        if field is not None:
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)
    if not exc.fields:
        form.form_errors.append(exc.message)


@bp.route("/courses/new", methods=["GET", "POST"])
@role_required("instructor")
def new_course() -> Any:
    form = CourseForm()
    form.category_id.choices = _category_choices()
    if form.validate_on_submit():
        try:
            course = services.create_course(current_user, form.course_data())
        except CatalogError as exc:
            db.session.rollback()
            _form_errors(form, exc)
        else:
            if _apply_thumbnail(form, course):
                db.session.commit()
                flash(_("Your course is saved as a draft. Add lessons, then submit it."), "success")
                return redirect(url_for("catalog.edit_course", slug=course.slug))
            db.session.rollback()
    return render_template("catalog/edit.html", form=form, course=None), (
        422 if form.errors else 200
    )


@bp.route("/courses/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_course(slug: str) -> Any:
    course = _course_or_404(slug, "edit")
    form = CourseEditForm(obj=course)
    form.category_id.choices = _category_choices()
    if request.method == "GET":
        form.price.data = course.price_cents / 100
        form.category_id.data = course.category_id or 0
    if form.validate_on_submit():
        try:
            services.update_course(course, {**form.course_data(), "slug": form.slug.data})
        except CatalogError as exc:
            db.session.rollback()
            course = _course_or_404(slug, "edit")
            _form_errors(form, exc)
        else:
            if _apply_thumbnail(form, course):
                db.session.commit()
                flash(_("Your changes are saved."), "success")
                return redirect(url_for("catalog.edit_course", slug=course.slug))
            db.session.rollback()
            course = _course_or_404(slug, "edit")
    return render_template("catalog/edit.html", form=form, course=course), (
        422 if form.errors else 200
    )


@bp.route("/courses/<slug>/submit", methods=["POST"])
@login_required
def submit_course(slug: str) -> Response:
    course = _course_or_404(slug, "edit")
    attempt(
        lambda: services.submit_for_review(course, current_user),
        _("Sent for review. An admin will publish it or send you feedback."),
    )
    return redirect(url_for("catalog.edit_course", slug=course.slug))


@bp.route("/courses/<slug>/delete", methods=["POST"])
@login_required
def delete_course(slug: str) -> Response:
    course = _course_or_404(slug, "edit")
    services.soft_delete(course, current_user)
    db.session.commit()
    flash(
        _(
            "%(title)s is deleted. An admin can restore it if this was a mistake.",
            title=course.title,
        ),
        "success",
    )
    return redirect(url_for("catalog.teach"))


# --- the course's staff (lms_catalog.staff decides; these pages only ask) ------------------------


def _back_to_staff(course: Course) -> Response:
    if course.can_edit(current_user):
        return redirect(url_for("catalog.edit_course", slug=course.slug) + "#staff")
    return redirect(url_for("catalog.course", slug=course.slug))


def _user_by_email(email: str) -> Any:
    from lms.models import User

    email = email.strip().lower()[:254]
    return db.session.scalar(select(User).where(func.lower(User.email) == email)) if email else None


@bp.route("/courses/<slug>/instructors", methods=["POST"])
@login_required
def add_instructor(slug: str) -> Response:
    course = _course_or_404(slug, "manage_staff")
    role = request.form.get("role", INSTRUCTOR)
    user = _user_by_email(request.form.get("email") or "")
    if user is None:
        flash(_("No account has that e-mail address."), "error")
    else:
        attempt(
            lambda: staff.add_staff(course, current_user, user, role),
            _("%(name)s joined this course's staff.", name=user.display_name),
        )
    return _back_to_staff(course)


@bp.route("/courses/<slug>/instructors/<int:user_id>/remove", methods=["POST"])
@login_required
def remove_instructor(slug: str, user_id: int) -> Response:
    course = _course_or_404(slug)
    if user_id not in course.instructor_ids:
        abort(404)
    if user_id != current_user.id:
        # Leaving is everyone's right; removing someone else is the owner's (or an admin's).
        ensure_can(course, "manage_staff")
    attempt(
        lambda: staff.remove_staff(course, current_user, user_id),
        _("You left this course's staff.")
        if user_id == current_user.id
        else _("The person was removed from this course's staff."),
    )
    if not course.can_view(current_user):
        return redirect(url_for("catalog.teach"))
    return _back_to_staff(course)


@bp.route("/courses/<slug>/instructors/<int:user_id>/role", methods=["POST"])
@login_required
def change_staff_role(slug: str, user_id: int) -> Response:
    course = _course_or_404(slug, "manage_staff")
    if user_id not in course.instructor_ids:
        abort(404)
    role = request.form.get("role", "")
    attempt(
        lambda: staff.set_staff_role(course, current_user, user_id, role),
        _("Their role is now: %(role)s.", role=staff.role_label(role).lower()),
    )
    return _back_to_staff(course)


@bp.route("/courses/<slug>/owner", methods=["POST"])
@login_required
def transfer_ownership(slug: str) -> Response:
    from lms.models import User

    course = _course_or_404(slug, "manage_staff")
    raw = request.form.get("user_id", "")
    new_owner = db.session.get(User, int(raw)) if raw.isdigit() and len(raw) < 19 else None
    if new_owner is None:
        flash(_("Choose the instructor who will own the course."), "error")
    else:
        attempt(
            lambda: staff.transfer_ownership(course, current_user, new_owner),
            _("%(name)s now owns this course.", name=new_owner.display_name),
        )
    return _back_to_staff(course)
