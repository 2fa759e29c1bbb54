"""The contract: one Plugin subclass the entry point names."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from flask import Blueprint

from lms.i18n import _l
from lms.nav import NavItem, signed_in
from lms.plugins import PeriodicJob, Plugin
from lms_live_classes.settings import SETTINGS

# Modules that add routes to the blueprints when imported. The ones not written yet
# (another engineer's part) are skipped, so that each part loads on its own.
_PAGE_MODULES = ("views", "attendance_views", "room_views")
_API_MODULES = ("room_api",)


def _import_optional(name: str) -> None:
    full = f"lms_live_classes.{name}"
    try:
        importlib.import_module(full)
    except ModuleNotFoundError as exc:
        if exc.name != full:
            raise


class LiveClassesPlugin(Plugin):
    """Live classes

    Scheduled live sessions of a course: exact seats with a waitlist, presence
    and attendance over Socket.IO, reminders, calendars and a video room.
    """

    # The plugin's name on the settings page, in the reader's language.
    label = _l("Live classes")

    requires = ("catalog", "lessons")
    default_settings = SETTINGS

    def init(self) -> None:
        from lms_live_classes.hooks import register_hooks

        register_hooks(self)
        try:
            from lms_live_classes.namespace import connect_signals
        except ModuleNotFoundError as exc:
            if exc.name != "lms_live_classes.namespace":
                raise
        else:
            connect_signals(self)

    def get_blueprints(self) -> list[Blueprint]:
        from lms_live_classes.blueprint import bp

        for name in _PAGE_MODULES:
            _import_optional(name)
        return [bp]

    def get_api_blueprints(self) -> list[Any]:
        from lms_live_classes.api import blp

        for name in _API_MODULES:
            _import_optional(name)
        return [blp]

    def get_nav_items(self, menu: str) -> list[NavItem]:
        if menu == "main":
            return [
                NavItem(_l("My classes"), "live_classes.my_classes", order=35, visible=signed_in)
            ]
        return []

    def get_socket_namespaces(self) -> list[Any]:
        try:
            from lms_live_classes.namespace import namespaces
        except ModuleNotFoundError as exc:
            if exc.name != "lms_live_classes.namespace":
                raise
            return []
        return namespaces()

    def get_periodic_jobs(self) -> list[PeriodicJob]:
        return [
            PeriodicJob(
                "live-classes-auto-end", "lms_live_classes.tasks.auto_end_classes", every=60
            ),
            PeriodicJob(
                "live-classes-reminders", "lms_live_classes.tasks.send_reminders", every=60
            ),
        ]

    def seed_demo(self, echo: Callable[[str], Any]) -> None:
        from lms_live_classes.demo import seed

        seed(echo)
