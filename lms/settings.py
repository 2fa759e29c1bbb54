"""Site settings an admin changes at run time: typed declarations, stored per namespace.

The core and each plugin declare their settings with a type, a default, a
range or choices and a description (`SettingSpec`); values are checked on
every write. Stored values live in the `settings` table; every process keeps
them in its cache (lms.cache), and a committed change reaches all of them
within LMS_CACHE_CHECK_SECONDS.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import available_timezones

from flask import current_app, g, has_request_context
from sqlalchemy import select

from lms.cache import forget_after_commit, remember
from lms.errors import ServiceError
from lms.extensions import db
from lms.i18n import LANGUAGES, _, _l, language_name
from lms.models.setting import Setting
from lms.state import lms_state

log = logging.getLogger(__name__)

_TYPES = (bool, int, float, str)


@dataclass(frozen=True)
class SettingSpec:
    """The declaration of one setting: its type, default and the values it accepts.

    ``SettingSpec(int, 90, min=50, max=100, description="...")``; `choices`
    limits a value to a list (of values, or of ``(value, label)`` pairs);
    `internal` settings are kept by code and left off the settings form.
    """

    type: type
    default: Any
    description: str = ""
    label: str = ""
    min: float | None = None
    max: float | None = None
    choices: Sequence[Any] | None = None
    max_length: int = 500
    internal: bool = False

    def __post_init__(self) -> None:
        if self.type not in _TYPES:
            raise TypeError(f"setting type must be one of bool, int, float, str, not {self.type!r}")
        try:
            self.clean(self.default)
        except SettingsError as exc:
            raise ValueError(f"default {self.default!r} is not valid: {exc.message}") from None

    @property
    def choice_values(self) -> list[Any] | None:
        if self.choices is None:
            return None
        return [c[0] if isinstance(c, tuple) else c for c in self.choices]

    def clean(self, value: Any) -> Any:
        """Return `value` if this setting accepts it; raise SettingsError saying why not."""
        kind = self.type
        if kind is bool:
            if not isinstance(value, bool):
                raise SettingsError(_("Must be true or false."))
        elif kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise SettingsError(_("Must be a whole number."))
        elif kind is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SettingsError(_("Must be a number."))
            if not math.isfinite(value):
                raise SettingsError(_("Must be a finite number."))
            value = float(value)
        elif not isinstance(value, str):
            raise SettingsError(_("Must be text."))
        elif len(value) > self.max_length:
            raise SettingsError(_("Must be at most %(num)d characters.", num=self.max_length))
        if kind in (int, float):
            if self.min is not None and value < self.min:
                raise SettingsError(_range_message(self))
            if self.max is not None and value > self.max:
                raise SettingsError(_range_message(self))
        allowed = self.choice_values
        if allowed is not None and value not in allowed:
            raise SettingsError(
                _("Must be one of: %(values)s.", values=", ".join(str(v) for v in allowed))
            )
        return value


def _range_message(spec: SettingSpec) -> str:
    def fmt(n: float) -> str:
        return str(int(n)) if spec.type is int else f"{n:g}"

    if spec.min is not None and spec.max is not None:
        return _("Must be between %(min)s and %(max)s.", min=fmt(spec.min), max=fmt(spec.max))
    if spec.min is not None:
        return _("Must be at least %(min)s.", min=fmt(spec.min))
    return _("Must be at most %(max)s.", max=fmt(spec.max))  # type: ignore[arg-type]


class SettingsError(ServiceError):
    """A refused setting value (or an unknown setting)."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("code", "validation_error")
        kwargs.setdefault("status", 422)
        super().__init__(message, **kwargs)


