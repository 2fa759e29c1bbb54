"""Per-app state of the core: every registry lives here, never in a module global.

Module-level registries leak between the apps a test suite builds; keeping them
on `app.extensions["lms"]` gives each app its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    import redis

    from lms.hooks import TemplateHooks
    from lms.nav import NavRegistry
    from lms.permissions import PermissionRegistry
    from lms.plugins import PeriodicJob, Plugin
    from lms.tasks import JobSpec


@dataclass
class LmsState:
    hooks: TemplateHooks
    nav: NavRegistry
    permissions: PermissionRegistry
    plugins: dict[str, Plugin] = field(default_factory=dict)
    # Functions that turn a bearer token into a user (the auth plugin adds one).
    token_loaders: list[Callable[[str], Any]] = field(default_factory=list)
    periodic_jobs: list[PeriodicJob] = field(default_factory=list)
    # Jobs declared with @job, by name (lms.tasks registers them as plugins load).
    jobs: dict[str, JobSpec] = field(default_factory=dict)
    # Registries that plugins expose to each other by name ("lessons.types").
    registries: dict[str, Any] = field(default_factory=dict)
    # Signal receivers connected by this app's plugins, to disconnect on teardown.
    receivers: list[tuple[Any, Callable[..., Any]]] = field(default_factory=list)
    # lms.cache: {key: (value, expires_at)}.
    cache: dict[str, tuple[Any, float]] = field(default_factory=dict)
    # The Redis cache version the cache above belongs to, and when to look again.
    cache_version: int | None = None
    cache_next_check: float = 0.0
    redis: redis.Redis | None = None
    storage: Any = None
    # lms.i18n.Catalogues: the merged translations, built once per language.
    catalogues: Any = None


def lms_state(app: Flask | None = None) -> LmsState:
    """Return the core state of `app` (default: the current app)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions["lms"]
