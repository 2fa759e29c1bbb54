"""Run a service action for a page: commit and say so, or roll back and say why not."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash

from lms.errors import ServiceError
from lms.extensions import db

T = TypeVar("T")


def attempt(action: Callable[[], T], success: str | Callable[[], str]) -> bool:
    """Run `action`; commit and flash `success`, or roll back and flash the refusal.

    `success` may be a function, for messages that show the state after the
    action (a course's new name). Returns whether the action went through.
    """
    try:
        action()
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return False
    db.session.commit()
    flash(success() if callable(success) else success, "success")
    return True
