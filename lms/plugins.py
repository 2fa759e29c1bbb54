"""The plugin contract and the loader that finds plugins through entry points.

A plugin is a pip-installable distribution declaring, in its pyproject.toml::

    [project.entry-points."lms.plugins"]
    hello = "lms_hello.plugin:HelloPlugin"

The entry-point name is the plugin's name, its blueprint's name and the prefix
of its tables (``hello_...``). See README.md "Writing a plugin".
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blinker import Signal
from flask import Blueprint, Flask, current_app, has_app_context
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

import lms
from lms.state import lms_state

if TYPE_CHECKING:
    import click

    from lms.nav import NavItem
    from lms.settings import SettingSpec

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "lms.plugins"
SAFE_MODE_PLUGINS = ("auth",)
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


class PluginLoadError(RuntimeError):
    """A plugin cannot be loaded; start-up stops with this message."""


@dataclass(frozen=True)
class PeriodicJob:
    """A declared job (its name or function) the workers enqueue every `every` seconds.

    It runs on the queue its @job declares; a job nobody declares stops start-up.
    """

    name: str
    func: str | Callable[..., Any]
    every: int


class Plugin:
    """Base class of every plugin. Subclass it; the docstring's first line is the title."""

    #: Plugins that must be enabled for this one to work.
    requires: Sequence[str] = ()
    #: Plugins this one works with when present (loaded first if enabled).
    uses: Sequence[str] = ()
    #: Core versions this plugin supports (PEP 440 specifier).
    core_version: str = ">=0.1,<1.0"
    #: Permissions it defines: {"<name>.<action>": (description, roles granted)}.
    permissions: dict[str, tuple[str, Sequence[str]]] = {}
    #: Site settings an admin can change: {"key": lms.settings.SettingSpec(...)}.
    default_settings: dict[str, SettingSpec] = {}
    #: Configuration keys (overridable by environment variables of the same name).
    default_config: dict[str, Any] = {}
    #: Its name for people, translated (``_l("Catalog")``): the heading of its part of
    #: the settings page. None: the docstring's title (English, for developers).
    label: Any = None

    def __init__(self, name: str, app: Flask, entry_point: EntryPoint | None = None) -> None:
        self.name = name
        self.app = app
        self.entry_point = entry_point

    # --- identity --------------------------------------------------------
    @property
    def title(self) -> str:
        doc = inspect.getdoc(type(self)) or self.name
        return doc.splitlines()[0].strip().rstrip(".")

    @property
    def description(self) -> str:
        doc = inspect.getdoc(type(self)) or ""
        return "\n".join(doc.splitlines()[1:]).strip()

    @property
    def distribution(self) -> str | None:
        dist = getattr(self.entry_point, "dist", None)
        return dist.name if dist else None

    @property
    def version(self) -> str:
        dist = getattr(self.entry_point, "dist", None)
        return dist.version if dist else "0"

    @property
    def package(self) -> str:
        return type(self).__module__.rsplit(".", 1)[0]

    @property
    def root_path(self) -> Path:
        """The plugin package's folder (where plugin.py lives)."""
        return Path(inspect.getfile(type(self))).resolve().parent

    @property
    def migrations_path(self) -> Path | None:
        path = self.root_path / "migrations"
        return path if (path / "env.py").exists() else None

    # --- what the plugin contributes (override as needed) ------------------
    def init(self) -> None:
        """Connect signals, template hooks and registry entries."""

    def get_blueprints(self) -> list[Blueprint]:
        """Return the plugin's web blueprints; the first is named like the plugin."""
        return []

    def get_api_blueprints(self) -> list[Any]:
        """Return flask-smorest Blueprints mounted under /api/v1 and documented."""
        return []

    def get_nav_items(self, menu: str) -> list[NavItem]:
        """Return the items this plugin adds to the named menu."""
        return []

    def get_cli(self) -> click.Group | None:
        """Return a click group, available as `flask lms <plugin-name> ...`."""
        return None

    def get_socket_namespaces(self) -> list[Any]:
        """Return Flask-SocketIO Namespace instances (use lms.realtime.AuthenticatedNamespace)."""
        return []

    def get_periodic_jobs(self) -> list[PeriodicJob]:
        return []

    def seed_demo(self, echo: Callable[[str], Any]) -> None:
        """Add this plugin's part of the demo school (`flask lms seed-demo`)."""

    # --- helpers for init() ----------------------------------------------------
    def connect(self, signal: Signal, receiver: Callable[..., Any], sender: Any = None) -> None:
        """Connect `receiver` to `signal` for this app only."""
        app = self.app

        def scoped(sender_: Any, **kwargs: Any) -> Any:
            # Blinker signals are process-wide; fire only inside our own app
            # so that apps built side by side (tests) do not hear each other.
            if has_app_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
                return receiver(sender_, **kwargs)
            return None

        kwargs = {} if sender is None else {"sender": sender}
        signal.connect(scoped, weak=False, **kwargs)
        lms_state(app).receivers.append((signal, scoped))

    def template_hook(self, name: str, func: Callable[..., str | None], priority: int = 50) -> None:
        lms_state(self.app).hooks.add(name, func, plugin=self.name, priority=priority)

    def setting(self, key: str) -> Any:
        from lms.settings import get_setting

        return get_setting(self.name, key)


# --- the loader ---------------------------------------------------------------


