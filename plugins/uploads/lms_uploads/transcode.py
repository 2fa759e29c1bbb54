"""The transcode of one video: probe, thumbnail, one-pass HLS ladder, atomic publish.

``lms_uploads.tasks.transcode_video`` runs ``transcode(video_id)`` on the
media queue. Safe to run twice, and after a SIGKILL at any point:

- Everything is made in a fresh work folder under ``UPLOADS_WORK_DIR``
  (removed at the end; a killed run's folder is removed by the next run,
  which knows it by its dead process id).
- The ladder, its master playlist and the thumbnail are copied to storage
  under a fresh prefix ``videos/<id>/hls/<run>/`` that nobody references
  yet; then the row is committed with ``hls_prefix`` pointing at it (that
  commit is the switch: a reader sees the old ladder or the new one, never
  half of one); then the previous prefix is deleted. A run that starts
  deletes every prefix under ``videos/<id>/hls/`` but the published one, so
  what a killed run had copied is gone before the new run copies anything.
- A run that finds its video ready (a duplicate, or a run killed just after
  its commit) only tidies up; a run whose video has been given to a newer
  task (a new upload) steps aside and deletes what it made.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import current_app
from flask_babel import format_decimal, format_number
from sqlalchemy import select, update

from lms.extensions import db
from lms.i18n import _, _l, ngettext, user_locale
from lms.models import Task, TaskStatus
from lms.settings import get_setting
from lms.storage import get_storage
from lms.storage.base import Storage, guess_type
from lms.storage.local import LocalStorage
from lms.tasks import PROGRESS_EVENT, current_task_id, report_progress
from lms_uploads.media import ladder, sandbox
from lms_uploads.media.probe import ProbeResult, probe
from lms_uploads.media.progress import Progress, ProgressParser
from lms_uploads.media.sandbox import RefusedFile
from lms_uploads.models import FAILED, PENDING, PROCESSING, READY, Video

log = logging.getLogger(__name__)

JOB_NAME = "lms_uploads.tasks.transcode_video"
POSTER = "poster.jpg"
# Shares of the progress bar: checks and thumbnail, the ladder, copying to storage.
PREPARE_SHARE, LADDER_SHARE = 3.0, 92.0
# At most one progress report a second: each is a database write and a push.
REPORT_EVERY = 1.0
FINAL_FAILURE = _l(
    "Processing the video failed several times. Try again with the retry button; "
    "if it fails again, export the video again from your editing program and upload it."
)


class TranscodeError(RuntimeError):
    """ffmpeg failed on a file that probed well (retried; its stderr is in the task)."""


@dataclass(frozen=True)
class Outcome:
    """What a run did, as the task's result."""

    status: str
    detail: str = ""

    def as_result(self) -> dict[str, Any]:
        return {"status": self.status, "detail": self.detail}


