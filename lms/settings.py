"""Site settings an admin changes at run time, stored per namespace in the database."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_request_context
from sqlalchemy import select

from lms.cache import forget, remember
from lms.extensions import db
from lms.models.setting import Setting
from lms.state import lms_state

CORE_DEFAULTS: dict[str, Any] = {
    "site_name": None,  # falls back to the LMS_SITE_NAME configuration key
    "setup_done": False,
}


def _defaults(namespace: str) -> dict[str, Any]:
    if namespace == "core":
        return CORE_DEFAULTS
    plugin = lms_state().plugins.get(namespace)
    return plugin.default_settings if plugin else {}


def _cache() -> dict[tuple[str, str], Any]:
    if not has_request_context():
        return {}
    if not hasattr(g, "_lms_settings"):
        g._lms_settings = {}
    return g._lms_settings


def get_setting(namespace: str, key: str) -> Any:
    """Return a setting's stored value, or its declared default.

    Every page reads a few settings (the school's name...), so values are kept
    per process for LMS_SETTINGS_CACHE_SECONDS (lms.cache): other processes see
    a change within that time, this one at once.
    """
    cache = _cache()
    if (namespace, key) not in cache:
        cache[(namespace, key)] = remember(
            _cache_key(namespace, key),
            current_app.config["LMS_SETTINGS_CACHE_SECONDS"],
            lambda: _load(namespace, key),
        )
    return cache[(namespace, key)]


def _cache_key(namespace: str, key: str) -> str:
    return f"setting:{namespace}:{key}"


def _load(namespace: str, key: str) -> Any:
    row = db.session.scalar(
        select(Setting).where(Setting.namespace == namespace, Setting.key == key)
    )
    return row.value if row else _defaults(namespace).get(key)


def set_setting(namespace: str, key: str, value: Any) -> None:
    """Store a setting (the caller commits)."""
    if key not in _defaults(namespace):
        raise KeyError(f"{namespace} has no setting {key!r}")
    row = db.session.scalar(
        select(Setting).where(Setting.namespace == namespace, Setting.key == key)
    )
    if row is None:
        db.session.add(Setting(namespace=namespace, key=key, value=value))
    else:
        row.value = value
    _cache()[(namespace, key)] = value
    # Not stored in the process cache: the transaction may still roll back.
    forget(_cache_key(namespace, key))
    db.session.flush()
