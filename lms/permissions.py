"""Who may do what: a permission registry per app, decorators and object checks.

Permissions are named "<plugin>.<action>" and granted to roles. Admins hold
every permission. Ownership questions ("may this instructor edit this course?")
belong to the object itself (`course.can_edit(user)`); views ask through
`ensure_can()`, which answers 403, or 404 where existence must not leak.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, request
from flask_login import current_user

from lms.models.user import Role

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Permission:
    name: str
    description: str
    roles: frozenset[Role]


class PermissionRegistry:
    def __init__(self) -> None:
        self._perms: dict[str, Permission] = {}

    def add(self, name: str, description: str, roles: Iterable[str | Role]) -> None:
        if name in self._perms:
            raise ValueError(f"permission {name!r} is registered twice")
        self._perms[name] = Permission(name, description, frozenset(Role(r) for r in roles))

    def all(self) -> list[Permission]:
        return sorted(self._perms.values(), key=lambda p: p.name)

    def allows(self, user: Any, name: str) -> bool:
        if name not in self._perms:
            raise KeyError(f"unknown permission {name!r}")
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        return user.role == Role.ADMIN or user.role in self._perms[name].roles


def has_permission(name: str, user: Any = None) -> bool:
    from lms.state import lms_state

    return lms_state().permissions.allows(current_user if user is None else user, name)


def wants_json() -> bool:
    """True for API calls: they get JSON errors, never an HTML login page."""
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _refuse_anonymous() -> None:
    from lms.extensions import login_manager

    if wants_json():
        abort(401)
    # Redirects to the login page with ?next=, like @login_required.
    abort(login_manager.unauthorized())


def login_required(view: F) -> F:
    """Like Flask-Login's, but API requests get a JSON 401 instead of a redirect."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            _refuse_anonymous()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def permission_required(name: str) -> Callable[[F], F]:
    """Refuse with 401 (anonymous) or 403 unless the user holds `name`."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                _refuse_anonymous()
            if not has_permission(name):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def role_required(*roles: str | Role) -> Callable[[F], F]:
    """Refuse unless the user has one of `roles` (admins always pass)."""
    allowed = {Role(r) for r in roles} | {Role.ADMIN}

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                _refuse_anonymous()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


admin_required = role_required(Role.ADMIN)


def ensure_can(obj: Any, action: str, *, hide: bool = False, user: Any = None) -> None:
    """Abort unless `obj.can_<action>(user)` says yes.

    `hide=True` answers 404 instead of 403, for objects whose existence must
    not leak (drafts, other people's private things).
    """
    user = current_user if user is None else user
    check = getattr(obj, f"can_{action}")
    if not check(user):
        if hide:
            abort(404)
        if not user.is_authenticated:
            _refuse_anonymous()
        abort(403)
