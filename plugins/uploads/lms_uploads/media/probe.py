"""What an uploaded file holds (ffprobe), and whether it is a video we accept.

``probe(path, work_dir=..., max_duration=...)`` returns a ProbeResult or
raises RefusedFile with a message for the file's owner: not a whitelisted
container, no picture, damaged or cut short, too long. ffprobe reads the file
under the rules of ``lms_uploads.media.sandbox`` (forced format, file
protocol only), so it reads nothing but the file.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from lms_uploads.media import sandbox
from lms_uploads.media.sandbox import RefusedFile

from lms.i18n import _

PROBE_TIMEOUT = 120
# A frame near the end must decode: a file cut short whose index survived fails here.
END_CHECK_SECONDS = 1.0
_NAMES = {
    sandbox.MOV: "MP4/MOV",
    sandbox.MATROSKA: "Matroska/WebM",
    sandbox.AVI: "AVI",
    sandbox.MPEGTS: "MPEG-TS",
    sandbox.OGG: "Ogg",
    sandbox.FLV: "FLV",
}


@dataclass(frozen=True)
class VideoStream:
    codec: str
    width: int  # as stored, before rotation
    height: int
    fps: float
    rotation: int  # degrees clockwise the player turns the picture: 0, 90, 180 or 270
    bit_rate: int | None
    pix_fmt: str | None

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown (ffmpeg applies the rotation when it decodes)."""
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height


@dataclass(frozen=True)
class AudioStream:
    codec: str
    channels: int
    sample_rate: int
    bit_rate: int | None


@dataclass(frozen=True)
class ProbeResult:
    demuxer: str  # the forced ffmpeg input format (sandbox.ALLOWED_DEMUXERS)
    format_name: str  # as ffprobe names it, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    duration: float
    size: int
    bit_rate: int | None
    video: VideoStream | None
    audio: AudioStream | None

    @property
    def container(self) -> str:
        return _NAMES[self.demuxer]

    @property
    def display_size(self) -> tuple[int, int] | None:
        return self.video.display_size if self.video else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _fps(stream: dict[str, Any]) -> float:
    for key in ("avg_frame_rate", "r_frame_rate"):
        try:
            rate = Fraction(stream.get(key) or "0/0")
        except (ValueError, ZeroDivisionError):
            continue
        if 0 < rate <= 240:
            return float(rate)
    return 0.0


def _rotation(stream: dict[str, Any]) -> int:
    """Clockwise display rotation from the display matrix (or the old `rotate` tag)."""
    degrees = None
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            # The display matrix says counter-clockwise: -90 means turn right.
            degrees = -float(side["rotation"])
    if degrees is None:
        tag = (stream.get("tags") or {}).get("rotate")
        degrees = float(tag) if tag else 0.0
    return int(round(degrees / 90.0)) * 90 % 360


def _first(streams: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    for stream in streams:
        if stream.get("codec_type") != kind:
            continue
        # A cover picture in an audio file is a "video" stream of one still frame.
        if kind == "video" and (stream.get("disposition") or {}).get("attached_pic"):
            continue
        return stream
    return None


def parse(data: dict[str, Any], demuxer: str, size: int) -> ProbeResult:
    """Build a ProbeResult from ffprobe's JSON (``-show_format -show_streams``)."""
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    v = _first(streams, "video")
    a = _first(streams, "audio")
    video = None
    if v is not None and _int(v.get("width")) and _int(v.get("height")):
        video = VideoStream(
            codec=v.get("codec_name") or "unknown",
            width=int(v["width"]),
            height=int(v["height"]),
            fps=_fps(v),
            rotation=_rotation(v),
            bit_rate=_int(v.get("bit_rate")),
            pix_fmt=v.get("pix_fmt"),
        )
    audio = None
    if a is not None:
        audio = AudioStream(
            codec=a.get("codec_name") or "unknown",
            channels=_int(a.get("channels")) or 0,
            sample_rate=_int(a.get("sample_rate")) or 0,
            bit_rate=_int(a.get("bit_rate")),
        )
    try:
        duration = float(fmt.get("duration") or (v or a or {}).get("duration") or 0)
    except ValueError:
        duration = 0.0
    return ProbeResult(
        demuxer=demuxer,
        format_name=fmt.get("format_name") or demuxer,
        duration=duration,
        size=size,
        bit_rate=_int(fmt.get("bit_rate")),
        video=video,
        audio=audio,
    )


def _damaged() -> RefusedFile:
    return RefusedFile(
        _(
            "The file is damaged or incomplete, so it cannot be read as a video. "
            "If the upload was cut short, upload it again."
        ),
        "damaged",
    )


def _check_end(path: Path, result: ProbeResult, work_dir: Path) -> None:
    """Decode one frame near the end; a file cut short (its index intact) gives none."""
    start = max(0.0, result.duration - END_CHECK_SECONDS)
    cmd = [
        sandbox.ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
        "-ss", f"{start:.3f}", *sandbox.input_args(path, result.demuxer),
        "-map", "0:v:0", "-frames:v", "1", "-vf", "scale=16:16",
        "-pix_fmt", "gray", "-f", "rawvideo", "pipe:1",
    ]  # fmt: skip
    try:
        out, _err = sandbox.run(cmd, cwd=work_dir, timeout=PROBE_TIMEOUT, text=False)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise _damaged() from exc
    if len(out) < 16 * 16:
        raise _damaged()


def probe(path: Path, *, work_dir: Path, max_duration: float | None = None) -> ProbeResult:
    """Probe `path` and check it is a video we accept; RefusedFile says why not."""
    path = Path(path)
    size = path.stat().st_size
    demuxer = sandbox.sniff_container(path)
    cmd = [
        sandbox.ffprobe_exe(), "-hide_banner", "-loglevel", "error",
        "-print_format", "json", "-show_format", "-show_streams",
        *sandbox.input_args(path, demuxer),
    ]  # fmt: skip
    try:
        out, _err = sandbox.run(cmd, cwd=work_dir, timeout=PROBE_TIMEOUT)
        data = json.loads(out)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, ValueError) as exc:
        raise _damaged() from exc
    result = parse(data, demuxer, size)
    if result.video is None:
        if result.audio is not None:
            raise RefusedFile(
                _("This file has sound but no picture. Upload a video file."), "audio_only"
            )
        raise RefusedFile(_("This file holds no video."), "no_video")
    if result.duration <= 0:
        raise _damaged()
    if max_duration is not None and result.duration > max_duration:
        raise RefusedFile(
            _(
                "The video is %(duration)s long; the longest allowed is %(limit)s.",
                duration=format_duration(result.duration),
                limit=format_duration(max_duration),
            ),
            "too_long",
        )
    _check_end(path, result, work_dir)
    return result


def format_duration(seconds: float) -> str:
    """12:05 or 1:02:03, for messages."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
