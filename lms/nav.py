"""Menus built from the nav items plugins contribute.

Menus by name: "main" (top bar), "user" (account menu), "admin" (admin pages)
and "footer". Each item says who may see it, by permission (`permission=`,
so a role granted the page also gets its menu entry) or by a function of the
user (`visible=`: signed in, signed out); the core filters per request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import request, url_for

MENUS = ("main", "user", "admin", "footer")


@dataclass
class NavItem:
    label: str
    endpoint: str
    order: int = 50
    url_values: dict[str, Any] = field(default_factory=dict)
    # Only people holding this permission (lms.permissions) see the item.
    permission: str | None = None
    # Called with the current user; None means everyone sees it.
    visible: Callable[[Any], bool] | None = None
    # Admin pages: one line saying what the page is for, and how many things
    # wait there for a decision (called only where the count is shown).
    description: str = ""
    # The page a person lands on after signing in (the first visible one wins).
    landing: bool = False
    pending: Callable[[], int] | None = None

    @property
    def url(self) -> str:
        return url_for(self.endpoint, **self.url_values)

    @property
    def is_current(self) -> bool:
        return request.endpoint == self.endpoint

    def is_visible_to(self, user: Any) -> bool:
        if self.permission is not None:
            from lms.permissions import has_permission

            if not has_permission(self.permission, user):
                return False
        return self.visible is None or bool(self.visible(user))


def signed_in(user: Any) -> bool:
    return bool(user.is_authenticated)


def signed_out(user: Any) -> bool:
    return not user.is_authenticated


def instructors(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_instructor)


class NavRegistry:
    def __init__(self) -> None:
        self._menus: dict[str, list[NavItem]] = defaultdict(list)

    def add(self, menu: str, item: NavItem) -> None:
        if menu not in MENUS:
            raise ValueError(f"unknown menu {menu!r}; menus are {', '.join(MENUS)}")
        self._menus[menu].append(item)
        self._menus[menu].sort(key=lambda i: (i.order, i.label))

    def check_permissions(self, known: set[str]) -> None:
        """Raise ValueError for an item that asks for a permission nobody declared."""
        for menu, items in self._menus.items():
            for item in items:
                if item.permission is not None and item.permission not in known:
                    raise ValueError(
                        f"menu item {item.label!r} ({menu}) asks for the unknown permission "
                        f"{item.permission!r}"
                    )

    def items(self, menu: str, user: Any) -> list[NavItem]:
        return [i for i in self._menus.get(menu, []) if i.is_visible_to(user)]


def landing_url(user: Any) -> str:
    """Return where `user` lands after signing in: a plugin's landing page, else the home page."""
    from lms.state import lms_state

    for item in lms_state().nav.items("user", user):
        if item.landing:
            return item.url
    return url_for("core.home")
