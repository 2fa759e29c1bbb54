"""Benchmark: the video transcode, one pass against one process per rung, and the site meanwhile.

    .venv/bin/python bench/transcode.py          (or `make bench`)

On one synthetic 60-second 1080p30 clip with sound (ffmpeg's testsrc2 + sine,
H.264 at a phone camera's bitrate), in one run on this machine:

- (A) plain ffmpeg, one process per rendition (1080p, 720p, 480p, 360p one
  after the other, each decoding the source again): the seeds' design;
- (B) plain ffmpeg, one process that decodes once (lms_uploads.media.ladder's
  command: same ladder, same encoder settings);
- (W) our whole job through RQ: a real `worker.py media` process picks the
  task up, probes, checks the end decodes, makes the poster, encodes the
  ladder, publishes it to storage and commits; timed from the commit that
  queues it to the video being ready.

A and B run at the media worker's priority (nice 19), like W, so the three
compete alike with whatever else the machine runs. Then the catalog page is
served the production way (gunicorn, bench/catalog.py's helpers) and loaded
with wrk while idle and while a transcode runs on the niced worker.

Prints ``worker_vs_onepass_ratio=W/B`` (target <= 1.05),
``perrung_vs_worker_ratio=A/W`` (target >= 1.35),
``upload_peak_rss_mb=`` (bench/upload_rss.py, target < 150) and
``pages_during_transcode_ratio=`` (target >= 0.75).

Environment: BENCH_CLIP_SECONDS (60), BENCH_DURATION (10s a wrk round),
BENCH_CONNECTIONS (32), BENCH_WORKERS (2 gunicorn workers), BENCH_PARTS
(transcode,pages,upload: which parts to run), BENCH_SKIP_UPLOAD (1: skip the
2 GB upload), REDIS_URL (default: an embedded Redis).
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import mean
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalog import free_port, run_wrk, seed, serve, wait_for  # noqa: E402

CLIP_SECONDS = int(os.environ.get("BENCH_CLIP_SECONDS", "60"))
DURATION = os.environ.get("BENCH_DURATION", "10s")
# A phone records 1080p30 H.264 at about 16 Mbit/s.
SOURCE_BITRATE = "16M"
NICENESS = 19  # lms.worker nices media jobs to 19
# Which parts to run (all by default): "transcode" (A, B, W), "pages", "upload".
PARTS = set(os.environ.get("BENCH_PARTS", "transcode,pages,upload").split(","))
FIGURES = (
    "worker_vs_onepass_ratio",
    "perrung_vs_worker_ratio",
    "upload_peak_rss_mb",
    "pages_during_transcode_ratio",
)


def make_source(path: Path) -> Path:
    from lms_uploads.media.sandbox import wheel_ffmpeg_exe

    cmd = [
        wheel_ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
        "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={CLIP_SECONDS}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={CLIP_SECONDS}",
        "-c:v", "libx264", "-preset", "superfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
        "-b:v", SOURCE_BITRATE, "-maxrate", SOURCE_BITRATE, "-bufsize", "32M",
        "-c:a", "aac", "-b:a", "192k", str(path),
    ]  # fmt: skip
    subprocess.run(cmd, check=True)  # noqa: S603
    return path


def children_cpu() -> float:
    """CPU seconds used by this process's finished children (the ffmpeg runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and of its finished children (a worker and its work horses)."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def timed(action: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the children) of `action()`."""
    cpu, started = children_cpu(), time.monotonic()
    action()
    return time.monotonic() - started, children_cpu() - cpu


def run_niced(cmd: list[str], cwd: Path) -> None:
    from lms_uploads.media import sandbox

    sandbox.run(cmd, cwd=cwd, timeout=3600, niceness=NICENESS)


def per_rung(source: Path, probe: Any, rungs: list[Any], out: Path) -> tuple[float, float]:
    """(A) one ffmpeg process per rendition, one after the other, plus the master playlist."""
    from lms_uploads.media import ladder, sandbox

    def run() -> None:
        for rung in rungs:
            (out / rung.name).mkdir(parents=True)
            cmd = ladder.rung_command(sandbox.ffmpeg_exe(), source, probe, rung, out)
            run_niced(cmd, out)
        (out / ladder.MASTER).write_text(ladder.master_playlist(rungs))

    return timed(run)


def one_pass(source: Path, probe: Any, rungs: list[Any], out: Path) -> tuple[float, float]:
    """(B) the same ladder from one ffmpeg process that decodes once."""
    from lms_uploads.media import ladder, sandbox

    cmd = ladder.ladder_command(sandbox.ffmpeg_exe(), source, probe, rungs, out, progress=False)
    out.mkdir(parents=True)
    return timed(lambda: run_niced(cmd, out))


