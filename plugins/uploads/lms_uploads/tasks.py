"""Background jobs of the uploads plugin.

Top section (h1): the periodic expiry of abandoned uploads.
Below: the transcode job (h2 replaces the placeholder).
"""

from __future__ import annotations

import logging

from lms.tasks import job

log = logging.getLogger(__name__)


# --- upload expiry ------------------------------------------------------------------


@job(queue="default", timeout=30 * 60, unique=True)
def expire_uploads() -> dict[str, int]:
    """Free the bytes of uploads nobody finished in time (a periodic job)."""
    from lms_uploads.expiry import expire_abandoned_uploads

    return {"expired": expire_abandoned_uploads()}


# --- transcoding --------------------------------------------------------------------


@job(queue="media", timeout=4 * 3600, retries=3)
def transcode_video(video_id: int) -> dict[str, object]:
    """Transcode a video's source into its HLS ladder and publish it (lms_uploads.transcode).

    Three retries with backoff (the core's: 10 s, 1 min, 5 min); a SIGKILLed run
    is queued again by the core's sweeper. The video goes pending -> processing
    -> ready, or failed with the reason in words (a refused file fails at once).
    """
    from lms.extensions import db
    from lms.tasks import current_task_id
    from lms_uploads import transcode

    # The queue moved: tell the owners of the waiting transcodes their place in line.
    transcode.announce_queue_positions()
    try:
        with transcode.owners_language(video_id):
            return transcode.transcode(video_id)
    except Exception:
        db.session.rollback()
        # The core records the failure and queues the retry; the video says "pending"
        # again until the last attempt, then "failed" (transcode.on_task_failed).
        transcode.mark_attempt_failed(video_id, final=False)
        db.session.commit()
        raise
    finally:
        if current_task_id() is not None:
            transcode.announce_queue_positions(finished=current_task_id())
