"""Captions of a video: WebVTT (or SRT, converted) per language, checked before storing.

A caption file comes from an instructor's computer: anything may be inside.
It is parsed cue by cue and written back as plain WebVTT of our own making
(timings, cue settings we know, text), so what the browser gets is always a
well-formed file; STYLE and REGION blocks are dropped (CSS from an upload has
no business in our pages). A file that does not parse is refused with the
line that is wrong, and nothing is stored.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import IO, Any

from flask import current_app
from flask_babel import format_number

from lms.commit import on_commit
from lms.extensions import db
from lms.i18n import _
from lms.storage import StorageError, get_storage

#: Largest caption file accepted (bytes): a two-hour film's subtitles are ~150 KB.
DEFAULT_MAX_BYTES = 1024 * 1024

# BCP 47, the common shapes: "en", "fr", "pt-BR", "zh-Hans", "es-419".
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")

# Names for the caption menu when the instructor gives no label.
LANGUAGE_NAMES = {
    "ar": "العربية",
    "de": "Deutsch",
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "hi": "हिन्दी",
    "it": "Italiano",
    "ja": "日本語",
    "ko": "한국어",
    "nl": "Nederlands",
    "pl": "Polski",
    "pt": "Português",
    "ru": "Русский",
    "sv": "Svenska",
    "tr": "Türkçe",
    "uk": "Українська",
    "zh": "中文",
}

_VTT_TIME = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_SRT_TIME = r"(\d{1,}):([0-5]\d):([0-5]\d)[,.](\d{1,3})"
_VTT_TIMING = re.compile(rf"^{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t]+(.*))?$")
_SRT_TIMING = re.compile(rf"^{_SRT_TIME}[ \t]*-->[ \t]*{_SRT_TIME}(?:[ \t]+.*)?$")
# WebVTT cue settings and the values each may take.
_SETTINGS = {
    "vertical": re.compile(r"^(rl|lr)$"),
    "line": re.compile(r"^-?\d+(\.\d+)?%?(,(start|center|end))?$"),
    "position": re.compile(r"^\d+(\.\d+)?%(,(line-left|center|line-right))?$"),
    "size": re.compile(r"^\d+(\.\d+)?%$"),
    "align": re.compile(r"^(start|center|end|left|right)$"),
}
# Tags the WebVTT cue text syntax knows; anything else in <...> is dropped.
_TAG = re.compile(r"</?([A-Za-z0-9]+)(?:\.[^\s>]*)?(?:\s[^>]*)?>")
_CUE_TAGS = {"b", "i", "u", "c", "v", "lang", "ruby", "rt"}
_TIMESTAMP_TAG = re.compile(r"<\d{2,}:[0-5]\d:[0-5]\d\.\d{3}>|<[0-5]\d:[0-5]\d\.\d{3}>")


class CaptionError(ValueError):
    """The caption file (or its language) was refused; the message says why, for people."""

    def __init__(self, message: str, field: str = "file") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    identifier: str = ""
    settings: str = ""


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    whole = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return whole + int(millis.ljust(3, "0")) / 1000


def _stamp(value: float) -> str:
    millis = round(value * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _bad_timing(line_no: int, line: str, example: str) -> str:
    return _(
        "Line %(line)s: “%(text)s” is not a valid timing (expected like %(example)s).",
        line=format_number(line_no),
        text=line.strip()[:60],
        example=example,
    )


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise CaptionError(_("This is not a caption file: it is not text (WebVTT or SRT)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaptionError(
            _("The file is not UTF-8 text. Save it as UTF-8 (WebVTT or SRT) and upload it again.")
        ) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Split into blank-line separated blocks, each with its first line's number (1-based)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line.rstrip())
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _clean_text(lines: list[str]) -> str:
    """Keep the cue's text and the cue tags WebVTT knows; drop other markup."""

    def keep(match: re.Match[str]) -> str:
        return match.group(0) if match.group(1).lower() in _CUE_TAGS else ""

    out = []
    for line in lines:
        stamps = _TIMESTAMP_TAG.findall(line)
        line = _TAG.sub(keep, _TIMESTAMP_TAG.sub("\x01", line))
        for stamp in stamps:
            line = line.replace("\x01", stamp, 1)
        # "-->" inside the text would end the cue's timing line for a parser.
        out.append(line.replace("-->", "→"))
    return "\n".join(out)


