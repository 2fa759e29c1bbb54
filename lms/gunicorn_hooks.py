"""gunicorn server hooks for `make run`'s web processes (`--config python:lms.gunicorn_hooks`)."""

from __future__ import annotations

import sys
from typing import Any


def _quiet_finalizer_noise(unraisable: Any) -> None:
    # A gevent worker that exits normally still collects logging's handler
    # references while its greenlets are finalized; Python reports each as
    # "RuntimeError: greenlet is being finalized". Nothing is lost: say nothing.
    if isinstance(unraisable.exc_value, RuntimeError) and "greenlet is being finalized" in str(
        unraisable.exc_value
    ):
        return
    sys.__unraisablehook__(unraisable)


def worker_exit(_server: Any, _worker: Any) -> None:
    """Keep a web process's clean exit (Ctrl-C, restart) free of shutdown noise."""
    sys.unraisablehook = _quiet_finalizer_noise
