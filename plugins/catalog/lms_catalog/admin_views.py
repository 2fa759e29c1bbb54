"""Admin pages of the catalog: the moderation queue, all courses, categories.

Each asks for a named permission (catalog.review_courses, catalog.manage_courses,
catalog.manage_categories), so a school can hand one to another role.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from lms.actions import attempt
from lms.extensions import db
from lms.i18n import _, ngettext
from lms.permissions import permission_required
from lms_catalog import services
from lms_catalog.forms import CategoryForm, FeedbackForm
from lms_catalog.models import STATUSES, Category, Course
from lms_catalog.services import CatalogError
from lms_catalog.views import bp


def _course(slug: str) -> Course:
    course = services.get_course_by_slug(slug)
    if course is None:
        abort(404)
    return course


def _back(default: str = "catalog.moderation") -> Response:
    target = request.form.get("next", "")
    # Only our own paths: an open redirect would let a link send admins anywhere.
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for(default))


@bp.route("/admin/catalog/moderation")
@permission_required("catalog.review_courses")
def moderation() -> str:
    pending = list(
        db.session.scalars(
            select(Course)
            .where(Course.status == "pending", Course.deleted_at.is_(None))
            .order_by(Course.submitted_at.asc(), Course.id.asc())
        )
    )
    return render_template("catalog/admin/moderation.html", pending=pending, form=FeedbackForm())


@bp.route("/admin/catalog/courses/<slug>/approve", methods=["POST"])
@permission_required("catalog.review_courses")
def approve(slug: str) -> Response:
    course = _course(slug)
    attempt(
        lambda: services.approve(course, current_user),
        _("%(title)s is published.", title=course.title),
    )
    return _back()


@bp.route("/admin/catalog/courses/<slug>/reject", methods=["POST"])
@permission_required("catalog.review_courses")
def reject(slug: str) -> Response:
    course = _course(slug)
    form = FeedbackForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
        return _back()
    attempt(
        lambda: services.reject(course, current_user, form.feedback.data),
        _("%(title)s went back to its instructors with your feedback.", title=course.title),
    )
    return _back()


@bp.route("/admin/catalog/courses")
@permission_required("catalog.manage_courses")
def admin_courses() -> str:
    status = request.args.get("status", "")
    stmt = select(Course)
    if status == "deleted":
        stmt = stmt.where(Course.deleted_at.is_not(None))
    elif status in STATUSES:
        stmt = stmt.where(Course.status == status, Course.deleted_at.is_(None))
    else:
        status = ""
    q = (request.args.get("q") or "").strip()[:100]
    if q:
        stmt = stmt.where(Course.title.ilike(f"%{q}%"))
    page = db.paginate(stmt.order_by(Course.updated_at.desc(), Course.id.desc()), per_page=50)
    return render_template(
        "catalog/admin/courses.html", page=page, status=status, q=q, statuses=STATUSES
    )


@bp.route("/admin/catalog/courses/<slug>/<action>", methods=["POST"])
@permission_required("catalog.manage_courses")
def course_action(slug: str, action: str) -> Response:
    course = _course(slug)
    # Whole sentences: a language may put the title anywhere in them.
    title = course.title
    actions: dict[str, Any] = {
        "unpublish": (
            lambda: services.unpublish(course, current_user),
            lambda: _("%(title)s is back to draft.", title=title),
        ),
        "restore": (
            lambda: services.restore(course, current_user),
            lambda: _("%(title)s is restored as a draft.", title=title),
        ),
        "delete": (
            lambda: services.soft_delete(course, current_user),
            lambda: _("%(title)s is deleted.", title=title),
        ),
        "feature": (
            lambda: services.set_featured(course, True),
            lambda: _("%(title)s is featured on the home page.", title=title),
        ),
        "unfeature": (
            lambda: services.set_featured(course, False),
            lambda: _("%(title)s is no longer featured.", title=title),
        ),
    }
    if action not in actions:
        abort(404)
    run, done = actions[action]
    attempt(run, done)
    return _back("catalog.admin_courses")


@bp.route("/admin/catalog/categories", methods=["GET", "POST"])
@permission_required("catalog.manage_categories")
def categories() -> Any:
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = services.create_category(form.name.data)
        except CatalogError as exc:
            db.session.rollback()
            form.name.errors = [*form.name.errors, exc.message]
        else:
            db.session.commit()
            flash(_("Category %(name)s added.", name=category.name), "success")
            return redirect(url_for("catalog.categories"))
    counts = services.category_course_counts()
    return render_template(
        "catalog/admin/categories.html",
        form=form,
        categories=services.list_categories(),
        counts=counts,
    ), (422 if form.errors else 200)


def _category(category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        abort(404)
    return category


@bp.route("/admin/catalog/categories/<int:category_id>/rename", methods=["POST"])
@permission_required("catalog.manage_categories")
def rename_category(category_id: int) -> Response:
    category = _category(category_id)
    form = CategoryForm()
    if not form.validate_on_submit():
        flash(_("Give the category a name (at most %(num)d characters).", num=80), "error")
        return redirect(url_for("catalog.categories"))
    attempt(
        lambda: services.rename_category(category, form.name.data),
        lambda: _("Category renamed to %(name)s.", name=category.name),
    )
    return redirect(url_for("catalog.categories"))


@bp.route("/admin/catalog/categories/<int:category_id>/delete", methods=["POST"])
@permission_required("catalog.manage_categories")
def delete_category(category_id: int) -> Response:
    category = _category(category_id)
    name = category.name
    moved = services.delete_category(category)
    db.session.commit()
    flash(
        ngettext(
            "Category %(name)s deleted; %(num)d course is now without a category.",
            "Category %(name)s deleted; %(num)d courses are now without a category.",
            moved,
            name=name,
        ),
        "success",
    )
    return redirect(url_for("catalog.categories"))
