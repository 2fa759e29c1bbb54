"""The catalog's JSON API, mounted by the core under /api/v1 and documented in OpenAPI."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from lms.api import ApiBlueprint, ApiError, PageArgs, page_of, page_schema, require_user
from lms.extensions import db
from lms.i18n import _, _l
from lms.inputs import Id
from lms.markup import render_markdown
from lms.models import Role, User
from lms.permissions import check_first, has_permission, permission_required, role_required
from lms.urls import external_url
from lms_catalog import services, staff
from lms_catalog.certificates import public_facts
from lms_catalog.models import LEVELS, STATUSES, Certificate, Course, Enrollment
from lms_catalog.roles import STAFF_ROLES
from lms_catalog.search import (
    PRICES,
    QUERY_MAX,
    SORTS,
    course_page,
    parse_query,
)
from lms_catalog.thumbnails import save_thumbnail, thumbnail_url

blp = ApiBlueprint(
    "catalog_api",
    __name__,
    url_prefix="",
    description="Courses, categories, the review workflow, enrolment and certificates.",
)


# Refusals from the services (CatalogError, a core ServiceError) need no
# handling here: the core answers them as {"error": ...} and rolls back.


# --- schemas -------------------------------------------------------------------------------------


class CategorySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    slug = fields.String(required=True)


class InstructorSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.Function(lambda u: u.display_name)


def _is_staff(course: Course) -> bool:
    return course.is_staff(current_user)


class CourseSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    title = fields.String()
    subtitle = fields.String()
    description_md = fields.String()
    description_html = fields.Function(lambda c: str(render_markdown(c.description_md)))
    outcomes_md = fields.String()
    category = fields.Nested(CategorySchema, allow_none=True)
    level = fields.String()
    language = fields.String()
    price_cents = fields.Integer()
    is_free = fields.Boolean()
    status = fields.String()
    # The reviewer's note is for the course's staff only.
    review_feedback = fields.Function(lambda c: c.review_feedback if _is_staff(c) else None)
    is_featured = fields.Boolean()
    is_deleted = fields.Boolean()
    enrollment_count = fields.Integer()
    rating_average = fields.Float()
    rating_count = fields.Integer()
    instructors = fields.List(fields.Nested(InstructorSchema))
    thumbnail_url = fields.Function(thumbnail_url)
    url = fields.Function(lambda c: external_url("catalog.course", slug=c.slug))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)


class CourseBriefSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    title = fields.String()
    thumbnail_url = fields.Function(thumbnail_url)


class CourseListArgs(PageArgs):
    q = fields.String(validate=validate.Length(max=QUERY_MAX))
    category = fields.String(validate=validate.Length(max=80), metadata={"description": "slug"})
    level = fields.String(validate=validate.OneOf(LEVELS))
    language = fields.String(validate=validate.Length(max=10))
    price = fields.String(validate=validate.OneOf(PRICES))
    sort = fields.String(validate=validate.OneOf(list(SORTS)))


class CourseWriteSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=services.TITLE_MAX))
    subtitle = fields.String(validate=validate.Length(max=services.SUBTITLE_MAX))
    description_md = fields.String(validate=validate.Length(max=services.TEXT_MAX))
    outcomes_md = fields.String(validate=validate.Length(max=services.TEXT_MAX))
    category_id = Id(allow_none=True)
    level = fields.String(validate=validate.OneOf(LEVELS))
    language = fields.String(validate=validate.Length(min=2, max=10))
    price_cents = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=services.PRICE_MAX)
    )


class CoursePatchSchema(CourseWriteSchema):
    title = fields.String(validate=validate.Length(min=1, max=services.TITLE_MAX))
    slug = fields.String(validate=validate.Length(min=1, max=services.SLUG_MAX))
    is_featured = fields.Boolean(metadata={"description": "admins only"})


class AdminCourseArgs(PageArgs):
    status = fields.String(validate=validate.OneOf([*STATUSES, "deleted"]))


class FeedbackSchema(Schema):
    feedback = fields.String(required=True, validate=validate.Length(max=services.FEEDBACK_MAX))


class ReasonSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=services.FEEDBACK_MAX))


class EnrollmentSchema(Schema):
    course = fields.Nested(CourseBriefSchema)
    status = fields.String()
    progress = fields.Integer()
    enrolled_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    last_lesson_id = fields.Integer(allow_none=True)
    last_activity_at = fields.DateTime(allow_none=True)
    certificate_code = fields.Function(lambda e: e.certificate.code if e.certificate else None)


class ProgressSchema(Schema):
    enrolled = fields.Boolean(required=True)
    progress = fields.Integer(required=True)
    completed_at = fields.DateTime(allow_none=True)
    last_lesson_id = fields.Integer(allow_none=True)
    certificate_code = fields.String(allow_none=True)


class CertificateSchema(Schema):
    code = fields.String()
    issued_at = fields.DateTime()
    course = fields.Function(lambda c: CourseBriefSchema().dump(c.enrollment.course))
    url = fields.Function(lambda c: external_url("catalog.verify_certificate", code=c.code))
    pdf_url = fields.Function(lambda c: external_url("catalog.certificate_pdf", code=c.code))


class VerificationSchema(Schema):
    code = fields.String(required=True)
    valid = fields.Boolean(required=True)
    # Present only when the holder shares the certificate.
    holder = fields.String()
    course = fields.String()
    completed_on = fields.Date()
    school = fields.String()
    pdf_url = fields.String()


# --- helpers -------------------------------------------------------------------------------------


def _visible_course(slug: str) -> Course:
    """The course at `slug` if the caller may see it; 404 otherwise (drafts do not leak)."""
    course = services.get_course_by_slug(slug)
    if course is None or not course.can_view(current_user):
        raise ApiError(404, _("No course at this address."), code="not_found")
    return course


def _editable_course(slug: str) -> Course:
    require_user()
    course = _visible_course(slug)
    if not course.can_edit(current_user):
        raise ApiError(403, _("Only this course's instructors can change it."), code="forbidden")
    return course


def _commit() -> None:
    db.session.commit()


# --- public catalog ------------------------------------------------------------------------------


class CatalogPageSchema(page_schema(CourseSchema, name="CatalogCoursePage")):  # type: ignore[misc]
    total_exact = fields.Boolean(
        required=True,
        metadata={"description": "False when `total` is a lower bound (a large catalog)."},
    )


@blp.route("/courses", methods=["GET"])
@blp.arguments(CourseListArgs, location="query")
@blp.response(200, CatalogPageSchema)
def list_courses(args: dict[str, Any]) -> dict[str, Any]:
    """List published courses: search, filter, sort, paginate (the catalog page's query)."""
    query, errors = parse_query(args)
    if errors:
        raise ApiError(422, _("Some of the values are not valid."), fields=errors)
    per_page = min(args.get("per_page") or current_app.config["LMS_PER_PAGE"],
                   current_app.config["LMS_MAX_PER_PAGE"])  # fmt: skip
    number = args.get("page", 1)
    page = course_page(query, number, per_page)
    return {
        "items": page.items,
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "total_exact": page.total_exact,
    }


@blp.route("/categories", methods=["GET"])
@blp.response(200, CategorySchema(many=True))
def list_categories() -> list[Any]:
    """List the course categories."""
    return services.list_categories()


@blp.route("/courses", methods=["POST"])
@role_required(
    Role.INSTRUCTOR,
    message=_l("Only instructors can create courses. Apply to become an instructor first."),
)
@blp.arguments(CourseWriteSchema)
@blp.response(201, CourseSchema)
def create_course(data: dict[str, Any]) -> Course:
    """Create a draft course (instructors)."""
    user = require_user()
    course = services.create_course(user, data)
    _commit()
    return course


@blp.route("/courses/<slug>", methods=["GET"])
@blp.response(200, CourseSchema)
def get_course(slug: str) -> Course:
    """Return a course (drafts only to their instructors and admins)."""
    return _visible_course(slug)


@blp.route("/courses/<slug>", methods=["PATCH"])
@blp.errors(409)
@check_first(lambda slug: _editable_course(slug))
@blp.arguments(CoursePatchSchema, required=False)  # omitted fields stay
@blp.response(200, CourseSchema)
def update_course(data: dict[str, Any], slug: str) -> Course:
    """Change a course (its instructors and admins)."""
    course = _editable_course(slug)
    featured = data.pop("is_featured", None)
    if featured is not None and not has_permission("catalog.manage_courses"):
        raise ApiError(403, _("Only admins can feature a course."), code="forbidden")
    services.update_course(course, data)
    if featured is not None:
        services.set_featured(course, featured)
    _commit()
    return course


@blp.route("/courses/<slug>", methods=["DELETE"])
@blp.errors(403)
@blp.response(204)
def delete_course(slug: str) -> None:
    """Delete a course (soft: an admin can restore it)."""
    course = _editable_course(slug)
    services.soft_delete(course, current_user)
    _commit()


@blp.route("/courses/<slug>/thumbnail", methods=["PUT"])
@blp.errors(403, 413, 422)
@blp.response(200, CourseSchema)
def upload_thumbnail(slug: str) -> Course:
    """Replace the course's thumbnail (multipart field "file": JPEG, PNG, WebP or GIF)."""
    course = _editable_course(slug)
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(
            422,
            _('Send the image as the multipart field "file".'),
            fields={"file": [_("Missing file.")]},
        )
    save_thumbnail(course, upload.stream)
    _commit()
    return course


@blp.route("/courses/<slug>/submit", methods=["POST"])
@blp.errors(403, 409, 422)
@blp.response(200, CourseSchema)
def submit_course(slug: str) -> Course:
    """Send a draft to the admins for review."""
    course = _editable_course(slug)
    services.submit_for_review(course, current_user)
    _commit()
    return course


# --- moderation ----------------------------------------------------------------------------------


@blp.route("/admin/courses", methods=["GET"])
@permission_required("catalog.manage_courses")
@blp.arguments(AdminCourseArgs, location="query")
@blp.response(200, page_schema(CourseSchema, name="AdminCoursePage"))
def admin_courses(args: dict[str, Any]) -> dict[str, Any]:
    """List courses by status for moderation (admins); pending ones oldest first."""
    status = args.get("status")
    stmt = select(Course)
    if status == "deleted":
        stmt = stmt.where(Course.deleted_at.is_not(None)).order_by(Course.deleted_at.desc())
    elif status:
        stmt = stmt.where(Course.status == status, Course.deleted_at.is_(None))
        if status == "pending":
            stmt = stmt.order_by(Course.submitted_at.asc(), Course.id.asc())
    stmt = stmt.order_by(Course.updated_at.desc(), Course.id.desc())
    return page_of(stmt, args)


def _moderated(slug: str) -> tuple[Course, Any]:
    user = current_user._get_current_object()  # the views check the permission first
    course = services.get_course_by_slug(slug)
    if course is None:
        raise ApiError(404, _("No course at this address."), code="not_found")
    return course, user


@blp.route("/admin/courses/<slug>/approve", methods=["POST"])
@blp.errors(409)
@permission_required("catalog.review_courses")
@blp.response(200, CourseSchema)
def approve_course(slug: str) -> Course:
    """Publish a course waiting for review."""
    course, user = _moderated(slug)
    services.approve(course, user)
    _commit()
    return course


@blp.route("/admin/courses/<slug>/reject", methods=["POST"])
@blp.errors(409)
@permission_required("catalog.review_courses")
@blp.arguments(FeedbackSchema)
@blp.response(200, CourseSchema)
def reject_course(data: dict[str, Any], slug: str) -> Course:
    """Send a course back to draft with feedback for its instructors."""
    course, user = _moderated(slug)
    services.reject(course, user, data["feedback"])
    _commit()
    return course


@blp.route("/admin/courses/<slug>/unpublish", methods=["POST"])
@blp.errors(409)
@permission_required("catalog.review_courses")
@blp.arguments(ReasonSchema)
@blp.response(200, CourseSchema)
def unpublish_course(data: dict[str, Any], slug: str) -> Course:
    """Take a published course out of the catalog (back to draft)."""
    course, user = _moderated(slug)
    services.unpublish(course, user, data.get("reason", ""))
    _commit()
    return course


@blp.route("/admin/courses/<slug>/restore", methods=["POST"])
@blp.errors(409)
@permission_required("catalog.manage_courses")
@blp.response(200, CourseSchema)
def restore_course(slug: str) -> Course:
    """Bring back a deleted course (as a draft)."""
    course, user = _moderated(slug)
    services.restore(course, user)
    _commit()
    return course


# --- the course's staff -------------------------------------------------------------------------


class CourseStaffMemberSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = fields.String(
        required=True, metadata={"description": '"owner", "instructor" or "assistant"'}
    )


class CourseStaffAddSchema(Schema):
    user_id = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1)
    )
    role = fields.String(load_default="instructor", validate=validate.OneOf(STAFF_ROLES))


class CourseStaffRoleSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))


class CourseOwnerSchema(Schema):
    user_id = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1)
    )


def _staff_list(course: Course) -> list[dict[str, Any]]:
    return [
        {"id": link.user_id, "name": link.user.display_name, "role": staff.staff_role(course, link)}
        for link in sorted(course.staff, key=lambda link: link.user_id != course.owner_id)
    ]


def _staff_course(slug: str) -> Course:
    """The course at `slug` if the caller is on its staff (or manages every course)."""
    user = require_user()
    course = _visible_course(slug)
    if not course.is_staff(user):
        raise ApiError(403, _("Only this course's staff can see its staff."), code="forbidden")
    return course


def _manager_course(slug: str) -> Course:
    course = _staff_course(slug)
    if not course.can_manage_staff(current_user):
        raise ApiError(
            403, _("Only the course's owner or an admin can change its staff."), code="forbidden"
        )
    return course


def _for_staff_managers(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pass the course to `view` once the caller may change its staff.

    Placed above @blp.arguments, so that who asks is checked before what they
    sent: a co-instructor gets 403, whatever the body holds.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, slug: str, **kwargs: Any) -> Any:
        return view(*args, course=_manager_course(slug), **kwargs)

    return wrapper


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise ApiError(
            422, _("No account has that id."), fields={"user_id": [_("No account has that id.")]}
        )
    return user


