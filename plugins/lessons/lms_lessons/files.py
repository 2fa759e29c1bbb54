"""Files of file lessons: checked by content (not by name), size-limited, stored privately.

Files go to the core storage under ``lessons/<course>/<lesson>/<random>.<ext>``
and are only ever reached through signed, expiring URLs handed out after an
access check (see access.py).
"""

from __future__ import annotations

import re
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass
from typing import IO

import filetype
from flask import current_app
from flask_babel import format_decimal, format_number

from lms.commit import on_commit
from lms.i18n import _, _l, ngettext
from lms.storage import StorageError, get_storage

SNIFF_BYTES = 8192
COPY_CHUNK = 256 * 1024


@dataclass(frozen=True)
class FileKind:
    extension: str
    mime: str
    label: str  # or a lazy string: in the language of the page that shows it
    #: Shown in the page (PDF in a frame, images inline) besides the download.
    inline: str = ""


# Keyed by the MIME type filetype detects from the bytes.
ALLOWED: dict[str, FileKind] = {
    k.mime: k
    for k in (
        FileKind("pdf", "application/pdf", _l("PDF document"), inline="frame"),
        FileKind("doc", "application/msword", _l("Word document")),
        FileKind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            _l("Word document"),
        ),
        FileKind("odt", "application/vnd.oasis.opendocument.text", _l("OpenDocument text")),
        FileKind("rtf", "application/rtf", _l("Rich text document")),
        FileKind("ppt", "application/vnd.ms-powerpoint", _l("PowerPoint slides")),
        FileKind(
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            _l("PowerPoint slides"),
        ),
        FileKind(
            "odp", "application/vnd.oasis.opendocument.presentation", _l("OpenDocument slides")
        ),
        FileKind("xls", "application/vnd.ms-excel", _l("Excel spreadsheet")),
        FileKind(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            _l("Excel spreadsheet"),
        ),
        FileKind("ods", "application/vnd.oasis.opendocument.spreadsheet", _l("OpenDocument sheet")),
        FileKind("png", "image/png", _l("PNG image"), inline="image"),
        FileKind("jpg", "image/jpeg", _l("JPEG image"), inline="image"),
        FileKind("gif", "image/gif", _l("GIF image"), inline="image"),
        FileKind("webp", "image/webp", _l("WebP image"), inline="image"),
    )
}
ACCEPT_ATTRIBUTE = ",".join(f".{k.extension}" for k in ALLOWED.values()) + ",.jpeg"
ALLOWED_SUMMARY = _l("PDF, Word, PowerPoint, Excel, OpenDocument, RTF, PNG, JPEG, GIF or WebP")


class FileRejected(ValueError):
    """The upload was refused; the message says why, for the person uploading."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    filename: str
    size: int
    mime: str
    extension: str

    def as_content(self) -> dict[str, object]:
        return {
            "key": self.key,
            "filename": self.filename,
            "size": self.size,
            "mime": self.mime,
            "extension": self.extension,
        }


def max_file_size() -> int:
    return int(current_app.config["LESSONS_MAX_FILE_SIZE"])


def human_size(size: int) -> str:
    """A size for people, in the current language: "512 bytes", "1.5 MB"."""
    if size < 1024:
        return ngettext("%(count)s byte", "%(count)s bytes", size, count=format_number(size))
    value = size / 1024
    if value < 1024:
        return _("%(size)s KB", size=format_decimal(value, "#,##0.0"))
    value /= 1024
    if value < 1024:
        return _("%(size)s MB", size=format_decimal(value, "#,##0.0"))
    return _("%(size)s GB", size=format_decimal(value / 1024, "#,##0.0"))


_UNSAFE = re.compile(r"[^\w\s.,()'&+\-\u2013\u2014]+", re.UNICODE)


def clean_filename(name: str | None, extension: str) -> str:
    """A readable name for display and download, ending with the detected extension."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = " ".join(_UNSAFE.sub(" ", stem).split()).strip(". ")[:100] or "lesson-file"
    return f"{stem}.{extension}"


def ascii_filename(name: str) -> str:
    """An ASCII download name: S3's Content-Disposition and old browsers want one."""
    stem, _dot, extension = name.rpartition(".")
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = re.sub(r"[^A-Za-z0-9._()\- ]+", "", ascii_stem).strip(". ") or "lesson-file"
    return f"{ascii_stem}.{extension}"


def _spool(stream: IO[bytes], limit: int) -> tuple[IO[bytes], int]:
    """Copy the upload to a temporary file, refusing it as soon as it passes `limit`."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - returned to the caller, who closes it
    size = 0
    while chunk := stream.read(COPY_CHUNK):
        size += len(chunk)
        if size > limit:
            out.close()
            raise FileRejected(
                _(
                    "The file is too large: the limit is %(limit)s. Make it smaller "
                    "(for example export a PDF at lower quality) and try again.",
                    limit=human_size(limit),
                )
            )
        out.write(chunk)
    out.seek(0)
    return out, size


def detect_kind(head: bytes) -> FileKind:
    """Return the allowed kind of a file from its first bytes, or refuse it."""
    guess = filetype.guess(head)
    if guess is None or guess.mime not in ALLOWED:
        if guess:
            raise FileRejected(
                _(
                    "This type of file is not accepted (it looks like %(found)s). "
                    "Upload a %(formats)s file.",
                    found=guess.extension.upper(),
                    formats=ALLOWED_SUMMARY,
                )
            )
        raise FileRejected(
            _(
                "This type of file is not accepted. Upload a %(formats)s file.",
                formats=ALLOWED_SUMMARY,
            )
        )
    return ALLOWED[guess.mime]


def store_upload(
    stream: IO[bytes], original_name: str | None, course_id: int, lesson_id: int
) -> StoredFile:
    """Check and store an uploaded file; raise FileRejected with a reason if refused."""
    limit = max_file_size()
    spooled, size = _spool(stream, limit)
    with spooled:
        if size == 0:
            raise FileRejected(_("The file is empty. Choose a file with some content."))
        kind = detect_kind(spooled.read(SNIFF_BYTES))
        spooled.seek(0)
        key = f"lessons/{course_id}/{lesson_id}/{secrets.token_urlsafe(12)}.{kind.extension}"
        try:
            get_storage().save(key, spooled, content_type=kind.mime)
        except (StorageError, OSError) as exc:
            raise FileRejected(
                _("The file could not be stored. Please try again in a moment.")
            ) from exc
    return StoredFile(
        key, clean_filename(original_name, kind.extension), size, kind.mime, kind.extension
    )


def delete_after_commit(key: str | None) -> None:
    """Delete a stored file once the current transaction commits (never before)."""
    if not key:
        return

    def _delete() -> None:
        try:
            get_storage().delete(key)
        except (StorageError, OSError):  # a leftover file is harmless; a crash is not
            current_app.logger.warning("could not delete stored file %s", key)

    # Through on_commit, a rolled-back deletion is forgotten with its transaction.
    on_commit(_delete)


def signed_url(content: dict[str, object], *, download: bool, expires_in: int | None = None) -> str:
    """A signed URL to the lesson's file: as a download (named) or for viewing inline."""
    key = str(content["key"])
    expiry = expires_in or int(current_app.config["LESSONS_FILE_URL_EXPIRES"])
    if download:
        return get_storage().url(
            key, expires_in=expiry, filename=ascii_filename(str(content["filename"]))
        )
    return get_storage().url(key, expires_in=expiry)
