"""What the catalog does: courses and their workflow, enrolment, progress, certificates.

Services change state, flush and send signals; the request, job or command
that called them commits. Each raises CatalogError with a message written for
the person who asked, so pages and the API show the same words.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from typing import Any, NamedTuple

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from lms.cache import forget_after_commit, remember
from lms.errors import ServiceError
from lms.extensions import db
from lms.i18n import _
from lms.models import User, utcnow
from lms_catalog import signals
from lms_catalog.models import (
    LEVELS,
    Category,
    Certificate,
    Course,
    CourseInstructor,
    CourseSlugRedirect,
    Enrollment,
)

log = logging.getLogger(__name__)

SLUG_MAX = 80
TITLE_MAX = 200
SUBTITLE_MAX = 300
TEXT_MAX = 20000
FEEDBACK_MAX = 5000
PRICE_MAX = 10_000_000  # cents; a typo guard, not a business rule
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")
# No 0/O or 1/I/L: codes are read aloud and typed from paper.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class CatalogError(ServiceError):
    """A refused action of this plugin (see lms.errors.ServiceError)."""


def _invalid(field: str, message: str) -> CatalogError:
    return CatalogError(message, code="validation_error", status=422, fields={field: [message]})


# --- slugs ------------------------------------------------------------------------


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """Turn a title into a readable ASCII slug ("Café & Crème" -> "cafe-creme")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-")


def _slug_taken(slug: str, course_id: int | None = None) -> bool:
    course = db.session.scalar(select(Course.id).where(Course.slug == slug))
    if course is not None and course != course_id:
        return True
    redirect_owner = db.session.scalar(
        select(CourseSlugRedirect.course_id).where(CourseSlugRedirect.old_slug == slug)
    )
    # A course may take back one of its own old slugs; nobody else may.
    return redirect_owner is not None and redirect_owner != course_id


def unique_slug(title: str, course_id: int | None = None) -> str:
    """Return a free slug made from `title`, adding -2, -3 ... when needed."""
    base = slugify(title) or "course"
    slug, n = base, 1
    while _slug_taken(slug, course_id):
        n += 1
        suffix = f"-{n}"
        slug = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
    return slug


def change_slug(course: Course, new_slug: str) -> None:
    """Give `course` a new slug and keep the old one as a redirect."""
    new_slug = (new_slug or "").strip().lower()
    if new_slug == course.slug:
        return
    if not _SLUG_RE.match(new_slug) or len(new_slug) > SLUG_MAX:
        raise _invalid(
            "slug",
            _(
                "Use lower-case letters, digits and single hyphens (at most %(num)d characters).",
                num=SLUG_MAX,
            ),
        )
    if _slug_taken(new_slug, course.id):
        raise _invalid("slug", _("Another course already uses this address."))
    db.session.execute(db.delete(CourseSlugRedirect).where(CourseSlugRedirect.old_slug == new_slug))
    db.session.add(CourseSlugRedirect(old_slug=course.slug, course_id=course.id))
    course.slug = new_slug
    db.session.flush()


# --- looking courses up ----------------------------------------------------------------


def get_course(course_id: int) -> Course | None:
    """Return the course with this id (any status, deleted included) or None."""
    return db.session.get(Course, course_id)


def get_course_by_slug(slug: str) -> Course | None:
    """Return the course whose current slug is `slug` (old slugs: see resolve_old_slug)."""
    if not slug or len(slug) > 200:
        return None
    return db.session.scalar(select(Course).where(Course.slug == slug))


def resolve_old_slug(slug: str) -> Course | None:
    """Return the course that used to be at `slug`, for a 301 to its current address."""
    if not slug or len(slug) > 200:
        return None
    return db.session.scalar(
        select(Course).join(CourseSlugRedirect).where(CourseSlugRedirect.old_slug == slug)
    )


# --- creating and editing ------------------------------------------------------------------