@blp.route("/courses/<slug>/staff", methods=["GET"])
@blp.errors(403)
@blp.response(200, CourseStaffMemberSchema(many=True))
def list_staff(slug: str) -> list[dict[str, Any]]:
    """List the course's staff with their roles (staff only)."""
    return _staff_list(_staff_course(slug))


@blp.route("/courses/<slug>/staff", methods=["POST"])
@blp.errors(403, 409)
@_for_staff_managers
@blp.arguments(CourseStaffAddSchema)
@blp.response(201, CourseStaffMemberSchema(many=True))
def add_staff(data: dict[str, Any], course: Course) -> list[dict[str, Any]]:
    """Add someone to the staff as "instructor" or "assistant" (the owner or an admin)."""
    staff.add_staff(course, current_user, _user(data["user_id"]), data["role"])
    _commit()
    return _staff_list(course)


@blp.route("/courses/<slug>/staff/<int:user_id>", methods=["PATCH"])
@blp.errors(403, 409)
@_for_staff_managers
@blp.arguments(CourseStaffRoleSchema)
@blp.response(200, CourseStaffMemberSchema(many=True))
def change_staff_role(data: dict[str, Any], course: Course, user_id: int) -> list[dict[str, Any]]:
    """Make a staff member an instructor or an assistant (the owner or an admin)."""
    staff.set_staff_role(course, current_user, user_id, data["role"])
    _commit()
    return _staff_list(course)


