"""Read ffmpeg's ``-progress pipe:1`` output: how far, how fast, how long to go.

ffmpeg writes blocks of ``key=value`` lines, each block ending with
``progress=continue`` (or ``progress=end`` for the last)::

    frame=120
    out_time_us=4000000
    speed=1.93x
    progress=continue

``ProgressParser(duration).feed(line)`` returns a Progress at the end of each
block and None in between.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    percent: float  # 0..100 of the source's duration
    seconds_done: float  # of the source, encoded so far
    speed: float | None  # times real time; None until ffmpeg knows
    eta_seconds: float | None  # wall-clock seconds left; None while the speed is unknown
    done: bool  # ffmpeg said progress=end


def _seconds(block: dict[str, str]) -> float | None:
    # out_time_ms is microseconds too (an old misnomer ffmpeg keeps); out_time is H:M:S.f.
    for key in ("out_time_us", "out_time_ms"):
        raw = block.get(key, "")
        if raw.lstrip("-").isdigit():
            return max(0.0, int(raw) / 1_000_000)
    raw = block.get("out_time", "")
    parts = raw.split(":")
    if len(parts) == 3:
        try:
            hours, minutes, secs = int(parts[0]), int(parts[1]), float(parts[2])
        except ValueError:
            return None
        return max(0.0, hours * 3600 + minutes * 60 + secs)
    return None


def _speed(raw: str | None) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw.strip().rstrip("x"))
    except ValueError:  # "N/A" at the start
        return None
    return value if value > 0 else None


class ProgressParser:
    """Turn ffmpeg's progress lines into Progress values for a source of `duration` seconds."""

    def __init__(self, duration: float) -> None:
        self.duration = max(0.0, duration)
        self._block: dict[str, str] = {}
        self._seconds = 0.0

    def feed(self, line: str) -> Progress | None:
        key, sep, value = line.strip().partition("=")
        if not sep:
            return None
        self._block[key.strip()] = value.strip()
        if key.strip() != "progress":
            return None
        block, self._block = self._block, {}
        seconds = _seconds(block)
        if seconds is not None:
            # Never go backwards (ffmpeg reports N/A or a stale time now and then).
            self._seconds = max(self._seconds, min(seconds, self.duration or seconds))
        done = block.get("progress") == "end"
        speed = _speed(block.get("speed"))
        if done:
            return Progress(100.0, self.duration, speed, 0.0, True)
        percent = 100.0 * self._seconds / self.duration if self.duration else 0.0
        eta = None
        if speed is not None and self.duration:
            eta = max(0.0, (self.duration - self._seconds) / speed)
        return Progress(min(percent, 99.9), self._seconds, speed, eta, False)


def iter_progress(lines: Iterable[str], duration: float) -> Iterator[Progress]:
    """Yield a Progress for each complete block in `lines`."""
    parser = ProgressParser(duration)
    for line in lines:
        progress = parser.feed(line)
        if progress is not None:
            yield progress
