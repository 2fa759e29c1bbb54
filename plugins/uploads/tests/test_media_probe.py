"""Probing uploads with ffprobe: what a video holds, and the files we refuse (with why)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from lms_uploads.media import sandbox
from lms_uploads.media.probe import probe
from lms_uploads.media.samples import make_clip
from lms_uploads.media.sandbox import RefusedFile


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def test_a_1080p_clip_with_sound(clips, work):
    clip = make_clip(clips / "hd.mp4", width=1920, height=1080, seconds=2)
    result = probe(clip, work_dir=work)
    assert result.demuxer == "mov" and result.container == "MP4/MOV"
    assert result.duration == pytest.approx(2.0, abs=0.1)
    assert (result.video.codec, result.video.width, result.video.height) == ("h264", 1920, 1080)
    assert result.video.fps == pytest.approx(30.0)
    assert result.video.rotation == 0
    assert result.audio.codec == "aac" and result.audio.sample_rate == 48000
    assert result.size == clip.stat().st_size


@pytest.mark.parametrize(
    ("name", "demuxer", "extra"),
    [
        ("clip.mkv", "matroska", []),
        ("clip.mov", "mov", []),
        ("clip.avi", "avi", []),
        ("clip.ts", "mpegts", []),
        ("clip.flv", "flv", []),
        ("clip.webm", "matroska", ["-c:v", "libvpx-vp9", "-deadline", "realtime"]),
    ],
)
def test_each_whitelisted_container_is_recognised_by_its_content(clips, work, name, demuxer, extra):
    clip = make_clip(clips / name, seconds=1, extra=extra)
    result = probe(clip, work_dir=work)
    assert result.demuxer == demuxer
    assert result.video is not None and result.duration > 0


def test_a_video_named_like_something_else_is_still_read_by_its_content(clips, work):
    clip = make_clip(clips / "real.mkv", seconds=1)
    renamed = clips / "holiday.avi"
    renamed.write_bytes(clip.read_bytes())
    assert probe(renamed, work_dir=work).demuxer == "matroska"


def test_a_clip_without_sound_is_accepted(clips, work):
    result = probe(make_clip(clips / "silent.mp4", audio=False, seconds=1), work_dir=work)
    assert result.video is not None and result.audio is None


def test_a_phone_video_turned_on_its_side_reports_its_rotation(clips, work):
    clip = make_clip(clips / "phone.mp4", width=640, height=360, seconds=1, rotate=90)
    result = probe(clip, work_dir=work)
    assert result.video.rotation in (90, 270)
    assert result.display_size == (360, 640)


def _refusal(path: Path, work: Path, **options) -> RefusedFile:
    with pytest.raises(RefusedFile) as info:
        probe(path, work_dir=work, **options)
    return info.value


def test_a_text_file_named_mp4_is_refused_as_text(tmp_path, work):
    fake = tmp_path / "lecture.mp4"
    fake.write_text("These are my lecture notes, not a video.\n" * 20)
    refusal = _refusal(fake, work)
    assert refusal.code == "text"
    assert refusal.message == (
        "This is a text file, not a video, whatever its name says. Upload a video file."
    )


def test_an_image_is_refused_as_an_image(tmp_path, work):
    image = tmp_path / "poster.mp4"
    subprocess.run(
        [
            sandbox.ffmpeg_exe(),
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240",
            "-frames:v",
            "1",
            "-f",
            "image2",
            "-c:v",
            "png",
            str(image),
        ],  # fmt: skip
        check=True,
    )
    refusal = _refusal(image, work)
    assert refusal.code == "image"
    assert "image, not a video" in refusal.message


def test_sound_without_picture_is_refused(clips, work):
    sound = make_clip(clips / "podcast.mp4", video=False, seconds=1)
    refusal = _refusal(sound, work)
    assert refusal.code == "audio_only"
    assert refusal.message == "This file has sound but no picture. Upload a video file."


def test_an_empty_file_is_refused(tmp_path, work):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    assert _refusal(empty, work).message == "The file is empty."


def test_a_format_outside_the_whitelist_is_refused_with_the_list(clips, work):
    gif = clips / "anim.mp4"
    subprocess.run(
        [
            sandbox.ffmpeg_exe(),
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=64x64:duration=0.5",
            "-f",
            "gif",
            str(gif),
        ],  # fmt: skip
        check=True,
    )
    refusal = _refusal(gif, work)
    assert refusal.code == "image"  # a GIF is an image format, even animated
    mxf = clips / "broadcast.mxf"
    make_clip(mxf, seconds=1, extra=["-f", "mxf"], codec="mpeg2video", audio=False)
    refusal = _refusal(mxf, work)
    assert refusal.code == "unsupported_format"
    assert "MP4, MOV, MKV, WebM, AVI, MPEG-TS, Ogg and FLV" in refusal.message


def test_a_truncated_mp4_is_refused_as_damaged(clips, tmp_path, work):
    clip = make_clip(clips / "whole.mp4", seconds=2)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    refusal = _refusal(cut, work)
    assert refusal.code == "damaged"
    assert "damaged or incomplete" in refusal.message


def test_a_truncated_mp4_whose_index_survived_is_refused_too(clips, tmp_path, work):
    # The index (moov) first, as web-optimised files have it: ffprobe alone is
    # fooled (the index promises 2 s), decoding near the end is not.
    clip = make_clip(clips / "faststart.mp4", seconds=2, extra=["-movflags", "+faststart"])
    cut = tmp_path / "cut-faststart.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 3])
    assert _refusal(cut, work).code == "damaged"


def test_a_video_longer_than_the_limit_is_refused_with_both_lengths(clips, work):
    clip = make_clip(clips / "long.mp4", seconds=3, audio=False)
    refusal = _refusal(clip, work, max_duration=2)
    assert refusal.code == "too_long"
    assert refusal.message == "The video is 0:03 long; the longest allowed is 0:02."
    assert probe(clip, work_dir=work, max_duration=10).duration == pytest.approx(3, abs=0.1)


def test_the_probe_leaves_nothing_in_its_work_folder(clips, work):
    probe(make_clip(clips / "tidy.mp4", seconds=1), work_dir=work)
    assert list(work.iterdir()) == []