def _clean_settings(raw: str, line_no: int) -> str:
    kept = []
    for item in raw.split():
        name, sep, value = item.partition(":")
        check = _SETTINGS.get(name)
        if not sep or check is None or not check.match(value):
            raise CaptionError(
                _(
                    "Line %(line)s: the cue setting “%(setting)s” is not valid WebVTT.",
                    line=format_number(line_no),
                    setting=item,
                )
            )
        kept.append(item)
    return " ".join(kept)


def _check_times(start: float, end: float, line_no: int) -> None:
    if end <= start:
        raise CaptionError(
            _(
                "Line %(line)s: the cue ends before it starts (%(start)s --> %(end)s).",
                line=format_number(line_no),
                start=_stamp(start),
                end=_stamp(end),
            )
        )


def parse_vtt(text: str) -> list[Cue]:
    """Parse WebVTT text into cues; CaptionError (with the line) if it is not valid."""
    first = text.split("\n", 1)[0]
    if not (first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t"))):
        raise CaptionError(_("This is not a WebVTT file: its first line must be “WEBVTT”."))
    cues = []
    for line_no, lines in _blocks(text)[1:]:
        head = lines[0]
        if head.startswith(("NOTE", "STYLE", "REGION")) and "-->" not in head:
            continue
        identifier = ""
        timing_no = line_no
        if "-->" not in head and re.match(r"^\d+:\d", head):
            # A timing line with a typo ("->"), not a cue identifier.
            raise CaptionError(_bad_timing(line_no, head, "00:00:01.000 --> 00:00:04.000"))
        if "-->" not in head:
            identifier, lines = head, lines[1:]
            timing_no += 1
            if not lines:
                raise CaptionError(
                    _(
                        "Line %(line)s: a cue has no timing line (start --> end).",
                        line=format_number(line_no),
                    )
                )
        match = _VTT_TIMING.match(lines[0].strip())
        if not match:
            raise CaptionError(_bad_timing(timing_no, lines[0], "00:00:01.000 --> 00:00:04.000"))
        start = _seconds(*match.group(1, 2, 3, 4))
        end = _seconds(*match.group(5, 6, 7, 8))
        _check_times(start, end, timing_no)
        settings = _clean_settings(match.group(9) or "", timing_no)
        cues.append(Cue(start, end, _clean_text(lines[1:]), identifier.strip(), settings))
    return cues


def parse_srt(text: str) -> list[Cue]:
    """Parse SubRip (SRT) text into cues; CaptionError (with the line) if it is not valid."""
    cues = []
    for line_no, lines in _blocks(text):
        timing_no = line_no
        if _SRT_TIMING.match(lines[0].strip()) is None:
            # The cue's counter line; SRT numbers every cue.
            if not lines[0].strip().isdigit() or len(lines) < 2:
                raise CaptionError(
                    _(
                        "Line %(line)s: expected a cue number or a timing (like %(example)s).",
                        line=format_number(line_no),
                        example="00:00:01,000 --> 00:00:04,000",
                    )
                )
            lines = lines[1:]
            timing_no += 1
        match = _SRT_TIMING.match(lines[0].strip())
        if not match:
            raise CaptionError(_bad_timing(timing_no, lines[0], "00:00:01,000 --> 00:00:04,000"))
        start = _seconds(*match.group(1, 2, 3, 4))
        end = _seconds(*match.group(5, 6, 7, 8))
        _check_times(start, end, timing_no)
        # SRT's <font> tags and the like are not WebVTT: _clean_text drops them.
        cues.append(Cue(start, end, _clean_text(lines[1:])))
    return cues


def _looks_like_srt(text: str) -> bool:
    head = text.lstrip("\n").split("\n", 2)
    return any(_SRT_TIMING.match(line.strip()) for line in head[:2])


def to_vtt(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, bool]:
    """Return (the caption file as clean WebVTT, whether it was converted from SRT).

    CaptionError says why a file is refused: too big, not text, neither
    WebVTT nor SRT, a bad timing, no cue at all.
    """
    if len(data) > max_bytes:
        raise CaptionError(
            _(
                "The caption file is too big (%(size)s KB); the limit is %(limit)s KB.",
                size=format_number(len(data) // 1024),
                limit=format_number(max_bytes // 1024),
            )
        )
    if not data.strip():
        raise CaptionError(_("The caption file is empty."))
    text = _decode(data)
    if text.startswith("WEBVTT"):
        cues, converted = parse_vtt(text), False
    elif _looks_like_srt(text):
        cues, converted = parse_srt(text), True
    else:
        raise CaptionError(
            _(
                "This is not a caption file: upload WebVTT (.vtt, starting with “WEBVTT”) "
                "or SRT (.srt)."
            )
        )
    if not cues:
        raise CaptionError(_("The caption file has no captions in it (no timed cues)."))
    out = ["WEBVTT", ""]
    for cue in cues:
        if cue.identifier:
            out.append(cue.identifier)
        timing = f"{_stamp(cue.start)} --> {_stamp(cue.end)}"
        out.append(f"{timing} {cue.settings}" if cue.settings else timing)
        out.extend(line for line in cue.text.split("\n") if line.strip())
        out.append("")
    return "\n".join(out), converted


def clean_language(value: Any) -> str:
    """Return a BCP 47 language tag ("en", "pt-BR"), or CaptionError."""
    language = str(value or "").strip()
    if not language:
        raise CaptionError(_("Choose the captions' language (like en, fr or pt-BR)."), "language")
    if len(language) > 16 or not _LANGUAGE.match(language):
        raise CaptionError(
            _(
                "“%(code)s” is not a language code: use one like en, fr, ar or pt-BR.",
                code=language[:20],
            ),
            "language",
        )
    primary, _dash, rest = language.partition("-")
    return primary.lower() + ("-" + rest if rest else "")


def default_label(language: str) -> str:
    primary = language.partition("-")[0]
    return LANGUAGE_NAMES.get(primary, language)


def max_bytes() -> int:
    return int(current_app.config.get("UPLOADS_CAPTION_MAX_BYTES", DEFAULT_MAX_BYTES))


# --- stored captions ----------------------------------------------------------------


def read_limited(stream: IO[bytes], limit: int) -> bytes:
    """Read at most `limit` + 1 bytes: enough to tell a file is too big without holding it."""
    return stream.read(limit + 1)


def save_caption(video: Any, language: Any, label: Any, data: bytes) -> tuple[Any, bool]:
    """Store `data` as the video's captions in `language` (replacing those).

    Returns (the Caption row, whether the file was converted from SRT).

    The caller commits. The new file gets a fresh key, so a player never gets
    an old file from a cache; the replaced file is deleted once committed.
    """
    from lms_uploads.models import Caption

    lang = clean_language(language)
    label = str(label or "").strip()[:64] or default_label(lang)
    vtt, converted = to_vtt(data, max_bytes())
    key = f"videos/{video.id}/captions/{lang}-{uuid.uuid4().hex[:12]}.vtt"
    storage = get_storage()
    storage.save(key, _bytes_io(vtt.encode()), content_type="text/vtt")
    caption = db.session.execute(
        db.select(Caption).where(Caption.video_id == video.id, Caption.language == lang)
    ).scalar_one_or_none()
    old_key = None
    if caption is None:
        caption = Caption(video_id=video.id, language=lang, label=label, storage_key=key)
        db.session.add(caption)
    else:
        old_key, caption.storage_key, caption.label = caption.storage_key, key, label
    db.session.flush()
    if old_key:
        _delete_after_commit(old_key)
    return caption, converted


def delete_caption(caption: Any) -> None:
    """Delete the caption row; its file goes once the deletion is committed."""
    _delete_after_commit(caption.storage_key)
    db.session.delete(caption)
    db.session.flush()


def captions_of(video_id: int) -> list[Any]:
    from lms_uploads.models import Caption

    return list(
        db.session.execute(
            db.select(Caption).where(Caption.video_id == video_id).order_by(Caption.language)
        ).scalars()
    )


def _delete_after_commit(key: str) -> None:
    def delete() -> None:
        try:
            get_storage().delete(key)
        except StorageError:
            current_app.logger.warning("could not delete caption file %s", key)

    on_commit(delete)


def _bytes_io(data: bytes) -> IO[bytes]:
    import io

    return io.BytesIO(data)