EDITABLE_FIELDS = (
    "title",
    "subtitle",
    "description_md",
    "outcomes_md",
    "category_id",
    "level",
    "language",
    "price_cents",
)


def clean_course_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Check the editable fields present in `data`; return them cleaned or raise."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}

    def text(name: str, limit: int, required: bool = False) -> None:
        if name not in data:
            return
        value = data[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[name] = [_("Must be text.")]
            return
        value = value.strip()
        if required and not value:
            errors[name] = [_("This field is required.")]
        elif len(value) > limit:
            errors[name] = [_("At most %(num)d characters.", num=limit)]
        elif "\x00" in value:
            errors[name] = [_("Contains characters that are not allowed.")]
        else:
            out[name] = value

    text("title", TITLE_MAX, required=True)
    text("subtitle", SUBTITLE_MAX)
    text("description_md", TEXT_MAX)
    text("outcomes_md", TEXT_MAX)
    if "level" in data:
        if data["level"] in LEVELS:
            out["level"] = data["level"]
        else:
            errors["level"] = [_("Choose one of: %(choices)s.", choices=", ".join(LEVELS))]
    if "language" in data:
        lang = data["language"]
        if isinstance(lang, str) and _LANGUAGE_RE.match(lang.strip()):
            out["language"] = lang.strip()
        else:
            errors["language"] = [_('Use a language code such as "en", "fr" or "pt-BR".')]
    if "price_cents" in data:
        price = data["price_cents"]
        if isinstance(price, bool) or not isinstance(price, int):
            errors["price_cents"] = [_("Must be a whole number of cents.")]
        elif not 0 <= price <= PRICE_MAX:
            errors["price_cents"] = [_("Must be between 0 (free) and %(max)d.", max=PRICE_MAX)]
        else:
            out["price_cents"] = price
    if "category_id" in data:
        cat = data["category_id"]
        if cat in (None, "", 0):
            out["category_id"] = None
        elif isinstance(cat, bool) or not isinstance(cat, int):
            errors["category_id"] = [_("Choose a category from the list.")]
        elif db.session.get(Category, cat) is None:
            errors["category_id"] = [_("This category does not exist.")]
        else:
            out["category_id"] = cat
    if errors:
        raise CatalogError(
            _("Some of the values are not valid."),
            code="validation_error",
            status=422,
            fields=errors,
        )
    return out


def create_course(owner: User, data: dict[str, Any]) -> Course:
    """Create a draft course owned (and taught) by `owner`."""
    if not owner.is_instructor:
        raise CatalogError(
            _("Only instructors can create courses. Apply to become an instructor first."),
            code="forbidden",
            status=403,
        )
    fields = clean_course_fields({**data, "title": data.get("title")})
    course = Course(
        owner_id=owner.id,
        status="draft",
        slug=unique_slug(fields["title"]),
        **fields,
    )
    course.instructor_links.append(CourseInstructor(user_id=owner.id, position=0))
    db.session.add(course)
    db.session.flush()
    log.info("course %s created by %s", course.id, owner.id)
    return course


def update_course(course: Course, data: dict[str, Any]) -> Course:
    """Change the editable fields present in `data` (and the slug, if given)."""
    if course.is_deleted:
        raise CatalogError(_("This course is deleted."), code="deleted", status=409)
    fields = clean_course_fields({k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    if "slug" in data and data["slug"] is not None:
        if not isinstance(data["slug"], str):
            raise _invalid("slug", _("Must be text."))
        change_slug(course, data["slug"])
    for key, value in fields.items():
        setattr(course, key, value)
    course.updated_at = utcnow()
    db.session.flush()
    return course


def set_featured(course: Course, featured: bool) -> None:
    course.is_featured = bool(featured)
    db.session.flush()


def set_course_rating(course_id: int, average: float, count: int) -> None:
    """Record a course's rating summary (called by a reviews plugin)."""
    db.session.execute(
        update(Course)
        .where(Course.id == course_id)
        .values(rating_average=max(0.0, min(5.0, float(average))), rating_count=max(0, int(count)))
    )


# --- the review workflow ------------------------------------------------------------------------


def submit_for_review(course: Course, by: User) -> None:
    """Draft -> pending: ask the admins to publish the course."""
    if course.is_deleted:
        raise CatalogError(_("This course is deleted."), code="deleted", status=409)
    if course.status == "pending":
        raise CatalogError(
            _("This course is already waiting for review."), code="already_pending", status=409
        )
    if course.status == "published":
        raise CatalogError(
            _("This course is already published."), code="already_published", status=409
        )
    if not course.description_md.strip():
        raise _invalid("description_md", _("Add a description before submitting for review."))
    course.status = "pending"
    course.submitted_at = utcnow()
    db.session.flush()
    log.info("course %s submitted for review by %s", course.id, by.id)
    signals.course_submitted.send(course, by=by)


def approve(course: Course, by: User) -> None:
    """Pending (or draft, for an admin publishing directly) -> published."""
    if course.is_deleted:
        raise CatalogError(
            _("This course is deleted; restore it first."), code="deleted", status=409
        )
    if course.status == "published":
        raise CatalogError(
            _("This course is already published."), code="already_published", status=409
        )
    course.status = "published"
    course.review_feedback = None
    course.published_at = course.published_at or utcnow()
    db.session.flush()
    log.info("course %s published by %s", course.id, by.id)
    signals.course_published.send(course, by=by)


def reject(course: Course, by: User, feedback: str) -> None:
    """Pending -> draft, with the reviewer's feedback shown to the instructors."""
    feedback = (feedback or "").strip() if isinstance(feedback, str) else ""
    if not feedback:
        raise _invalid("feedback", _("Tell the instructor what to change."))
    if len(feedback) > FEEDBACK_MAX:
        raise _invalid("feedback", _("At most %(num)d characters.", num=FEEDBACK_MAX))
    if course.status != "pending":
        raise CatalogError(
            _("Only courses waiting for review can be rejected."), code="not_pending", status=409
        )
    course.status = "draft"
    course.review_feedback = feedback
    db.session.flush()
    log.info("course %s sent back to draft by %s", course.id, by.id)
    signals.course_rejected.send(course, by=by, feedback=feedback)


def unpublish(course: Course, by: User, reason: str = "") -> None:
    """Published -> draft (admins): hidden from the catalog, enrolments kept."""
    if course.status != "published":
        raise CatalogError(_("This course is not published."), code="not_published", status=409)
    course.status = "draft"
    if isinstance(reason, str) and reason.strip():
        course.review_feedback = reason.strip()[:FEEDBACK_MAX]
    db.session.flush()
    log.info("course %s unpublished by %s", course.id, by.id)


def soft_delete(course: Course, by: User) -> None:
    """Hide the course everywhere; an admin can restore it with everything intact."""
    if course.is_deleted:
        return
    course.deleted_at = utcnow()
    db.session.flush()
    log.info("course %s deleted by %s", course.id, by.id)


def restore(course: Course, by: User) -> None:
    """Undo a soft delete; the course comes back as a draft for its instructors to check."""
    if not course.is_deleted:
        raise CatalogError(_("This course is not deleted."), code="not_deleted", status=409)
    course.deleted_at = None
    if course.status == "published":
        course.status = "draft"
    db.session.flush()
    log.info("course %s restored by %s", course.id, by.id)


# --- categories ---------------------------------------------------------------------------------


def clean_category_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise _invalid("name", _("Give the category a name."))
    name = " ".join(name.split())
    if len(name) > 80:
        raise _invalid("name", _("At most %(num)d characters.", num=80))
    if not slugify(name):
        raise _invalid("name", _("Use at least one letter or digit."))
    return name


def create_category(name: Any) -> Category:
    forget_after_commit(_CATEGORY_CHOICES)
    name = clean_category_name(name)
    slug = slugify(name)
    clash = db.session.scalar(
        select(Category).where(
            (func.lower(Category.name) == name.lower()) | (Category.slug == slug)
        )
    )
    if clash is not None:
        raise _invalid("name", _('A category named "%(name)s" already exists.', name=clash.name))
    category = Category(name=name, slug=slug)
    db.session.add(category)
    db.session.flush()
    return category


def rename_category(category: Category, name: Any) -> None:
    forget_after_commit(_CATEGORY_CHOICES)
    name = clean_category_name(name)
    slug = slugify(name)
    clash = db.session.scalar(
        select(Category).where(
            ((func.lower(Category.name) == name.lower()) | (Category.slug == slug))
            & (Category.id != category.id)
        )
    )
    if clash is not None:
        raise _invalid("name", _('A category named "%(name)s" already exists.', name=clash.name))
    category.name, category.slug = name, slug
    db.session.flush()


def delete_category(category: Category) -> int:
    forget_after_commit(_CATEGORY_CHOICES)
    """Delete a category; its courses become uncategorised. Return how many."""
    count = db.session.scalar(
        select(func.count()).select_from(Course).where(Course.category_id == category.id)
    )
    db.session.execute(
        update(Course).where(Course.category_id == category.id).values(category_id=None)
    )
    db.session.delete(category)
    db.session.flush()
    return int(count or 0)


def list_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.name)))


