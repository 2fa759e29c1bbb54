"""Sections and lessons: create, edit, delete and order them.

Services check values, change state and flush; the request or command that
called them commits. Each refusal is a LessonError whose message is written
for the person who asked, so pages and API show the same words.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from lms.errors import ServiceError
from lms.extensions import db
from lms.i18n import _
from lms.models import utcnow
from lms.tasks import enqueue
from lms_lessons.models import DRAFT, STATUSES, Lesson, Section
from lms_lessons.registry import ContentError, LessonType, get_lesson_type, lesson_types

log = logging.getLogger(__name__)

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
DURATION_MAX = 100 * 3600  # seconds; a typo guard (nobody teaches a 100-hour lesson)
SECTIONS_MAX = 200
LESSONS_PER_SECTION_MAX = 500


class LessonError(ServiceError):
    """A refused action of this plugin (see lms.errors.ServiceError)."""


def invalid(fields: dict[str, list[str]], message: str | None = None) -> LessonError:
    message = message or _("Some of the values are not valid.")
    return LessonError(message, code="validation_error", status=422, fields=fields)


def clean_text(value: Any, *, limit: int, required: bool) -> tuple[str | None, str | None]:
    """Return (cleaned, None) or (None, error message)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        return None, _("Must be text.")
    value = value.strip()
    if "\x00" in value:
        return None, _("Contains characters that are not allowed.")
    if required and not value:
        return None, _("This field is required.")
    if len(value) > limit:
        return None, _("At most %(num)d characters.", num=limit)
    return value, None


# --- course progress follows the published lessons -------------------------------


def published_lessons_changed(course_id: int) -> None:
    """Students' course progress depends on the published lessons: recompute it after commit.

    The job is unique: one waits per course however many changes queue it; it
    runs in the worker so that a course with many students never slows the
    instructor's request.
    """
    enqueue("lms_lessons.tasks.recompute_course_progress", course_id)


# --- sections ------------------------------------------------------------------


def get_section(section_id: int) -> Section | None:
    return db.session.get(Section, section_id)


def sections_of(course_id: int, *, with_lessons: bool = True) -> list[Section]:
    """Return a course's sections in order, their lessons loaded in one more statement."""
    stmt = select(Section).where(Section.course_id == course_id)
    if with_lessons:
        stmt = stmt.options(selectinload(Section.lessons))
    return list(db.session.scalars(stmt.order_by(Section.position, Section.id)))


def clean_section_title(value: Any) -> str:
    title, error = clean_text(value, limit=TITLE_MAX, required=True)
    if error:
        raise invalid({"title": [error]})
    return title or ""


def create_section(course_id: int, title: Any) -> Section:
    title = clean_section_title(title)
    count, last = db.session.execute(
        select(func.count(Section.id), func.max(Section.position)).where(
            Section.course_id == course_id
        )
    ).one()
    if count >= SECTIONS_MAX:
        raise LessonError(
            _("A course can have at most %(num)d sections.", num=SECTIONS_MAX),
            code="too_many",
            status=409,
        )
    section = Section(course_id=course_id, title=title, position=(last or 0) + 1)
    db.session.add(section)
    db.session.flush()
    log.info("section %s added to course %s", section.id, course_id)
    return section


def rename_section(section: Section, title: Any) -> None:
    section.title = clean_section_title(title)
    db.session.flush()


def delete_section(section: Section) -> None:
    """Delete a section and its lessons (their stored files go once committed)."""
    for lesson in list(section.lessons):
        _lesson_deleted(lesson)
    if any(lesson.is_published for lesson in section.lessons):
        published_lessons_changed(section.course_id)
    db.session.delete(section)
    db.session.flush()
    log.info("section %s deleted", section.id)


