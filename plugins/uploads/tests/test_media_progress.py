"""ffmpeg's -progress output read into percent, speed and time left."""

from __future__ import annotations

import subprocess

import pytest
from lms_uploads.media import sandbox
from lms_uploads.media.progress import ProgressParser, iter_progress


def _block(**fields: str) -> list[str]:
    return [f"{k}={v}\n" for k, v in fields.items()]


def test_a_block_gives_percent_speed_and_time_left():
    lines = _block(frame="120", out_time_us="15000000", speed="2.5x", progress="continue")
    (progress,) = iter_progress(lines, duration=60)
    assert progress.percent == pytest.approx(25.0)
    assert progress.speed == pytest.approx(2.5)
    # 45 seconds of source left at 2.5 times real time.
    assert progress.eta_seconds == pytest.approx(18.0)
    assert not progress.done


def test_lines_within_a_block_give_nothing_until_its_end():
    parser = ProgressParser(10)
    assert parser.feed("frame=1") is None
    assert parser.feed("out_time_us=1000000") is None
    assert parser.feed("garbage without equals") is None
    assert parser.feed("progress=continue").percent == pytest.approx(10.0)


def test_an_unknown_speed_gives_no_time_left_rather_than_a_wrong_one():
    lines = _block(out_time_us="N/A", out_time="N/A", speed="N/A", progress="continue")
    (progress,) = iter_progress(lines, duration=30)
    assert (progress.percent, progress.speed, progress.eta_seconds) == (0.0, None, None)


def test_out_time_is_read_when_the_microseconds_are_missing():
    (progress,) = iter_progress(_block(out_time="00:01:30.500000", progress="continue"), 181)
    assert progress.seconds_done == pytest.approx(90.5)


def test_progress_never_goes_backwards_nor_past_99_before_the_end():
    lines = [
        *_block(out_time_us="8000000", speed="1x", progress="continue"),
        *_block(out_time_us="N/A", speed="1x", progress="continue"),
        *_block(out_time_us="7000000", speed="1x", progress="continue"),
        *_block(out_time_us="12000000", speed="1x", progress="continue"),
        *_block(out_time_us="12000000", speed="1x", progress="end"),
    ]
    values = list(iter_progress(lines, duration=10))
    assert [round(p.percent, 1) for p in values] == [80.0, 80.0, 80.0, 99.9, 100.0]
    assert values[-1].done and values[-1].eta_seconds == 0.0


def test_a_real_ffmpeg_run_reports_increasing_progress_to_the_end(tmp_path):
    cmd = [
        sandbox.ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-nostats",
        "-progress", "pipe:1", "-stats_period", "0.2",
        "-readrate", "4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4",
        "-c:v", "libx264", "-preset", "ultrafast", "-f", "null", "-",
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    values = list(iter_progress(out.splitlines(), duration=4))
    assert len(values) >= 2
    percents = [p.percent for p in values]
    assert percents == sorted(percents)
    assert values[-1].done and values[-1].percent == 100.0
    assert any(p.speed for p in values)
