"""The HLS ladder: which renditions a source gets, and the one ffmpeg command that makes them.

``plan_ladder(probe)`` picks the rungs of 1080p, 720p, 480p and 360p that do
not upscale the source (a 480p source gets 480p and 360p; a source smaller
than 360p gets one rung at its own size). ``ladder_command`` decodes the
source once and feeds every rung from it: ``split`` + ``scale`` per rung, one
H.264 encoder per rung, AAC audio, keyframes every 2 seconds at the same
instants in every rung (forced by time, scene cuts off), 2-second MPEG-TS
segments, bitrates capped per rung, and a master playlist, through the hls
muxer's ``var_stream_map``. Output::

    <out>/master.m3u8
    <out>/<rung>/index.m3u8, <out>/<rung>/seg_00000.ts ...

Sizes follow the picture's short side, so a portrait phone video's "720p" is
720 pixels wide. The rotation is applied by ffmpeg when it decodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lms_uploads.media import sandbox
from lms_uploads.media.probe import ProbeResult

SEGMENT_SECONDS = 2
MASTER = "master.m3u8"
VARIANT = "index.m3u8"
PRESET = "veryfast"
# Peak bitrate and decoder buffer relative to the target bitrate.
MAXRATE_FACTOR = 1.07
BUFSIZE_FACTOR = 1.5
# Frame rates above this are halved-ish to 30: lessons do not need 60 fps ladders.
MAX_FPS = 60.0


@dataclass(frozen=True)
class RungSpec:
    name: str
    short_side: int
    video_kbps: int
    audio_kbps: int


LADDER = (
    RungSpec("1080p", 1080, 5000, 128),
    RungSpec("720p", 720, 2800, 128),
    RungSpec("480p", 480, 1400, 96),
    RungSpec("360p", 360, 800, 96),
)


@dataclass(frozen=True)
class Rung:
    """One rendition to produce."""

    name: str
    width: int
    height: int
    video_kbps: int
    audio_kbps: int | None  # None: the source has no sound

    @property
    def maxrate_kbps(self) -> int:
        return int(self.video_kbps * MAXRATE_FACTOR)

    @property
    def bufsize_kbps(self) -> int:
        return int(self.video_kbps * BUFSIZE_FACTOR)

    @property
    def bandwidth(self) -> int:
        """Peak bits per second, as the master playlist's BANDWIDTH counts them."""
        return (self.maxrate_kbps + (self.audio_kbps or 0)) * 1000

    def as_rendition(self) -> dict[str, int | str]:
        """The entry stored in Video.renditions."""
        return {
            "name": self.name,
            "height": self.height,
            "width": self.width,
            "bandwidth": self.bandwidth,
        }


def _even(value: float) -> int:
    return max(2, int(round(value / 2.0)) * 2)


def _size(width: int, height: int, short_side: int) -> tuple[int, int]:
    if width >= height:
        return _even(width * short_side / height), short_side
    return short_side, _even(height * short_side / width)


def plan_ladder(probe: ProbeResult) -> list[Rung]:
    """The rungs for this source, largest first, never larger than the source."""
    if probe.video is None:
        raise ValueError("a ladder needs a video stream")
    width, height = probe.video.display_size
    short = min(width, height)
    has_audio = probe.audio is not None
    rungs = []
    for spec in LADDER:
        if spec.short_side <= short:
            w, h = _size(width, height, spec.short_side)
            rungs.append(
                Rung(spec.name, w, h, spec.video_kbps, spec.audio_kbps if has_audio else None)
            )
    if not rungs:
        # Smaller than the smallest rung: one rendition at the source's own size.
        smallest = LADDER[-1]
        side = _even(short)
        w, h = _size(width, height, side)
        kbps = max(200, int(smallest.video_kbps * side / smallest.short_side))
        audio = smallest.audio_kbps if has_audio else None
        rungs.append(Rung(f"{side}p", w, h, kbps, audio))
    return rungs