@blp.route("/courses/<slug>/staff/<int:user_id>", methods=["DELETE"])
@blp.errors(403, 409)
@blp.response(204)
def remove_staff(slug: str, user_id: int) -> None:
    """Remove someone from the staff (the owner or an admin), or leave it yourself."""
    course = _staff_course(slug)
    if user_id != current_user.id and not course.can_manage_staff(current_user):
        raise ApiError(
            403, _("Only the course's owner or an admin can change its staff."), code="forbidden"
        )
    staff.remove_staff(course, current_user, user_id)
    _commit()


@blp.route("/courses/<slug>/owner", methods=["POST"])
@blp.errors(403, 409)
@_for_staff_managers
@blp.arguments(CourseOwnerSchema)
@blp.response(200, CourseStaffMemberSchema(many=True))
def transfer_ownership(data: dict[str, Any], course: Course) -> list[dict[str, Any]]:
    """Give the course to another instructor (the owner or an admin); returns the new staff."""
    staff.transfer_ownership(course, current_user, _user(data["user_id"]))
    _commit()
    return _staff_list(course)


# --- enrolment and progress ----------------------------------------------------------------------


@blp.route("/courses/<slug>/enroll", methods=["POST"])
@blp.errors(402, 409)
@blp.response(201, EnrollmentSchema)
@blp.alt_response(200, schema=EnrollmentSchema, description="Already enrolled; nothing changed.")
def enroll(slug: str) -> Any:
    """Enrol the current user (idempotent: 201 the first time, 200 after)."""
    user = require_user()
    course = _visible_course(slug)
    if not course.is_published:
        raise ApiError(409, _("This course is not published yet."), code="not_published")
    if not course.is_free and not services.is_enrolled(user, course):
        checkout = services.request_paid_enrollment(user, course)
        if checkout:
            raise ApiError(
                402,
                _(
                    "This is a paid course. Complete the payment at %(url)s to enrol.",
                    url=checkout,
                ),
                code="payment_required",
            )
    enrollment, created = services.enroll(user, course, via="api")
    _commit()
    return enrollment, 201 if created else 200


