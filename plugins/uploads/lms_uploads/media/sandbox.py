"""How ffprobe and ffmpeg read nothing but the uploaded file itself.

An uploaded file is hostile until proven otherwise. ffmpeg can follow
references inside a file: an HLS playlist or a concat list names other files
or URLs, and ffmpeg guesses the format from the content, not the name, so a
playlist renamed ``lecture.mp4`` would be followed. Four locks, each enough on
its own for the known tricks:

1. We sniff the first bytes ourselves (``sniff_container``) and accept only
   the magic numbers of the whitelisted containers: MP4/MOV, Matroska/WebM,
   AVI, MPEG-TS, Ogg and FLV. A playlist, a concat list, a text file or an
   image never reaches ffmpeg.
2. ffmpeg is told the format (``-f mov`` ...), never left to guess it, and
   ``-format_whitelist`` repeats it, so no other demuxer (hls, concat,
   subfile, image2 ...) can be opened, not even one a demuxer nests.
3. ``-protocol_whitelist file`` on the input: no http, tcp, udp, rtmp, data,
   crypto, concat or subfile protocol; the input is named ``file:<absolute
   path>`` so nothing in the name is read as a protocol.
4. The process runs in an empty temporary folder (its working directory and
   the only place it writes), with an environment of PATH alone (no proxy
   variables), standard input closed, at the lowest CPU priority, and dies
   with its parent (``PR_SET_PDEATHSIG``), so a killed worker leaves no
   ffmpeg behind writing into a folder nobody owns.

MOV's external data references (``dref``) stay off: that is ffmpeg's default
(``-enable_drefs 0``), and we pass it explicitly for the mov demuxer.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lms.i18n import _

# Demuxer names, as ffmpeg's -f takes them.
MOV = "mov"
MATROSKA = "matroska"
AVI = "avi"
MPEGTS = "mpegts"
OGG = "ogg"
FLV = "flv"
ALLOWED_DEMUXERS = (MOV, MATROSKA, AVI, MPEGTS, OGG, FLV)

# Box types that may open an MP4/MOV file (ISO BMFF and QuickTime).
_MOV_BOXES = {b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot", b"uuid"}
_TS_PACKET = 188
# A temporary folder's name: video-<id>-<pid>-<random>; the pid tells a live run from a dead one.
_WORK_PREFIX = "video-"
_PR_SET_PDEATHSIG = 1


class RefusedFile(ValueError):
    """The file is not a video we accept; `message` says why, in words for its owner."""

    def __init__(self, message: str, code: str = "not_a_video") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        if exc.start < len(head) - 4:
            return False
    return not any(b < 9 or 13 < b < 32 for b in head if b != 27)


def _describe_refusal(head: bytes) -> RefusedFile:
    """Say what the file seems to be instead of a video."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        return RefusedFile(_("The file is empty."), "empty")
    if stripped.startswith(b"#EXTM3U"):
        return RefusedFile(
            _("This is a streaming playlist, not a video file. Upload the video itself."),
            "playlist",
        )
    if stripped.startswith(b"ffconcat") or stripped.startswith(b"file "):
        return RefusedFile(
            _("This is a list of other files, not a video file. Upload the video itself."),
            "playlist",
        )
    images = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")
    if head.startswith(images) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return RefusedFile(_("This is an image, not a video. Upload a video file."), "image")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE" or head.startswith((b"ID3", b"fLaC")):
        return RefusedFile(
            _("This is a sound file with no picture. Upload a video file."), "audio_only"
        )
    if _looks_like_text(head):
        return RefusedFile(
            _("This is a text file, not a video, whatever its name says. Upload a video file."),
            "text",
        )
    return RefusedFile(
        _(
            "This file is not a video format we accept. Accepted: MP4, MOV, MKV, WebM, AVI, "
            "MPEG-TS, Ogg and FLV."
        ),
        "unsupported_format",
    )