def discover_entry_points() -> list[EntryPoint]:
    return list(entry_points(group=ENTRY_POINT_GROUP))


def enabled_names(spec: str | Iterable[str], installed: Iterable[str]) -> list[str]:
    """Turn the LMS_PLUGINS setting into the list of plugin names to load."""
    installed = list(installed)
    if isinstance(spec, str):
        value = spec.strip().lower()
        if value in ("", "all"):
            return installed
        if value == "safe":
            return [n for n in installed if n in SAFE_MODE_PLUGINS]
        names = [n.strip() for n in value.split(",") if n.strip()]
    else:
        names = list(spec)
    missing = [n for n in names if n not in installed]
    if missing:
        raise PluginLoadError(
            f"LMS_PLUGINS names {', '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed "
            f"(installed: {', '.join(installed) or 'none'})"
        )
    return names


def _check_unique(eps: Iterable[EntryPoint]) -> dict[str, EntryPoint]:
    by_name: dict[str, EntryPoint] = {}
    for ep in eps:
        if ep.name in by_name:
            first = getattr(by_name[ep.name].dist, "name", by_name[ep.name].value)
            second = getattr(ep.dist, "name", ep.value)
            raise PluginLoadError(
                f"two installed plugins are named {ep.name!r} ({first} and {second}); "
                "uninstall one of them"
            )
        if not _NAME_RE.match(ep.name):
            raise PluginLoadError(
                f"plugin name {ep.name!r} is invalid: use lower-case letters, digits "
                "and underscores (it becomes a table prefix)"
            )
        by_name[ep.name] = ep
    return by_name


def _load_class(name: str, ep: EntryPoint) -> type[Plugin]:
    try:
        cls = ep.load()
    except Exception as exc:
        raise PluginLoadError(f"plugin {name!r} failed to load ({ep.value}): {exc}") from exc
    if not (inspect.isclass(cls) and issubclass(cls, Plugin)):
        raise PluginLoadError(f"plugin {name!r}: {ep.value} is not a subclass of lms.Plugin")
    try:
        supported = SpecifierSet(cls.core_version)
    except InvalidSpecifier as exc:
        raise PluginLoadError(f"plugin {name!r}: bad core_version {cls.core_version!r}") from exc
    if Version(lms.__version__) not in supported:
        raise PluginLoadError(
            f"plugin {name!r} supports LMS core {cls.core_version}, "
            f"but this is core {lms.__version__}; install a matching version of the plugin"
        )
    return cls


def _dependency_order(classes: dict[str, type[Plugin]]) -> list[str]:
    """Order plugins so that each comes after what it requires or uses (if enabled)."""
    for name, cls in classes.items():
        for dep in cls.requires:
            if dep not in classes:
                raise PluginLoadError(
                    f"plugin {name!r} requires plugin {dep!r}, which is not "
                    "installed or not enabled"
                )
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = " -> ".join([*path[path.index(name) :], name])
            raise PluginLoadError(f"plugin dependency cycle: {cycle}")
        state[name] = "visiting"
        cls = classes[name]
        for dep in [*cls.requires, *(u for u in cls.uses if u in classes)]:
            visit(dep, [*path, name])
        state[name] = "done"
        order.append(name)

    for name in classes:
        visit(name, [])
    return order


def _import_models(plugin: Plugin) -> None:
    module_name = f"{plugin.package}.models"
    if importlib.util.find_spec(module_name) is None:
        return
    try:
        importlib.import_module(module_name)
    except Exception as exc:
        raise PluginLoadError(
            f"plugin {plugin.name!r}: its models failed to import: {exc}"
        ) from exc


def check_table_prefixes(plugin: Plugin) -> None:
    """Refuse a plugin whose tables do not start with '<name>_'."""
    from lms.extensions import db

    prefix = f"{plugin.name}_"
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        if not cls.__module__.startswith(plugin.package + "."):
            continue
        for table in mapper.tables:
            if not table.name.startswith(prefix):
                raise PluginLoadError(
                    f"plugin {plugin.name!r}: table {table.name!r} of model "
                    f"{cls.__name__} must start with {prefix!r}"
                )


def check_declarations(plugin: Plugin) -> None:
    """Refuse a plugin whose settings are not typed or whose permissions are misnamed."""
    from lms.settings import SettingSpec

    for key, spec in plugin.default_settings.items():
        if not isinstance(spec, SettingSpec):
            raise PluginLoadError(
                f"plugin {plugin.name!r}: setting {key!r} must be declared as "
                f"lms.settings.SettingSpec(type, default, ...), not {spec!r}"
            )
    for name in plugin.permissions:
        if not name.startswith(plugin.name + "."):
            raise PluginLoadError(
                f"plugin {plugin.name!r}: permission {name!r} must be named "
                f"'{plugin.name}.<action>'"
            )


def load_plugins(app: Flask, eps: Iterable[EntryPoint] | None = None) -> list[Plugin]:
    """Find, check and instantiate the enabled plugins, in dependency order."""
    by_name = _check_unique(discover_entry_points() if eps is None else eps)
    names = enabled_names(app.config["LMS_PLUGINS"], by_name)
    classes = {name: _load_class(name, by_name[name]) for name in names}
    plugins = []
    for name in _dependency_order(classes):
        plugin = classes[name](name, app, by_name[name])
        _import_models(plugin)
        check_table_prefixes(plugin)
        check_declarations(plugin)
        plugins.append(plugin)
    return plugins
