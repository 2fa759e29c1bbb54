"""The HLS ladder: rungs planned from the source, one ffmpeg pass, aligned 2-second segments."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from lms_uploads.media import ladder, sandbox
from lms_uploads.media.probe import AudioStream, ProbeResult, VideoStream, probe
from lms_uploads.media.samples import make_clip


def _probe(width: int, height: int, *, audio: bool = True, rotation: int = 0, fps=30.0):
    video = VideoStream("h264", width, height, fps, rotation, None, "yuv420p")
    sound = AudioStream("aac", 2, 48000, None) if audio else None
    return ProbeResult("mov", "mov,mp4", 60.0, 1000, None, video, sound)


def _plan(*args, **kwargs) -> list[tuple[str, int, int]]:
    return [(r.name, r.width, r.height) for r in ladder.plan_ladder(_probe(*args, **kwargs))]


def test_a_1080p_source_gets_the_four_rungs():
    assert _plan(1920, 1080) == [
        ("1080p", 1920, 1080),
        ("720p", 1280, 720),
        ("480p", 854, 480),
        ("360p", 640, 360),
    ]


def test_no_rung_is_larger_than_the_source():
    assert _plan(854, 480) == [("480p", 854, 480), ("360p", 640, 360)]
    assert _plan(1280, 720) == [("720p", 1280, 720), ("480p", 854, 480), ("360p", 640, 360)]
    # 1000 lines: 720p is the largest rung that fits.
    assert _plan(1778, 1000)[0] == ("720p", 1280, 720)


def test_a_source_smaller_than_360p_gets_one_rung_at_its_own_size():
    assert _plan(320, 240) == [("240p", 320, 240)]
    assert ladder.plan_ladder(_probe(320, 240))[0].video_kbps < 800


def test_portrait_and_rotated_sources_size_rungs_by_their_short_side():
    assert _plan(1080, 1920)[1] == ("720p", 720, 1280)
    # Stored 1920x1080 but shown turned: a portrait video.
    assert _plan(1920, 1080, rotation=90)[1] == ("720p", 720, 1280)


def test_bitrates_are_capped_and_the_master_bandwidth_counts_the_peak():
    rung = ladder.plan_ladder(_probe(1920, 1080))[0]
    assert (rung.video_kbps, rung.maxrate_kbps, rung.bufsize_kbps) == (5000, 5350, 7500)
    assert rung.bandwidth == (5350 + 128) * 1000
    silent = ladder.plan_ladder(_probe(1920, 1080, audio=False))[0]
    assert silent.audio_kbps is None and silent.bandwidth == 5350 * 1000


def test_the_command_decodes_once_and_feeds_every_rung(tmp_path):
    source = _probe(1920, 1080)
    cmd = ladder.ladder_command("ffmpeg", Path("/in/src"), source,
                                ladder.plan_ladder(source), tmp_path)  # fmt: skip
    assert cmd.count("-i") == 1
    graph = cmd[cmd.index("-filter_complex") + 1]
    assert graph.startswith("[0:v:0]split=4[s0][s1][s2][s3]")
    assert graph.count("scale=") == 4
    assert cmd.count("libx264") == 4 and cmd.count("aac") == 4
    assert cmd[cmd.index("-var_stream_map") + 1] == (
        "v:0,a:0,name:1080p v:1,a:1,name:720p v:2,a:2,name:480p v:3,a:3,name:360p"
    )
    assert "expr:gte(t,n_forced*2)" in cmd and cmd[cmd.index("-hls_time") + 1] == "2"
    # The input is opened the sandbox's way.
    assert cmd[cmd.index("-protocol_whitelist") + 1] == "file"
    assert cmd[cmd.index("-i") + 1] == "file:/in/src"


def _keyframes(segment: Path) -> list[float]:
    out = subprocess.run(
        [
            sandbox.ffprobe_exe(),
            "-loglevel",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "frame=pts_time,key_frame",
            "-of",
            "json",
            str(segment),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    frames = json.loads(out)["frames"]
    return [round(float(f["pts_time"]), 2) for f in frames if f["key_frame"] == 1]


def _stream_size(path: Path) -> tuple[int, int]:
    out = subprocess.run(
        [
            sandbox.ffprobe_exe(),
            "-loglevel",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
            "-of",
            "json",
            str(path),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    stream = json.loads(out)["streams"][0]
    return stream["width"], stream["height"]


def _encode(source: Path, out: Path) -> list[ladder.Rung]:
    work = out.parent / "work"
    work.mkdir(exist_ok=True)
    result = probe(source, work_dir=work)
    rungs = ladder.plan_ladder(result)
    cmd = ladder.ladder_command(sandbox.ffmpeg_exe(), source, result, rungs, out, progress=False)
    sandbox.run(cmd, cwd=work, timeout=600)
    return rungs


def test_a_real_1080p_ladder_has_aligned_two_second_segments_in_every_rung(tmp_path):
    source = make_clip(tmp_path / "hd.mp4", width=1920, height=1080, seconds=5)
    out = tmp_path / "out"
    _encode(source, out)

    master = (out / "master.m3u8").read_text()
    for size in ("1920x1080", "1280x720", "854x480", "640x360"):
        assert f"RESOLUTION={size}" in master
    assert master.count("#EXT-X-STREAM-INF") == 4 and "mp4a.40.2" in master

    durations = {}
    for name in ("1080p", "720p", "480p", "360p"):
        playlist = (out / name / "index.m3u8").read_text()
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist and "#EXT-X-ENDLIST" in playlist
        durations[name] = [float(d) for d in re.findall(r"#EXTINF:([\d.]+),", playlist)]
    # Every rung cuts at the same instants: 2 s, 2 s, then the rest.
    assert len({tuple(d) for d in durations.values()}) == 1
    assert [round(d, 1) for d in durations["1080p"]] == [2.0, 2.0, 1.0]
    # ...and every segment of every rung starts with a keyframe at the same time.
    starts = {
        name: [_keyframes(out / name / f"seg_{i:05d}.ts")[0] for i in range(3)]
        for name in durations
    }
    assert len({tuple(s) for s in starts.values()}) == 1
    assert _stream_size(out / "720p" / "seg_00000.ts") == (1280, 720)


def test_a_phone_video_on_its_side_comes_out_upright(tmp_path):
    source = make_clip(tmp_path / "phone.mp4", width=640, height=360, seconds=2, rotate=90)
    out = tmp_path / "out"
    rungs = _encode(source, out)
    assert [(r.name, r.width, r.height) for r in rungs] == [("360p", 360, 640)]
    assert _stream_size(out / "360p" / "seg_00000.ts") == (360, 640)


def test_the_thumbnail_skips_a_fade_from_black(tmp_path):
    from PIL import Image, ImageStat

    source = make_clip(tmp_path / "fade.mp4", width=640, height=360, seconds=6, fade_in_at=2.5)
    work = tmp_path / "work"
    work.mkdir()
    result = probe(source, work_dir=work)
    poster = tmp_path / "poster.jpg"
    sandbox.run(
        ladder.thumbnail_command(sandbox.ffmpeg_exe(), source, result, poster), cwd=work, timeout=60
    )
    with Image.open(poster) as image:
        assert image.size == (640, 360)
        brightness = ImageStat.Stat(image.convert("L")).mean[0]
    assert brightness > 60  # testsrc2's colours, not the black opening


def test_a_silent_source_makes_a_ladder_without_audio(tmp_path):
    source = make_clip(tmp_path / "silent.mkv", width=854, height=480, seconds=2, audio=False)
    out = tmp_path / "out"
    rungs = _encode(source, out)
    assert [r.name for r in rungs] == ["480p", "360p"]
    master = (out / "master.m3u8").read_text()
    assert "mp4a" not in master and master.count("#EXT-X-STREAM-INF") == 2