def sniff_container(path: Path) -> str:
    """Return the demuxer for the file's container, from its first bytes; refuse the rest."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if len(head) >= 12 and head[4:8] in _MOV_BOXES:
        return MOV
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return MATROSKA
    if head[:4] == b"RIFF" and head[8:12] in (b"AVI ", b"AVIX"):
        return AVI
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"FLV\x01"):
        return FLV
    if len(head) >= 3 * _TS_PACKET and all(
        head[i * _TS_PACKET] == 0x47 for i in range(len(head) // _TS_PACKET)
    ):
        return MPEGTS
    raise _describe_refusal(head)


def input_args(path: Path, demuxer: str) -> list[str]:
    """ffmpeg/ffprobe input options that open `path` with `demuxer` and nothing else."""
    if demuxer not in ALLOWED_DEMUXERS:
        raise ValueError(f"demuxer {demuxer!r} is not allowed")
    args = ["-protocol_whitelist", "file", "-format_whitelist", demuxer, "-f", demuxer]
    if demuxer == MOV:
        args += ["-enable_drefs", "0"]
    return [*args, "-i", f"file:{Path(path).resolve()}"]


def ffmpeg_exe() -> str:
    """The ffmpeg that reads uploads: the system's (beside ffprobe), else the wheel's.

    The system one comes first because the static build in the imageio-ffmpeg
    wheel (7.0.2) crashes on every MPEG-TS input, one of the whitelisted
    containers; ``UPLOADS_FFMPEG`` in the environment names another binary.
    """
    chosen = os.environ.get("UPLOADS_FFMPEG") or shutil.which("ffmpeg")
    return chosen or wheel_ffmpeg_exe()


def wheel_ffmpeg_exe() -> str:
    """The ffmpeg the imageio-ffmpeg wheel ships (7.x: makes the synthetic test clips)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def ffprobe_exe() -> str:
    """ffprobe from the system (the Debian ffmpeg package); the wheel ships ffmpeg only."""
    found = shutil.which("ffprobe")
    if found is None:
        raise RuntimeError("ffprobe is not installed (apt-get install ffmpeg)")
    return found


def _child_setup(niceness: int) -> Callable[[], None]:
    def setup() -> None:
        # Die with the worker: a SIGKILLed work horse must not leave ffmpeg running.
        with contextlib.suppress(Exception):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if niceness:
            with contextlib.suppress(OSError):
                os.nice(niceness)

    return setup


def popen(
    cmd: list[str],
    *,
    cwd: Path,
    niceness: int = 19,
    stdout: Any = subprocess.PIPE,
    stderr: Any = subprocess.PIPE,
    text: bool = True,
) -> subprocess.Popen[Any]:
    """Start a media tool in `cwd`, niced, with nothing but PATH in its environment."""
    return subprocess.Popen(  # noqa: S603 - an argument list, never a shell string
        cmd,
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        text=text,
        errors="replace" if text else None,
        preexec_fn=_child_setup(niceness),  # noqa: PLW1509 - no threads touch the child's setup
    )


def run(
    cmd: list[str], *, cwd: Path, timeout: float, niceness: int = 19, text: bool = True
) -> tuple[Any, Any]:
    """Run a media tool to the end; return (stdout, stderr); raise CalledProcessError on failure."""
    proc = popen(cmd, cwd=cwd, niceness=niceness, text=text)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd, out, err)
    return out, err


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(root: Path) -> list[Path]:
    """Remove the work folders of runs whose process is gone (a SIGKILLed worker's)."""
    removed = []
    if not root.is_dir():
        return removed
    for entry in root.iterdir():
        if not entry.name.startswith(_WORK_PREFIX) or not entry.is_dir():
            continue
        parts = entry.name.split("-")
        try:
            pid = int(parts[2])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


@contextlib.contextmanager
def work_dir(root: Path, video_id: int) -> Iterator[Path]:
    """A fresh empty folder under `root` for one run, removed when the block ends."""
    root.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f"{_WORK_PREFIX}{video_id}-{os.getpid()}-", dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