def _clean_ids(ids: Any) -> list[int]:
    if not isinstance(ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        raise invalid({"ids": [_("Give the ids as a list of whole numbers.")]})
    if len(set(ids)) != len(ids):
        raise invalid({"ids": [_("Each id may appear only once.")]})
    return ids


def reorder_sections(course_id: int, ids: Any) -> list[Section]:
    """Put the course's sections in the order of `ids`, which must name each exactly once."""
    ids = _clean_ids(ids)
    sections = sections_of(course_id, with_lessons=False)
    if set(ids) != {s.id for s in sections}:
        raise invalid({"ids": [_("List every section of this course exactly once.")]})
    by_id = {s.id: s for s in sections}
    for position, section_id in enumerate(ids, start=1):
        by_id[section_id].position = position
    db.session.flush()
    return [by_id[i] for i in ids]


def move_section(section: Section, direction: str) -> bool:
    """Swap a section with its neighbour ("up" or "down"); False if already at the end."""
    sections = sections_of(section.course_id, with_lessons=False)
    ids = [s.id for s in sections]
    i = ids.index(section.id)
    j = i - 1 if direction == "up" else i + 1
    if direction not in ("up", "down") or not 0 <= j < len(ids):
        return False
    ids[i], ids[j] = ids[j], ids[i]
    reorder_sections(section.course_id, ids)
    return True


# --- lessons -----------------------------------------------------------------------


def get_lesson(lesson_id: int) -> Lesson | None:
    return db.session.get(Lesson, lesson_id)


def clean_lesson_fields(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """Check the lesson fields present in `data`; return them cleaned or raise LessonError."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    if creating or "title" in data:
        title, error = clean_text(data.get("title"), limit=TITLE_MAX, required=True)
        if error:
            errors["title"] = [error]
        else:
            out["title"] = title
    if "description" in data:
        description, error = clean_text(data["description"], limit=DESCRIPTION_MAX, required=False)
        if error:
            errors["description"] = [error]
        else:
            out["description"] = description
    if "duration_seconds" in data:
        value = data["duration_seconds"]
        if value is None:
            value = 0
        if isinstance(value, bool) or not isinstance(value, int):
            errors["duration_seconds"] = [_("Must be a whole number of seconds.")]
        elif not 0 <= value <= DURATION_MAX:
            errors["duration_seconds"] = [
                _("Must be between 0 and %(max)d seconds.", max=DURATION_MAX)
            ]
        else:
            out["duration_seconds"] = value
    if "status" in data:
        if data["status"] in STATUSES:
            out["status"] = data["status"]
        else:
            errors["status"] = [_("Choose one of: %(choices)s.", choices=", ".join(STATUSES))]
    if "free_preview" in data:
        if isinstance(data["free_preview"], bool):
            out["free_preview"] = data["free_preview"]
        else:
            errors["free_preview"] = [_("Must be true or false.")]
    if creating:
        type_name = data.get("type")
        if not isinstance(type_name, str) or get_lesson_type(type_name) is None:
            names = ", ".join(t.name for t in lesson_types())
            errors["type"] = [_("Choose a lesson type: %(names)s.", names=names)]
        else:
            out["type"] = type_name
    if errors:
        raise invalid(errors)
    return out


def content_form(lesson_type: LessonType, content: Any) -> Any:
    """Build the type's editor form from API JSON (a dict of the type's fields)."""
    if content is None:
        content = {}
    if not isinstance(content, dict):
        raise invalid({"content": [_("Must be an object with the lesson type's fields.")]})
    form = lesson_type.editor_form(formdata=None, meta={"csrf": False})
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(content) - {f.name for f in form})
    if unknown:
        errors["content"] = [
            _(
                "Unknown field(s) for a %(type)s lesson: %(fields)s.",
                type=lesson_type.name,
                fields=", ".join(unknown),
            )
        ]
    data = {}
    for name, value in content.items():
        if name not in form:
            continue
        if value is not None and not isinstance(value, str):
            errors[f"content.{name}"] = [_("Must be text.")]
        elif value is not None:
            data[name] = value
    if errors:
        raise invalid(errors)
    form = lesson_type.editor_form(formdata=MultiDict(data) if data else None, meta={"csrf": False})
    return form


def apply_content(lesson: Lesson, lesson_type: LessonType, form: Any) -> None:
    """Validate the type's form and let it store the content; raise LessonError if refused."""
    if not form.validate():
        # str(): lazy validator messages become today's words (and JSON can carry them).
        raise invalid({f"content.{k}": [str(m) for m in v] for k, v in form.errors.items()})
    try:
        form.save(lesson)
    except ContentError as exc:
        raise invalid(
            {f"content.{k}": v for k, v in exc.fields.items()} or {"content": [exc.message]},
            exc.message,
        ) from exc


def check_publishable(lesson: Lesson) -> None:
    lesson_type = get_lesson_type(lesson.type)
    if lesson.status != DRAFT and lesson_type and lesson_type.publish_problem:
        problem = lesson_type.publish_problem(lesson)
        if problem:
            problem = str(problem)  # a lazy string from the type's plugin: in today's language
            raise invalid({"status": [problem]}, problem)


def create_lesson(section: Section, data: Mapping[str, Any], form: Any = None) -> Lesson:
    """Add a lesson at the end of `section`; `form` is the type's filled editor form."""
    fields = clean_lesson_fields(data, creating=True)
    lesson_type = get_lesson_type(fields["type"])
    assert lesson_type is not None  # checked by clean_lesson_fields
    count, last = db.session.execute(
        select(func.count(Lesson.id), func.max(Lesson.position)).where(
            Lesson.section_id == section.id
        )
    ).one()
    if count >= LESSONS_PER_SECTION_MAX:
        raise LessonError(
            _(
                "A section can have at most %(num)d lessons; start a new section.",
                num=LESSONS_PER_SECTION_MAX,
            ),
            code="too_many",
            status=409,
        )
    status = fields.pop("status", DRAFT)
    lesson = Lesson(
        section=section,
        course_id=section.course_id,
        position=(last or 0) + 1,
        content={},
        status=DRAFT,
        **fields,
    )
    db.session.add(lesson)
    db.session.flush()  # the content may need the id (stored file keys)
    if form is None:
        form = content_form(lesson_type, data.get("content"))
    apply_content(lesson, lesson_type, form)
    lesson.status = status
    check_publishable(lesson)
    if lesson.is_published:
        published_lessons_changed(lesson.course_id)
    db.session.flush()
    log.info("lesson %s (%s) added to section %s", lesson.id, lesson.type, section.id)
    return lesson


def update_lesson(lesson: Lesson, data: Mapping[str, Any], form: Any = None) -> Lesson:
    """Change the fields present in `data` (and the content, when given)."""
    fields = clean_lesson_fields(data, creating=False)
    if "type" in data and data["type"] != lesson.type:
        raise invalid({"type": [_("A lesson's type cannot change; create a new lesson instead.")]})
    lesson_type = get_lesson_type(lesson.type)
    was_published = lesson.is_published
    for key, value in fields.items():
        setattr(lesson, key, value)
    if form is None and "content" in data:
        if lesson_type is None:
            raise invalid({"content": [_("This lesson's type is not installed on this site.")]})
        form = content_form(lesson_type, data["content"])
    if form is not None and lesson_type is not None:
        apply_content(lesson, lesson_type, form)
    check_publishable(lesson)
    if lesson.is_published != was_published:
        published_lessons_changed(lesson.course_id)
    lesson.updated_at = utcnow()
    db.session.flush()
    return lesson


def _lesson_deleted(lesson: Lesson) -> None:
    from lms_lessons.signals import lesson_deleted

    lesson_type = get_lesson_type(lesson.type)
    if lesson_type and lesson_type.on_delete:
        lesson_type.on_delete(lesson)
    lesson_deleted.send(lesson)


def delete_lesson(lesson: Lesson) -> None:
    _lesson_deleted(lesson)
    if lesson.is_published:
        published_lessons_changed(lesson.course_id)
    db.session.delete(lesson)
    db.session.flush()
    log.info("lesson %s deleted", lesson.id)


def reorder_lessons(section: Section, ids: Any) -> list[Lesson]:
    """Put `section`'s lessons in the order of `ids`.

    `ids` lists every lesson of the section once, and may also name lessons of
    another section of the same course: those move here (drag between sections).
    """
    ids = _clean_ids(ids)
    own = {lesson.id for lesson in section.lessons}
    lessons = (
        {
            lesson.id: lesson
            for lesson in db.session.scalars(
                select(Lesson).where(Lesson.id.in_(ids), Lesson.course_id == section.course_id)
            )
        }
        if ids
        else {}
    )
    if set(ids) != set(lessons) or not own <= set(ids):
        raise invalid(
            {
                "ids": [
                    _(
                        "List every lesson of this section exactly once "
                        "(and only lessons of the same course)."
                    )
                ]
            }
        )
    for position, lesson_id in enumerate(ids, start=1):
        lesson = lessons[lesson_id]
        lesson.position = position
        if lesson.section_id != section.id:
            lesson.section = section
    db.session.flush()
    db.session.expire(section, ["lessons"])
    return [lessons[i] for i in ids]


def move_lesson(lesson: Lesson, direction: str) -> bool:
    """Move a lesson one place up or down; past a section's edge it joins the neighbour section.

    This is the keyboard (and no-JavaScript) twin of drag and drop.
    """
    if direction not in ("up", "down"):
        return False
    sections = sections_of(lesson.course_id)
    index = next(i for i, s in enumerate(sections) if s.id == lesson.section_id)
    section = sections[index]
    ids = [item.id for item in section.lessons]
    i = ids.index(lesson.id)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
        reorder_lessons(section, ids)
        return True
    neighbour_index = index - 1 if direction == "up" else index + 1
    if not 0 <= neighbour_index < len(sections):
        return False
    neighbour = sections[neighbour_index]
    target = [item.id for item in neighbour.lessons]
    target = [*target, lesson.id] if direction == "up" else [lesson.id, *target]
    reorder_lessons(neighbour, target)
    remaining = [x for x in ids if x != lesson.id]
    for position, lesson_id in enumerate(remaining, start=1):
        db.session.get(Lesson, lesson_id).position = position  # type: ignore[union-attr]
    db.session.flush()
    return True


def ordered_lessons(sections: Sequence[Section], *, include_drafts: bool) -> list[Lesson]:
    """Flatten sections into the course's reading order (students: available lessons only)."""
    return [
        lesson
        for section in sections
        for lesson in section.lessons
        if include_drafts or lesson.is_available
    ]
