"""Synthetic clips from ffmpeg's test sources, for tests and the benchmark.

Nothing is shipped: each clip is made when needed, small and deterministic
(``testsrc2`` pictures with a ``sine`` tone).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from lms_uploads.media.sandbox import wheel_ffmpeg_exe as ffmpeg_exe


def make_clip(
    path: Path,
    *,
    width: int = 640,
    height: int = 360,
    seconds: float = 3.0,
    fps: int = 30,
    audio: bool = True,
    video: bool = True,
    rotate: int | None = None,
    fade_in_at: float | None = None,
    codec: str = "libx264",
    extra: list[str] | None = None,
) -> Path:
    """Write a clip to `path` (its container follows the extension) and return the path.

    `rotate`: store the picture turned, with a display rotation of that many
    degrees (as phones do). `fade_in_at`: the picture is black until then.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
    if video:
        picture = f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}"
        if fade_in_at is not None:
            picture += f",fade=type=in:start_time={fade_in_at}:duration=0.1"
        cmd += ["-f", "lavfi", "-i", picture]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    if video:
        cmd += ["-c:v", codec]
        if codec == "libx264":
            cmd += ["-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        cmd += ["-c:a", "aac" if Path(path).suffix not in (".ogg", ".webm") else "libopus"]
    if rotate is None:
        subprocess.run([*cmd, *(extra or []), str(path)], check=True)  # noqa: S603
        return Path(path)
    # The display rotation is an input option (ffmpeg 7): make the clip, then re-mux it turned.
    plain = Path(path).with_name("unrotated-" + Path(path).name)
    subprocess.run([*cmd, *(extra or []), str(plain)], check=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-y",
            "-loglevel",
            "error",
            "-display_rotation",
            str(rotate),
            "-i",
            str(plain),
            "-c",
            "copy",
            str(path),
        ],  # fmt: skip
        check=True,
    )
    plain.unlink()
    return Path(path)