_CATEGORY_CHOICES = "catalog:category-choices"


def category_choices() -> list[CategoryChoice]:
    """(slug, name) of every category, for filters on every catalog page (cached 60 s)."""
    return remember(
        _CATEGORY_CHOICES,
        60,
        lambda: [
            CategoryChoice(slug, name)
            for slug, name in db.session.execute(
                select(Category.slug, Category.name).order_by(Category.name)
            )
        ],
    )


class CategoryChoice(NamedTuple):
    slug: str
    name: str


# --- enrolment ---------------------------------------------------------------------------------


def get_enrollment(user_id: int, course_id: int) -> Enrollment | None:
    """Return the user's enrolment in the course (active or not) or None."""
    return db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == user_id, Enrollment.course_id == course_id)
    )


def is_enrolled(user: Any, course: Course) -> bool:
    """True if `user` holds an active enrolment in `course`."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    enrollment = get_enrollment(user.id, course.id)
    return enrollment is not None and enrollment.is_active


def _change_count(course: Course, delta: int) -> None:
    # An SQL expression, not a read-modify-write: two enrolments at once both count.
    new_count = Course.enrollment_count + delta
    db.session.execute(
        update(Course)
        .where(Course.id == course.id)
        .values(enrollment_count=case((new_count < 0, 0), else_=new_count))
    )
    db.session.expire(course, ["enrollment_count"])


def enroll(user: User, course: Course, *, via: str = "web") -> tuple[Enrollment, bool]:
    """Enrol `user` in `course`; return (enrolment, created). Enrolling twice changes nothing.

    Paid courses go through a payment plugin first (see signals.paid_enrollment_requested),
    which then calls this with via="payment".
    """
    if not course.is_published:
        raise CatalogError(
            _("This course is not open for enrolment."), code="not_found", status=404
        )
    existing = get_enrollment(user.id, course.id)
    if existing is not None and existing.is_active:
        return existing, False
    if not course.is_free and via != "payment":
        raise CatalogError(
            _(
                "This is a paid course, and this school does not take payments online yet. "
                "Ask the school how to join it."
            ),
            code="payment_required",
            status=402,
        )
    if existing is not None:  # coming back after unenrolling: keep the progress
        existing.status = "active"
        existing.last_activity_at = utcnow()
        enrollment, created = existing, True
    else:
        enrollment = Enrollment(user_id=user.id, course_id=course.id, status="active")
        try:
            with db.session.begin_nested():
                db.session.add(enrollment)
        except IntegrityError:
            # Another request enrolled the same user a moment ago: that one counts.
            found = get_enrollment(user.id, course.id)
            if found is None:
                raise
            return found, False
        created = True
    _change_count(course, +1)
    db.session.flush()
    log.info("user %s enrolled in course %s via %s", user.id, course.id, via)
    signals.user_enrolled.send(enrollment, via=via)
    return enrollment, created


def request_paid_enrollment(user: User, course: Course) -> str | None:
    """Ask a payment plugin for a checkout URL for a paid course; None if none answers."""
    for _receiver, result in signals.paid_enrollment_requested.send(course, user=user):
        if isinstance(result, str) and result:
            return result
    return None


def unenroll(user: User, course: Course) -> bool:
    """Leave a course (progress is kept if the user comes back). Return False if not enrolled."""
    enrollment = get_enrollment(user.id, course.id)
    if enrollment is None or not enrollment.is_active:
        return False
    enrollment.status = "unenrolled"
    _change_count(course, -1)
    db.session.flush()
    signals.user_unenrolled.send(enrollment)
    return True


def touch_last_lesson(user_id: int, course_id: int, lesson_id: int) -> None:
    """Remember the lesson a student opened last ("continue where you left off")."""
    db.session.execute(
        update(Enrollment)
        .where(Enrollment.user_id == user_id, Enrollment.course_id == course_id)
        .values(last_lesson_id=lesson_id, last_activity_at=utcnow())
    )


def new_certificate_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(code: str) -> str:
    """Accept codes typed in lower case, with spaces or without hyphens."""
    raw = re.sub(r"[^A-Za-z0-9]", "", code or "").upper()
    if len(raw) != 12:
        return raw
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def issue_certificate(enrollment: Enrollment) -> Certificate:
    """Return the enrolment's certificate, issuing it if it has none yet."""
    if enrollment.certificate is not None:
        return enrollment.certificate
    if not enrollment.is_completed:
        raise CatalogError(_("The course is not completed yet."), code="not_completed", status=409)
    certificate = Certificate(
        enrollment=enrollment, code=new_certificate_code(), issued_at=utcnow()
    )
    db.session.add(certificate)
    db.session.flush()
    signals.certificate_issued.send(certificate)
    return certificate