def _gop(probe: ProbeResult) -> int:
    fps = probe.video.fps if probe.video and probe.video.fps else 30.0
    return max(1, int(round(min(fps, MAX_FPS) * SEGMENT_SECONDS)))


def _video_options(index: int, rung: Rung, gop: int) -> list[str]:
    i = str(index)
    return [
        f"-c:v:{i}", "libx264",
        f"-b:v:{i}", f"{rung.video_kbps}k",
        f"-maxrate:v:{i}", f"{rung.maxrate_kbps}k",
        f"-bufsize:v:{i}", f"{rung.bufsize_kbps}k",
        f"-g:v:{i}", str(gop),
        f"-keyint_min:v:{i}", str(gop),
    ]  # fmt: skip


def _audio_options(index: int, rung: Rung) -> list[str]:
    i = str(index)
    return [f"-c:a:{i}", "aac", f"-b:a:{i}", f"{rung.audio_kbps}k", f"-ac:a:{i}", "2"]


def _common_video() -> list[str]:
    return [
        "-preset", PRESET,
        "-profile:v", "high",
        "-pix_fmt", "yuv420p",
        "-sc_threshold", "0",
        # Keyframes at the same instants in every rung, whatever the encoder thinks.
        "-force_key_frames", f"expr:gte(t,n_forced*{SEGMENT_SECONDS})",
    ]  # fmt: skip


def _hls_output(out_dir: Path, stream_map: str) -> list[str]:
    return [
        "-f", "hls",
        "-hls_time", str(SEGMENT_SECONDS),
        "-hls_playlist_type", "vod",
        "-hls_flags", "independent_segments",
        "-hls_segment_type", "mpegts",
        "-hls_segment_filename", str(out_dir / "%v" / "seg_%05d.ts"),
        "-master_pl_name", MASTER,
        "-var_stream_map", stream_map,
        str(out_dir / "%v" / VARIANT),
    ]  # fmt: skip


def _head(ffmpeg: str, progress: bool, threads: int) -> list[str]:
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-nostats"]
    if progress:
        cmd += ["-progress", "pipe:1", "-stats_period", "1"]
    if threads:
        cmd += ["-filter_complex_threads", str(threads)]
    return cmd


