"""JSON API under /api/v1: video status (with live progress) and retry.

The tus upload endpoint (/api/v1/uploads/) is in tus.py: it speaks tus, not JSON.
"""

from __future__ import annotations

from lms.api import ApiBlueprint

blp = ApiBlueprint(
    "uploads_api", __name__, description="Uploaded videos: processing status and retry."
)
