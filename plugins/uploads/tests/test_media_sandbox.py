"""The probe and the transcode read nothing but the uploaded file: proven with tripwires.

Two tripwires watch for reads: a named pipe (FIFO) standing for "another
local file" (opening it for reading is seen at once, whatever the mount's
access-time options), and an HTTP server on loopback that records every hit.
Control tests show that plain ffprobe, without our rules, does trip them.
"""

from __future__ import annotations

import errno
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from lms_uploads.media import sandbox
from lms_uploads.media.probe import probe
from lms_uploads.media.sandbox import RefusedFile


class Tripwires:
    """A FIFO that notices being opened and an HTTP server that notices requests."""

    def __init__(self, folder: Path) -> None:
        self.fifo = folder / "secret.ts"
        os.mkfifo(self.fifo)
        self.file_opens = 0
        self.http_hits: list[str] = []
        self._stop = threading.Event()
        hits = self.http_hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                hits.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        threading.Thread(target=self._watch_fifo, daemon=True).start()

    def _watch_fifo(self) -> None:
        # Opening a FIFO to write without blocking succeeds only while someone has it
        # open to read: that someone is a process reading "another local file".
        while not self._stop.is_set():
            try:
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:
                    raise
                time.sleep(0.002)
                continue
            self.file_opens += 1
            os.close(fd)  # the reader sees an empty file and goes on
            time.sleep(0.05)

    @property
    def tripped(self) -> bool:
        return bool(self.file_opens or self.http_hits)

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def wires(tmp_path: Path) -> Iterator[Tripwires]:
    wires = Tripwires(tmp_path)
    yield wires
    wires.close()


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def _playlist(wires: Tripwires) -> str:
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
        f"#EXTINF:2.0,\n{wires.fifo}\n#EXTINF:2.0,\nsecret.ts\n"
        f"#EXTINF:2.0,\n{wires.url}/segment.ts\n#EXT-X-ENDLIST\n"
    )


def _concat(wires: Tripwires) -> str:
    return f"ffconcat version 1.0\nfile '{wires.fifo}'\nfile '{wires.url}/clip.mp4'\n"


def _settle() -> None:
    time.sleep(0.3)  # let a late read reach the tripwires before looking


def test_control_plain_ffprobe_does_follow_a_playlist_to_another_file(tmp_path, wires):
    # Without our rules ffprobe guesses the format from the content and follows it.
    playlist = tmp_path / "list.m3u8"
    playlist.write_text(_playlist(wires))
    subprocess.run(
        [sandbox.ffprobe_exe(), "-loglevel", "quiet", str(playlist)],
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    _settle()
    assert wires.file_opens >= 1


def test_control_plain_ffprobe_fetches_a_url_a_playlist_names(tmp_path, wires):
    playlist = tmp_path / "remote.m3u8"
    playlist.write_text(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n{wires.url}/segment.ts\n#EXT-X-ENDLIST\n"
    )
    subprocess.run(
        [sandbox.ffprobe_exe(), "-loglevel", "quiet",
         "-protocol_whitelist", "file,http,tcp", str(playlist)],
        cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip
    _settle()
    assert wires.http_hits == ["/segment.ts"]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("lecture.mp4", _playlist, "playlist"),
        ("lecture.mkv", _concat, "playlist"),
    ],
)
def test_a_playlist_or_concat_list_posing_as_a_video_is_refused_unread(
    tmp_path, wires, work, name, content, code
):
    hostile = tmp_path / name
    hostile.write_text(content(wires))
    with pytest.raises(RefusedFile) as info:
        probe(hostile, work_dir=work)
    assert info.value.code == code
    assert "not a video file" in info.value.message
    _settle()
    assert not wires.tripped


@pytest.mark.parametrize("demuxer", sandbox.ALLOWED_DEMUXERS)
def test_even_past_the_sniffing_each_forced_format_refuses_to_follow_a_playlist(
    tmp_path, wires, work, demuxer
):
    # Suppose the first-bytes check were fooled: ffmpeg still opens the file
    # as the one container it was told, with the file protocol alone.
    hostile = tmp_path / "hostile.bin"
    hostile.write_text(_playlist(wires) + _concat(wires))
    cmd = [sandbox.ffprobe_exe(), "-loglevel", "quiet", "-show_streams",
           *sandbox.input_args(hostile, demuxer)]  # fmt: skip
    with pytest.raises(subprocess.CalledProcessError):
        sandbox.run(cmd, cwd=work, timeout=60)
    cmd[cmd.index("-i") - 1] = "hls"  # and a playlist format it was not told is not allowed
    with pytest.raises(subprocess.CalledProcessError):
        sandbox.run(cmd, cwd=work, timeout=60)
    _settle()
    assert not wires.tripped


def test_a_playlist_behind_an_mp4_header_is_refused_as_damaged_and_unread(tmp_path, wires, work):
    hostile = tmp_path / "trojan.mp4"
    header = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    hostile.write_bytes(header + _playlist(wires).encode())
    with pytest.raises(RefusedFile) as info:
        probe(hostile, work_dir=work)
    assert info.value.code == "damaged"
    _settle()
    assert not wires.tripped


def test_a_real_clip_probes_without_touching_the_tripwires(tmp_path, wires, work):
    from lms_uploads.media.samples import make_clip

    clip = make_clip(tmp_path / "fine.mp4", seconds=1)
    assert probe(clip, work_dir=work).video is not None
    _settle()
    assert not wires.tripped


def test_media_tools_run_with_nothing_but_path_in_their_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    out, _ = sandbox.run(["env"], cwd=tmp_path, timeout=10, niceness=0)
    names = {line.split("=", 1)[0] for line in out.splitlines()}
    assert names <= {"PATH", "LC_ALL", "PWD"}


def test_media_tools_run_niced_in_their_work_folder(tmp_path):
    out, _ = sandbox.run(
        ["sh", "-c", "pwd; cut -d' ' -f19 /proc/self/stat"], cwd=tmp_path, timeout=10
    )
    folder, niceness = out.split()
    assert Path(folder) == tmp_path
    assert int(niceness) == 19 or os.nice(0) == 19


def test_stale_work_folders_of_dead_runs_are_removed_and_live_ones_kept(tmp_path):
    dead = tmp_path / "video-7-999999-x1"  # no such process
    live = tmp_path / f"video-8-{os.getpid()}-x2"
    other = tmp_path / "something-else"
    for folder in (dead, live, other):
        folder.mkdir()
    assert sandbox.clean_stale(tmp_path) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])
    with sandbox.work_dir(tmp_path, 9) as work:
        (work / "out.ts").write_bytes(b"x")
        assert work.parent == tmp_path
    assert not work.exists()