def create_video_lesson(source: Path) -> int:
    """An instructor's course with a video lesson whose source is `source`; returns the video id."""
    from lms_catalog import Course
    from lms_lessons import services as lesson_services
    from lms_uploads.videos import ensure_video, source_key

    from lms.app import create_app
    from lms.db import write_now
    from lms.extensions import db
    from lms.models import Role, User
    from lms.storage import get_storage

    app = create_app()
    with app.app_context(), app.test_request_context(), write_now():
        teacher = User(email="filmmaker@bench.test", name="Fran Filmmaker", role=Role.INSTRUCTOR)
        db.session.add(teacher)
        db.session.flush()
        course = db.session.scalar(db.select(Course).order_by(Course.id).limit(1))
        section = lesson_services.create_section(course.id, "Videos")
        lesson = lesson_services.create_lesson(
            section, {"type": "video", "title": "Bench clip", "content": {}}
        )
        video = ensure_video(lesson, teacher.id)
        video.source_key = source_key(video)
        video.size_bytes = get_storage().save(video.source_key, source.open("rb"))
        db.session.commit()
        video_id = video.id
        db.engine.dispose()
    return video_id


class Site:
    """The app in this process, to queue transcodes and read their state."""

    def __init__(self) -> None:
        from lms.app import create_app

        self.app = create_app()

    def queue(self, video_id: int) -> None:
        from lms_uploads.models import PENDING, Video
        from lms_uploads.videos import start_transcode

        from lms.extensions import db

        with self.app.app_context():
            video = db.session.get(Video, video_id)
            video.status = PENDING
            start_transcode(video, video.owner_id)
            db.session.commit()

    def state(self, video_id: int) -> tuple[str, int]:
        from lms_uploads.models import Video

        from lms.extensions import db
        from lms.models import Task

        with self.app.app_context():
            video = db.session.get(Video, video_id)
            task = db.session.get(Task, video.task_id) if video.task_id else None
            result = (video.status, task.progress if task else 0)
            db.session.rollback()
            return result

    def wait(self, video_id: int, done: Callable[[str, int], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, progress = self.state(video_id)
            if status == "failed":
                raise RuntimeError(f"video {video_id} failed to transcode")
            if done(status, progress):
                return
            time.sleep(0.1)
        raise RuntimeError(f"video {video_id} did not get there within {timeout:.0f}s")


def start_media_worker(env: dict[str, str], logfile: Path) -> subprocess.Popen[bytes]:
    # Same session as the web server: with autogroup scheduling, nice only ranks
    # processes within one session, which is how `make run` starts them.
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "worker.py", "media"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=logfile.open("wb"),
        stderr=subprocess.STDOUT,
    )


def stop(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its work horse (ffmpeg follows them: PR_SET_PDEATHSIG)."""
    if worker.poll() is not None:
        return
    for member in [psutil.Process(worker.pid), *psutil.Process(worker.pid).children(True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    worker.wait(timeout=60)


def worker_ready(env: dict[str, str], timeout: float = 60) -> None:
    from redis import Redis
    from rq import Worker

    redis = Redis.from_url(env["REDIS_URL"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(w.get_state() == "idle" for w in Worker.all(connection=redis)):
            return
        time.sleep(0.2)
    raise RuntimeError("the media worker did not start")


def pages_ratio(
    site: Site, video_id: int, env: dict[str, str], worker: subprocess.Popen[bytes]
) -> float:
    port = free_port()
    server = serve("wsgi:app", env, port)
    url = f"http://127.0.0.1:{port}/courses"
    try:
        wait_for(url)
        run_wrk(url, "3s")  # warm up
        print(f"idle: wrk -d{DURATION} {url}", flush=True)
        idle = [run_wrk(url)["rps"]]
        site.queue(video_id)
        # Measure while ffmpeg encodes (past the checks, before the copy to storage).
        site.wait(video_id, lambda status, progress: progress >= 5, 600)
        print(f"during a transcode: wrk -d{DURATION} {url}", flush=True)
        during = run_wrk(url)["rps"]
        status, progress = site.state(video_id)
        if status != "processing":
            print(f"warning: the transcode ended during the round ({status})", flush=True)
        print(f"  the transcode was at {progress}% when the round ended", flush=True)
        # Stop the worker (and with it the transcode: ffmpeg dies with its parent)
        # rather than wait for the end, then measure idle again.
        stop(worker)
        print(f"idle again: wrk -d{DURATION} {url}", flush=True)
        idle.append(run_wrk(url)["rps"])
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(f"catalog page: idle {mean(idle):.1f} req/s ({', '.join(f'{r:.1f}' for r in idle)}), "
          f"during a transcode {during:.1f} req/s", flush=True)  # fmt: skip
    return during / mean(idle)


def upload_rss() -> float | None:
    if os.environ.get("BENCH_SKIP_UPLOAD") == "1":
        return None
    if not (ROOT / "bench" / "upload_rss.py").exists():
        return None
    from bench.upload_rss import bench_upload_rss

    return bench_upload_rss()


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="lms-bench-transcode-"))
    redis_server = None
    env = {
        "LMS_ENV": "production",
        "SITE_URL": "http://127.0.0.1",
        "LMS_INSTANCE_PATH": str(workdir),
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "LMS_LOG_LEVEL": "WARNING",
        "UPLOADS_WORK_DIR": str(workdir / "media-work"),
    }
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    else:
        from lms.redis_store import EmbeddedRedis

        redis_server = EmbeddedRedis(workdir)
        redis_server.start()
        env["REDIS_URL"] = redis_server.url
    worker = None
    figures: dict[str, float] = {}
    saved_environ = dict(os.environ)  # seed() exports the site's settings: undone below
    try:
        from lms_uploads.media import ladder
        from lms_uploads.media.probe import probe

        source = workdir / "clip.mp4"
        print(f"making a {CLIP_SECONDS} s 1080p30 clip with sound ...", flush=True)
        make_source(source)
        checks = workdir / "checks"
        checks.mkdir()
        result = probe(source, work_dir=checks)
        rungs = ladder.plan_ladder(result)
        print(f"ladder: {', '.join(r.name for r in rungs)}", flush=True)

        print("seeding the site ...", flush=True)
        seed(env)
        video_id = create_video_lesson(source)
        site = Site()
        worker = start_media_worker(env, workdir / "worker.log")
        worker_ready(env)

        if "transcode" in PARTS:
            print("(B) one pass: one ffmpeg process decoding once ...", flush=True)
            b, b_cpu = one_pass(source, result, rungs, workdir / "B")
            print(f"    {b:.1f} s ({b_cpu:.1f} CPU s)", flush=True)
            print("(W) the whole job through RQ: probe, poster, ladder, publish ...", flush=True)
            cpu, started = tree_cpu(worker.pid), time.monotonic()
            site.queue(video_id)
            site.wait(video_id, lambda status, _p: status == "ready", 3600)
            w = time.monotonic() - started
            worker_ready(env)  # the work horse has exited and been reaped: its CPU is counted
            w_cpu = tree_cpu(worker.pid) - cpu
            print(f"    {w:.1f} s ({w_cpu:.1f} CPU s)", flush=True)
            print("(A) one ffmpeg process per rendition ...", flush=True)
            a, a_cpu = per_rung(source, result, rungs, workdir / "A")
            print(f"    {a:.1f} s ({a_cpu:.1f} CPU s)", flush=True)
            figures["worker_vs_onepass_ratio"] = w / b
            figures["perrung_vs_worker_ratio"] = a / w
            # CPU seconds tell the work apart from waiting for a shared machine's cores.
            print(f"cpu_worker_vs_onepass_ratio={w_cpu / b_cpu:.3f}", flush=True)
            print(f"cpu_perrung_vs_worker_ratio={a_cpu / w_cpu:.3f}", flush=True)
            print(f"load average during the run: {os.getloadavg()[0]:.1f}", flush=True)
            shutil.rmtree(workdir / "A")
            shutil.rmtree(workdir / "B")
            leftovers = list((workdir / "media-work").glob("*"))
            if leftovers:
                print(f"warning: the job left temporary files: {leftovers}", flush=True)

        if "pages" in PARTS:
            figures["pages_during_transcode_ratio"] = pages_ratio(site, video_id, env, worker)
    finally:
        if worker is not None:
            stop(worker)
        if redis_server is not None:
            redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        os.environ.clear()
        os.environ.update(saved_environ)

    peak = upload_rss() if "upload" in PARTS else None
    if peak is not None:
        figures["upload_peak_rss_mb"] = peak
    for name in FIGURES:
        if name in figures:
            print(
                f"{name}={figures[name]:.3f}" if "ratio" in name else f"{name}={figures[name]:.1f}"
            )


if __name__ == "__main__":
    main()