def work_root() -> Path:
    """Where runs make their files (UPLOADS_WORK_DIR; default: the system temp folder)."""
    configured = current_app.config.get("UPLOADS_WORK_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "lms-media"


def hls_root(video_id: int) -> str:
    return f"videos/{video_id}/hls/"


class Reporter:
    """report_progress at most once a second (each is a database write and a push).

    Silent when a test calls the job directly (there is no task to report on).
    """

    def __init__(self) -> None:
        self.enabled = current_task_id() is not None
        self._last = 0.0

    def __call__(
        self, percent: float, message: str, eta: float | None = None, *, force: bool = False
    ) -> None:
        now = time.monotonic()
        if self.enabled and (force or now - self._last >= REPORT_EVERY):
            self._last = now
            report_progress(percent, message, eta)


# --- queue position --------------------------------------------------------------------


def waiting_transcodes(finished: int | None = None) -> list[tuple[int, int | None, int]]:
    """(task id, owner id, position) of each transcode waiting in the media queue.

    The position counts the media tasks queued or running before it, plus one
    (as ``GET /api/v1/videos/<id>`` reports it): 1 means nothing is ahead.
    `finished`: a task about to end, no longer counted as ahead.
    """
    rows = db.session.execute(
        select(Task.id, Task.name, Task.user_id, Task.status)
        .where(
            Task.queue == "media",
            Task.status.in_((TaskStatus.QUEUED, TaskStatus.RUNNING)),
            Task.id != (finished or 0),
        )
        .order_by(Task.id)
    ).all()
    waiting = []
    for ahead, row in enumerate(rows):
        if row.name == JOB_NAME and row.status == TaskStatus.QUEUED:
            waiting.append((row.id, row.user_id, ahead + 1))
    return waiting


def queue_position(task_id: int) -> int | None:
    """The waiting transcode's place in line (1: next to start); None if not waiting."""
    for waiting_id, _owner, position in waiting_transcodes():
        if waiting_id == task_id:
            return position
    return None


def waiting_message(position: int) -> str:
    if position == 1:
        return _("Waiting to be processed: next in line.")
    ahead = position - 1
    return ngettext(
        "Waiting to be processed: %(count)s ahead in line.",
        "Waiting to be processed: %(count)s ahead in line.",
        ahead,
        count=format_number(ahead),
    )


def _owner(user_id: int | None) -> Any:
    """Who a video's messages are for, as `user_locale` needs them (None: the site's language)."""
    from lms.models import User

    user = db.session.get(User, user_id) if user_id else None
    # Kept apart from the row: the callers roll back (and expire it) before they write.
    return SimpleNamespace(language=getattr(user, "language", None))


@contextlib.contextmanager
def owners_language(video_id: int) -> Iterator[None]:
    """Words the job stores or pushes for a video (progress, refusals) in its owner's language."""
    video = db.session.get(Video, video_id)
    with user_locale(_owner(video.owner_id if video is not None else None)):
        yield


def announce_queue_positions(finished: int | None = None) -> None:
    """Store each waiting transcode's place in line on its task and push it to its owner."""
    from lms.realtime import emit

    waiting = waiting_transcodes(finished)
    owners = {owner: _owner(owner) for _task, owner, _position in waiting}
    db.session.rollback()
    for task_id, owner, position in waiting:
        with user_locale(owners[owner]):
            message = waiting_message(position)
        with db.engine.begin() as conn:
            conn.execute(
                update(Task)
                .where(Task.id == task_id, Task.status == TaskStatus.QUEUED)
                .values(message=message)
            )
        if owner is not None:
            payload = {
                "task_id": task_id,
                "status": TaskStatus.QUEUED.value,
                "position": position,
                "message": message,
            }
            with contextlib.suppress(Exception):  # a push that fails is not the job's failure
                emit(PROGRESS_EVENT, payload, user_id=owner)


# --- storage ---------------------------------------------------------------------------


@contextlib.contextmanager
def _source_file(storage: Storage, key: str, work: Path) -> Iterator[Path]:
    """The source on local disk: the stored file itself, or a copy in the work folder."""
    if isinstance(storage, LocalStorage):
        with storage.local_path(key) as path:
            yield path
        return
    # Not storage.local_path(): its copy would outlive a SIGKILLed run outside our folder.
    target = work / "source"
    with storage.open(key) as src, target.open("wb") as out:
        shutil.copyfileobj(src, out, 1024 * 1024)
    yield target


def _drop_unpublished(storage: Storage, video_id: int, keep: str | None) -> int:
    """Delete every ladder under the video's hls/ folder but `keep` (the published one)."""
    prefixes = set()
    root = hls_root(video_id)
    for key in storage.list(root):
        run = key[len(root) :].split("/", 1)[0]
        prefixes.add(f"{root}{run}/")
    removed = 0
    for prefix in sorted(prefixes - {keep}):
        removed += storage.delete_prefix(prefix)
    return removed


def _publish(storage: Storage, out_dir: Path, prefix: str) -> int:
    """Copy every file made by the run under `prefix`; the master playlist last."""
    files = sorted(p for p in out_dir.rglob("*") if p.is_file())
    files.sort(key=lambda p: p.name == ladder.MASTER)
    for path in files:
        key = prefix + path.relative_to(out_dir).as_posix()
        content_type = {
            ".m3u8": "application/vnd.apple.mpegurl",
            ".ts": "video/mp2t",
        }.get(path.suffix) or guess_type(path.name)
        storage.save_file(path, key, content_type)
    return len(files)


# --- ffmpeg ----------------------------------------------------------------------------


def _thumbnail(src: Path, result: ProbeResult, work: Path, out: Path) -> bool:
    ffmpeg = sandbox.ffmpeg_exe()
    for make in (ladder.thumbnail_command, ladder.any_frame_thumbnail_command):
        try:
            sandbox.run(make(ffmpeg, src, result, out), cwd=work, timeout=300)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            log.warning("thumbnail failed for %s", src, exc_info=True)
            continue
        if out.is_file() and out.stat().st_size:
            return True
    return False


def _run_ladder(
    cmd: list[str], duration: float, work: Path, on_progress: Callable[[Progress], None]
) -> None:
    errors = work / "ffmpeg-errors.log"
    with errors.open("w") as err:
        proc = sandbox.popen(cmd, cwd=work, stderr=err)
        parser = ProgressParser(duration)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                progress = parser.feed(line)
                if progress is not None:
                    on_progress(progress)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    if proc.returncode != 0:
        tail = errors.read_text(errors="replace")[-2000:].strip()
        raise TranscodeError(f"ffmpeg exited with {proc.returncode}: {tail}")  # for the log


def _speed_message(progress: Progress) -> str:
    if progress.speed:
        return _(
            "Converting the video (%(speed)sx real time).",
            speed=format_decimal(progress.speed, "0.0"),
        )
    return _("Converting the video.")


# --- the run ---------------------------------------------------------------------------


def _set_lesson_duration(lesson_id: int, seconds: float) -> None:
    from lms_lessons import Lesson

    lesson = db.session.get(Lesson, lesson_id)
    if lesson is not None:
        lesson.duration_seconds = int(round(seconds))


def _refuse(video_id: int, refusal: RefusedFile) -> Outcome:
    video = db.session.get(Video, video_id)
    if video is None:
        return Outcome("skipped", "the video was deleted")
    video.status = FAILED
    video.error = refusal.message
    db.session.commit()
    log.info("video %s refused: %s", video.id, refusal.code)
    return Outcome("refused", refusal.code)


def _max_duration() -> float:
    return float(get_setting("uploads", "max_duration_minutes")) * 60


def transcode(video_id: int) -> dict[str, Any]:
    """Make and publish the video's HLS ladder; see the module's docstring."""
    video = db.session.get(Video, video_id)
    if video is None or not video.source_key:
        db.session.rollback()
        return Outcome("skipped", "no video or no source").as_result()
    task_id = current_task_id()
    if task_id is not None and video.task_id not in (None, task_id):
        db.session.rollback()
        return Outcome("skipped", "a newer transcode of this video is queued").as_result()
    source = video.source_key
    published = video.hls_prefix if video.status == READY else None
    max_duration = _max_duration()
    # On SQLite an open transaction holds the write lock: none stays open while
    # files move or ffmpeg runs (progress is written on connections of its own).
    db.session.rollback()
    storage = get_storage()
    root = work_root()
    sandbox.clean_stale(root)
    _drop_unpublished(storage, video_id, keep=published)
    if published:
        return Outcome("skipped", "already ready").as_result()
    video = db.session.get(Video, video_id)
    video.status = PROCESSING
    video.attempts = (video.attempts or 0) + 1
    video.error = None
    if task_id is not None:
        video.task_id = task_id
    db.session.commit()
    report = Reporter()
    report(0, _("Checking the video."), None, force=True)

    with sandbox.work_dir(root, video_id) as work:
        checks = work / "checks"
        checks.mkdir()
        with _source_file(storage, source, work) as src:
            try:
                result = probe(src, work_dir=checks, max_duration=max_duration)
            except RefusedFile as refusal:
                return _refuse(video_id, refusal).as_result()
            out = work / "out"
            out.mkdir()
            has_poster = _thumbnail(src, result, checks, out / POSTER)
            rungs = ladder.plan_ladder(result)
            report(PREPARE_SHARE, _("Converting the video."), None, force=True)

            def on_progress(progress: Progress) -> None:
                percent = PREPARE_SHARE + LADDER_SHARE * progress.percent / 100
                report(percent, _speed_message(progress), progress.eta_seconds)

            cmd = ladder.ladder_command(sandbox.ffmpeg_exe(), src, result, rungs, out)
            _run_ladder(cmd, result.duration, work, on_progress)
        report(PREPARE_SHARE + LADDER_SHARE, _("Saving the video."), None, force=True)
        prefix = f"{hls_root(video_id)}{uuid.uuid4().hex[:16]}/"
        _publish(storage, out, prefix)

    # The switch: the row names the new ladder in one commit.
    video = db.session.get(Video, video_id)
    if video is None:  # the lesson was deleted meanwhile
        storage.delete_prefix(prefix)
        db.session.rollback()
        return Outcome("skipped", "the video was deleted").as_result()
    if task_id is not None and video.task_id not in (None, task_id):
        storage.delete_prefix(prefix)
        return Outcome("skipped", "a newer transcode of this video took over").as_result()
    previous = video.hls_prefix
    width, height = result.display_size or (None, None)
    video.status = READY
    video.error = None
    video.hls_prefix = prefix
    video.renditions = ladder.renditions(rungs)
    video.duration_seconds = result.duration
    video.width, video.height = width, height
    video.has_audio = result.audio is not None
    video.thumbnail_key = prefix + POSTER if has_poster else None
    _set_lesson_duration(video.lesson_id, result.duration)
    db.session.commit()
    if previous and previous != prefix:
        storage.delete_prefix(previous)
    log.info("video %s ready: %s under %s", video_id, [r.name for r in rungs], prefix)
    return Outcome("ready", prefix).as_result()


# --- failures --------------------------------------------------------------------------


def mark_attempt_failed(video_id: int, final: bool) -> None:
    """After a failed run: back to pending (a retry follows) or failed, in words."""
    video = db.session.get(Video, video_id)
    if video is None or video.status in (READY,):
        return
    video.status = FAILED if final else PENDING
    video.error = str(FINAL_FAILURE) if final else None


def is_final_attempt(task_id: int | None) -> bool:
    if task_id is None:
        return True
    task = db.session.get(Task, task_id)
    return task is None or task.attempts > task.max_retries


def on_task_failed(task: Task) -> None:
    """The core gave up on a transcode (retries spent, or lost with none left): say so."""
    if task.name != JOB_NAME or not task.args:
        return
    with contextlib.suppress(TypeError, ValueError):
        video_id = int(task.args[0])
        with owners_language(video_id):
            mark_attempt_failed(video_id, final=True)