CORE_SETTINGS: dict[str, SettingSpec] = {
    "site_name": SettingSpec(
        str,
        "",
        label=_l("School name"),
        description=_l(
            "Shown in the header, mails and certificates (empty: the configured %(name)s).",
            name="LMS_SITE_NAME",
        ),
        max_length=120,
    ),
    "default_language": SettingSpec(
        str,
        "en",
        label=_l("Default language"),
        description=_l(
            "For visitors whose browser asks for none of the site's languages, and for mails "
            "to people who have not chosen one."
        ),
        choices=[(code, language_name(code)) for code in LANGUAGES],
    ),
    "timezone": SettingSpec(
        str,
        "UTC",
        label=_l("School time zone"),
        description=_l("Times are shown in it to people who have not chosen their own."),
        choices=sorted(available_timezones()),
    ),
    "setup_done": SettingSpec(bool, False, internal=True),
}


def declared_settings(namespace: str) -> Mapping[str, SettingSpec]:
    """Return the settings `namespace` ("core" or an enabled plugin) declares."""
    if namespace == "core":
        return CORE_SETTINGS
    plugin = lms_state().plugins.get(namespace)
    return plugin.default_settings if plugin else {}


def settings_namespaces() -> list[str]:
    """Return "core" and every enabled plugin that declares settings an admin may change."""
    names = ["core", *lms_state().plugins]
    return [n for n in names if any(not s.internal for s in declared_settings(n).values())]


def _spec(namespace: str, key: str) -> SettingSpec:
    spec = declared_settings(namespace).get(key)
    if spec is None:
        raise SettingsError(
            _("%(section)s has no setting %(key)s.", section=namespace, key=repr(key)),
            code="not_found",
            status=404,
            fields={key: [_("Unknown setting.")]},
        )
    return spec


def _request_cache() -> dict[tuple[str, str], Any]:
    # One page reads the school's name several times: once per request is enough.
    if not has_request_context():
        return {}
    if not hasattr(g, "_lms_settings"):
        g._lms_settings = {}
    return g._lms_settings  # type: ignore[no-any-return]


def get_setting(namespace: str, key: str) -> Any:
    """Return a setting's stored value, or its declared default."""
    spec = _spec(namespace, key)
    cache = _request_cache()
    if (namespace, key) not in cache:
        stored = remember(
            _cache_key(namespace),
            current_app.config["LMS_CACHE_SECONDS"],
            lambda: _load(namespace),
        )
        value = spec.default
        if key in stored:
            try:
                value = spec.clean(stored[key])
            except SettingsError:
                # A value stored before its declaration changed: the default is safe.
                log.warning(
                    "setting %s.%s holds an invalid value; using its default", namespace, key
                )
        cache[(namespace, key)] = value
    return cache[(namespace, key)]


def _cache_key(namespace: str) -> str:
    return f"settings:{namespace}"


def _load(namespace: str) -> dict[str, Any]:
    rows = db.session.execute(
        select(Setting.key, Setting.value).where(Setting.namespace == namespace)
    )
    return {key: value for key, value in rows}


def set_setting(namespace: str, key: str, value: Any) -> Any:
    """Check and store a setting; return the stored value. The caller commits.

    Raises SettingsError (422, with the field's message) for a value the
    declaration refuses, 404 for an unknown setting; nothing is changed then.
    """
    spec = _spec(namespace, key)
    try:
        value = spec.clean(value)
    except SettingsError as exc:
        raise SettingsError(
            _("%(label)s: %(message)s", label=spec.label or key, message=exc.message),
            fields={key: [exc.message]},
        ) from None
    row = db.session.scalar(
        select(Setting).where(Setting.namespace == namespace, Setting.key == key)
    )
    if row is None:
        db.session.add(Setting(namespace=namespace, key=key, value=value))
    else:
        row.value = value
    _request_cache()[(namespace, key)] = value
    # Not stored in the process cache: the transaction may still roll back.
    forget_after_commit(_cache_key(namespace))
    db.session.flush()
    return value


def set_settings(namespace: str, values: Mapping[str, Any]) -> None:
    """Check every value, then store them all, or none (SettingsError lists each refusal)."""
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        try:
            _spec(namespace, key).clean(value)
        except SettingsError as exc:
            errors[key] = exc.fields.get(key, [exc.message]) if exc.fields else [exc.message]
    if errors:
        raise SettingsError(_("Some of the values are not valid."), fields=errors)
    for key, value in values.items():
        set_setting(namespace, key, value)
