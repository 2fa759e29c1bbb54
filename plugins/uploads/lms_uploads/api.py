"""JSON API under /api/v1: video status (with the transcode's progress) and retry.

The tus upload endpoint (/api/v1/uploads/) is in tus.py: it speaks tus, not JSON
(documented in the plugin's README).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden, NotFound

from lms.api import ApiBlueprint, require_user
from lms.extensions import db
from lms.i18n import _
from lms.models import Task, TaskStatus, utcnow
from lms.permissions import check_first
from lms_uploads.models import FAILED, Video
from lms_uploads.schemas import VideoOut
from lms_uploads.videos import retry_video

blp = ApiBlueprint(
    "uploads_api", __name__, description="Uploaded videos: processing status and retry."
)


def editable_video(video_id: int, user: Any) -> Video:
    """The video if `user` may manage its course; 404 when they may not even see it."""
    from lms_catalog import course_permission, get_course

    video = db.session.get(Video, video_id)
    course = get_course(video.course_id) if video is not None else None
    if video is None or course is None or not course_permission(user, course, "view"):
        raise NotFound(_("There is no such video."))
    if not course_permission(user, course, "edit"):
        raise Forbidden(_("Only the course's instructors can see how its videos are processed."))
    return video


def _edits_video(video_id: int) -> None:
    editable_video(video_id, require_user())


def queue_position(task: Task) -> int | None:
    """How many queued tasks of the same queue are ahead of `task`, plus one."""
    if task.status != TaskStatus.QUEUED:
        return None
    ahead = db.session.scalar(
        select(func.count(Task.id)).where(
            Task.queue == task.queue,
            Task.status.in_((TaskStatus.QUEUED, TaskStatus.RUNNING)),
            Task.id < task.id,
        )
    )
    return int(ahead or 0) + 1


def task_json(task: Task | None) -> dict[str, Any] | None:
    if task is None:
        return None
    eta = None
    if task.eta_at is not None and task.status == TaskStatus.RUNNING:
        eta = max(0, int((task.eta_at - utcnow()).total_seconds()))
    return {
        "id": task.id,
        "status": task.status.value,
        "progress": task.progress,
        "message": task.message or "",
        "eta_seconds": eta,
        "queue_position": queue_position(task),
    }


def video_json(video: Video) -> dict[str, Any]:
    task = db.session.get(Task, video.task_id) if video.task_id else None
    return {
        "id": video.id,
        "lesson_id": video.lesson_id,
        "course_id": video.course_id,
        "status": video.status,
        "error": video.error,
        "size_bytes": video.size_bytes,
        "duration_seconds": video.duration_seconds,
        "width": video.width,
        "height": video.height,
        "has_audio": video.has_audio,
        "renditions": list(video.renditions or []),
        "attempts": video.attempts,
        "can_retry": video.status == FAILED and bool(video.source_key),
        "task": task_json(task),
        "updated_at": video.updated_at,
    }


@blp.route("/videos/<int:video_id>")
class VideoItem(MethodView):
    @blp.errors(401, 403, 404)
    @blp.response(200, VideoOut)
    def get(self, video_id: int) -> dict[str, Any]:
        """A video's processing status, with the transcode's progress (course staff)."""
        return video_json(editable_video(video_id, require_user()))


@blp.route("/videos/<int:video_id>/retry")
class VideoRetry(MethodView):
    @blp.errors(409)
    @check_first(_edits_video)
    @blp.response(202, VideoOut)
    def post(self, video_id: int) -> dict[str, Any]:
        """Process a video whose processing failed once more (course staff)."""
        user = require_user()
        video = editable_video(video_id, user)
        retry_video(video, user.id)
        db.session.commit()
        return video_json(video)
