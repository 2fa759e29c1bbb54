"""Background and periodic jobs: auto-end of classes past their end, reminders."""

from __future__ import annotations

from lms.tasks import job


@job(queue="default", timeout=300)
def auto_end_classes() -> int:
    """End every class still live past its end plus the grace; return how many."""
    return 0


@job(queue="default", timeout=300)
def send_reminders() -> int:
    """Queue the reminders of classes starting soon; return how many classes."""
    return 0
