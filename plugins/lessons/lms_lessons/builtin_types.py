"""The two lesson types this plugin ships: text (Markdown) and file (PDF, Word, slides ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import url_for
from flask_babel import format_number
from werkzeug.datastructures import FileStorage
from wtforms import FileField, TextAreaField
from wtforms.validators import Length

from lms.i18n import _, _l
from lms.markup import render_markdown
from lms_lessons import files
from lms_lessons.models import Lesson
from lms_lessons.registry import MANUAL, ContentError, ContentForm, LessonType

TEXT_MAX = 100_000


class _LazyNumber:
    """A number written for the language of the page that shows it (100,000 or 100 000)."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __str__(self) -> str:
        return format_number(self.number)


class TextForm(ContentForm):
    markdown = TextAreaField(
        _l("Text (Markdown)"),
        validators=[
            Length(
                max=TEXT_MAX,
                message=_l("At most %(num)s characters.", num=_LazyNumber(TEXT_MAX)),
            )
        ],
        description=_l("Headings with #, lists with -, code in ``` fences (highlighted)."),
        render_kw={"rows": 18},
    )

    def load(self, lesson: Lesson) -> None:
        self.markdown.data = (lesson.content or {}).get("markdown", "")

    def save(self, lesson: Lesson) -> None:
        text = (self.markdown.data or "").replace("\r\n", "\n")
        if "\x00" in text:
            raise ContentError(
                _("The text contains characters that are not allowed."),
                {"markdown": [_("Contains characters that are not allowed.")]},
            )
        # Rendered once on save (the core sanitiser), so the lesson page does no Markdown work.
        lesson.content = {"markdown": text, "html": str(render_markdown(text))}


def _text_json(lesson: Lesson) -> Mapping[str, Any]:
    content = lesson.content or {}
    return {"markdown": content.get("markdown", ""), "html": content.get("html", "")}


def _text_problem(lesson: Lesson) -> str | None:
    if not (lesson.content or {}).get("markdown", "").strip():
        return _("Write the lesson's text before publishing it.")
    return None


class FileForm(ContentForm):
    file = FileField(
        _l("File"),
        description=_l(
            "%(formats)s. Checked by its content, not its name.", formats=files.ALLOWED_SUMMARY
        ),
        render_kw={"accept": files.ACCEPT_ATTRIBUTE},
    )

    def save(self, lesson: Lesson) -> None:
        upload = self.file.data
        if isinstance(upload, FileStorage) and upload.filename:
            attach_file(lesson, upload.stream, upload.filename)


def attach_file(lesson: Lesson, stream: Any, filename: str | None) -> None:
    """Store an upload as the lesson's file (replacing the old one once committed)."""
    try:
        stored = files.store_upload(stream, filename, lesson.course_id, lesson.id)
    except files.FileRejected as exc:
        raise ContentError(str(exc), {"file": [str(exc)]}) from exc
    old_key = (lesson.content or {}).get("key")
    lesson.content = stored.as_content()
    if old_key and old_key != stored.key:
        files.delete_after_commit(old_key)


def file_info(lesson: Lesson) -> dict[str, Any] | None:
    content = lesson.content or {}
    if not content.get("key"):
        return None
    kind = files.ALLOWED.get(str(content.get("mime")))
    return {
        "filename": content.get("filename"),
        "size": content.get("size"),
        "size_label": files.human_size(int(content.get("size") or 0)),
        "mime": content.get("mime"),
        "kind": str(kind.label) if kind else _("File"),
        "inline": kind.inline if kind else "",
    }


def _file_context(lesson: Lesson, course: Any, user: Any) -> Mapping[str, Any]:
    info = file_info(lesson)
    view_url = None
    if info and info["inline"]:
        view_url = files.signed_url(lesson.content, download=False)
    return {
        "file": info,
        "view_url": view_url,
        "download_url": url_for("lessons.download", lesson_id=lesson.id) if info else None,
    }


def _file_json(lesson: Lesson) -> Mapping[str, Any]:
    info = file_info(lesson)
    if info is None:
        return {"file": None, "file_url": None}
    out: dict[str, Any] = {
        "file": info,
        "file_url": files.signed_url(lesson.content, download=True),
    }
    if info["inline"]:
        out["view_url"] = files.signed_url(lesson.content, download=False)
    return out


def _file_problem(lesson: Lesson) -> str | None:
    return None if (lesson.content or {}).get("key") else _("Upload the file before publishing it.")


def _file_deleted(lesson: Lesson) -> None:
    files.delete_after_commit((lesson.content or {}).get("key"))


TEXT = LessonType(
    name="text",
    label=_l("Text"),
    description=_l("An article in Markdown, with highlighted code."),
    player_template="lessons/types/text.html",
    editor_form=TextForm,
    completion=MANUAL,
    content_json=_text_json,
    publish_problem=_text_problem,
)

FILE = LessonType(
    name="file",
    label=_l("File"),
    description=_l("A PDF, Word document, slides or image to read or download."),
    player_template="lessons/types/file.html",
    editor_form=FileForm,
    completion=MANUAL,
    player_context=_file_context,
    content_json=_file_json,
    publish_problem=_file_problem,
    on_delete=_file_deleted,
    accepts_file=True,
)

BUILTIN_TYPES = (TEXT, FILE)
