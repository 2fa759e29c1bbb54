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


# h2 replaces this: the real one-pass HLS transcode lives here once merged.
@job(queue="media", timeout=2 * 3600, retries=3)
def transcode_video(video_id: int) -> dict[str, object]:
    """Transcode a video's source into its HLS ladder (placeholder until h2's merge)."""
    raise NotImplementedError("transcode_video is written by h2")