@blp.route("/courses/<slug>/enroll", methods=["DELETE"])
@blp.response(204)
def unenroll(slug: str) -> None:
    """Leave a course (progress is kept if you come back)."""
    user = require_user()
    course = _visible_course(slug)
    if not services.unenroll(user, course):
        raise ApiError(404, _("You are not enrolled in this course."), code="not_enrolled")
    _commit()


@blp.route("/courses/<slug>/progress", methods=["GET"])
@blp.response(200, ProgressSchema)
def progress(slug: str) -> dict[str, Any]:
    """The current user's progress in a course."""
    user = require_user()
    course = _visible_course(slug)
    enrollment = services.get_enrollment(user.id, course.id)
    if enrollment is None or not enrollment.is_active:
        return {"enrolled": False, "progress": 0, "completed_at": None}
    return {
        "enrolled": True,
        "progress": enrollment.progress,
        "completed_at": enrollment.completed_at,
        "last_lesson_id": enrollment.last_lesson_id,
        "certificate_code": enrollment.certificate.code if enrollment.certificate else None,
    }


@blp.route("/me/enrollments", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(EnrollmentSchema))
def my_enrollments(args: dict[str, Any]) -> dict[str, Any]:
    """The current user's active enrolments, most recently active first."""
    user = require_user()
    stmt = (
        select(Enrollment)
        .join(Course)
        .where(Enrollment.user_id == user.id, Enrollment.status == "active")
        .where(Course.deleted_at.is_(None))
        .order_by(Enrollment.last_activity_at.desc().nulls_last(), Enrollment.id.desc())
    )
    return page_of(stmt, args)


@blp.route("/me/certificates", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(CertificateSchema))
def my_certificates(args: dict[str, Any]) -> dict[str, Any]:
    """The current user's certificates, newest first."""
    user = require_user()
    stmt = (
        select(Certificate)
        .join(Enrollment)
        .where(Enrollment.user_id == user.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    return page_of(stmt, args)


@blp.route("/certificates/<code>", methods=["GET"])
@blp.response(200, VerificationSchema)
def verify_certificate(code: str) -> dict[str, Any]:
    """Say whether a certificate code is genuine and, if its holder shares it, whose it is."""
    certificate = services.get_certificate(code)
    answer: dict[str, Any] = {
        "code": services.normalise_code(code)[:32],
        "valid": certificate is not None,
    }
    facts = public_facts(certificate)
    if facts:
        answer.update(facts, completed_on=facts["completed_on"].date())
    return answer