def set_course_progress(
    user_id: int, course_id: int, percent: int, last_lesson_id: int | None = None
) -> Enrollment:
    """Record a student's course progress (0-100); at 100 complete and certify.

    Completion never moves backwards: a completed enrolment stays at 100 with
    its certificate even if lessons are added later. The caller commits.
    """
    enrollment = get_enrollment(user_id, course_id)
    if enrollment is None:
        raise CatalogError(
            _("You are not enrolled in this course."), code="not_enrolled", status=403
        )
    percent = max(0, min(100, int(percent)))
    now = utcnow()
    if last_lesson_id is not None:
        enrollment.last_lesson_id = last_lesson_id
    enrollment.last_activity_at = now
    if enrollment.is_completed:
        enrollment.progress = 100
        db.session.flush()
        return enrollment
    enrollment.progress = percent
    if percent == 100:
        enrollment.completed_at = now
        db.session.flush()
        log.info("enrollment %s completed", enrollment.id)
        signals.course_completed.send(enrollment)
        issue_certificate(enrollment)
    db.session.flush()
    return enrollment


def get_certificate(code: str) -> Certificate | None:
    code = normalise_code(code)
    if len(code) != 14:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def category_course_counts() -> dict[int, int]:
    """Number of (not deleted) courses per category id."""
    rows = db.session.execute(
        select(Course.category_id, func.count())
        .where(Course.category_id.is_not(None), Course.deleted_at.is_(None))
        .group_by(Course.category_id)
    )
    return {category_id: count for category_id, count in rows}