def ladder_command(
    ffmpeg: str,
    source: Path,
    probe: ProbeResult,
    rungs: list[Rung],
    out_dir: Path,
    *,
    progress: bool = True,
    threads: int = 0,
) -> list[str]:
    """One ffmpeg run that decodes `source` once and writes every rung plus the master."""
    if not rungs:
        raise ValueError("no rungs to encode")
    n = len(rungs)
    fps = probe.video.fps if probe.video else 0
    pre = f"fps={int(MAX_FPS // 2)}," if fps > MAX_FPS else ""
    labels = "".join(f"[s{i}]" for i in range(n))
    graph = [f"[0:v:0]{pre}split={n}{labels}"]
    graph += [
        f"[s{i}]scale={r.width}:{r.height}:flags=bicubic,setsar=1[v{i}]"
        for i, r in enumerate(rungs)
    ]
    gop = _gop(probe) if not pre else int(MAX_FPS // 2) * SEGMENT_SECONDS
    cmd = [*_head(ffmpeg, progress, threads), *sandbox.input_args(source, probe.demuxer)]
    cmd += ["-filter_complex", ";".join(graph), "-map_metadata", "-1", "-sn", "-dn"]
    for i in range(n):
        cmd += ["-map", f"[v{i}]"]
    has_audio = rungs[0].audio_kbps is not None
    if has_audio:
        cmd += ["-map", "0:a:0"] * n
    cmd += _common_video()
    for i, rung in enumerate(rungs):
        cmd += _video_options(i, rung, gop)
        if has_audio:
            cmd += _audio_options(i, rung)
    if has_audio:
        cmd += ["-ar", "48000"]
    stream_map = " ".join(
        f"v:{i},a:{i},name:{r.name}" if has_audio else f"v:{i},name:{r.name}"
        for i, r in enumerate(rungs)
    )
    return [*cmd, *_hls_output(out_dir, stream_map)]


def rung_command(
    ffmpeg: str, source: Path, probe: ProbeResult, rung: Rung, out_dir: Path
) -> list[str]:
    """One rendition on its own (decoding the source again): the per-rung design, for the bench."""
    gop = _gop(probe)
    cmd = [*_head(ffmpeg, False, 0), *sandbox.input_args(source, probe.demuxer)]
    cmd += ["-vf", f"scale={rung.width}:{rung.height}:flags=bicubic,setsar=1"]
    cmd += ["-map", "0:v:0", "-map_metadata", "-1", "-sn", "-dn", *_common_video()]
    cmd += _video_options(0, rung, gop)
    if rung.audio_kbps is not None:
        cmd += ["-map", "0:a:0", *_audio_options(0, rung), "-ar", "48000"]
    folder = out_dir / rung.name
    return [
        *cmd,
        "-f", "hls",
        "-hls_time", str(SEGMENT_SECONDS),
        "-hls_playlist_type", "vod",
        "-hls_flags", "independent_segments",
        "-hls_segment_filename", str(folder / "seg_%05d.ts"),
        str(folder / VARIANT),
    ]  # fmt: skip


def master_playlist(rungs: list[Rung]) -> str:
    """A master playlist for rungs made one by one (the per-rung design writes none)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rung in rungs:
        codecs = "avc1.640028,mp4a.40.2" if rung.audio_kbps else "avc1.640028"
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={rung.bandwidth},"
            f'RESOLUTION={rung.width}x{rung.height},CODECS="{codecs}"'
        )
        lines.append(f"{rung.name}/{VARIANT}")
    return "\n".join(lines) + "\n"


def thumbnail_command(
    ffmpeg: str, source: Path, probe: ProbeResult, out_path: Path, width: int = 640
) -> list[str]:
    """A representative frame as JPEG: skip the start, drop dark frames, pick the typical one.

    Frames whose mean brightness is at or under 40 (of 255) are dropped, so a
    fade from black never becomes the picture; ``thumbnail`` then picks the
    frame closest to the average of the next 30. A video dark all along gives
    nothing: use ``any_frame_thumbnail_command`` then.
    """
    return _thumbnail(ffmpeg, source, probe, out_path, width, skip_dark=True)


def any_frame_thumbnail_command(
    ffmpeg: str, source: Path, probe: ProbeResult, out_path: Path, width: int = 640
) -> list[str]:
    """The fallback for a video that is dark throughout: the typical frame, dark or not."""
    return _thumbnail(ffmpeg, source, probe, out_path, width, skip_dark=False)


def _thumbnail(
    ffmpeg: str, source: Path, probe: ProbeResult, out_path: Path, width: int, skip_dark: bool
) -> list[str]:
    start = min(probe.duration * 0.1, 30.0)
    filters = [f"scale={width}:-2"]
    if skip_dark:
        filters += [
            "signalstats",
            "metadata=mode=select:key=lavfi.signalstats.YAVG:value=40:function=greater",
        ]
    filters.append("thumbnail=30")
    return [
        *_head(ffmpeg, False, 0),
        "-ss", f"{start:.3f}",
        *sandbox.input_args(source, probe.demuxer),
        "-t", "20",
        "-map", "0:v:0",
        "-vf", ",".join(filters),
        "-frames:v", "1",
        "-q:v", "3",
        "-update", "1",
        str(out_path),
    ]  # fmt: skip


def renditions(rungs: list[Rung]) -> list[dict[str, int | str]]:
    return [rung.as_rendition() for rung in rungs]


__all__ = [
    "LADDER",
    "MASTER",
    "SEGMENT_SECONDS",
    "VARIANT",
    "Rung",
    "any_frame_thumbnail_command",
    "ladder_command",
    "master_playlist",
    "plan_ladder",
    "renditions",
    "rung_command",
    "thumbnail_command",
]
