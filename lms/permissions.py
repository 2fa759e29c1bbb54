"""Who may do what: permissions, the grants that give them to roles, decorators.

Permissions are named "<plugin>.<action>"; plugins declare them with the roles
that hold them by default. The grants themselves are data (tables
`permissions` and `permission_grants`): `flask lms upgrade` copies each
permission's defaults there once, and from then on a school changes them with
`grant()` / `revoke()` (or `flask lms permissions grant ROLE PERMISSION`)
without touching code. Admins hold every permission.

Ownership questions ("may this instructor edit this course?") belong to the
object itself (`course.can_edit(user)`); views ask through `ensure_can()`,
which answers 403, or 404 where existence must not leak.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_babel import force_locale
from flask_login import current_user
from sqlalchemy import delete, select

from lms.cache import forget_after_commit, remember
from lms.errors import ServiceError
from lms.extensions import db
from lms.i18n import _, _l
from lms.models.permission import PermissionGrant, PermissionRecord
from lms.models.user import Role

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger(__name__)

#: The core's own permissions (plugins declare theirs on their Plugin class).
CORE_PERMISSIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "core.manage_settings": (_l("Change the site's settings"), ()),
}

_GRANTS_KEY = "permissions:grants"


def _english(text: str) -> str:
    """The description as written (a lazy `_l` string), whatever the current language:
    the table keeps the source text; pages translate the registry's lazy one."""
    with force_locale("en"):
        return str(text)


@dataclass(frozen=True)
class Permission:
    name: str
    description: str
    #: The roles that hold it until a school changes its grants.
    default_roles: frozenset[Role]


class GrantError(ServiceError):
    """A refused grant or revoke (unknown permission or role)."""


class PermissionRegistry:
    """The permissions this app's core and plugins declare (their defaults, not the grants)."""

    def __init__(self) -> None:
        self._perms: dict[str, Permission] = {}

    def add(self, name: str, description: str, roles: Iterable[str | Role]) -> None:
        if name in self._perms:
            raise ValueError(f"permission {name!r} is registered twice")
        self._perms[name] = Permission(name, description, frozenset(Role(r) for r in roles))

    def get(self, name: str) -> Permission:
        try:
            return self._perms[name]
        except KeyError:
            raise KeyError(f"unknown permission {name!r}") from None

    def all(self) -> list[Permission]:
        return sorted(self._perms.values(), key=lambda p: p.name)

    def allows(self, user: Any, name: str) -> bool:
        permission = self.get(name)
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        if user.role == Role.ADMIN:
            return True
        granted = _grants().get(name)
        roles = permission.default_roles if granted is None else granted
        return Role(user.role) in roles


def _load_grants() -> dict[str, frozenset[Role]]:
    """Read every seeded permission's roles (one small table, one query)."""
    grants: dict[str, set[Role]] = {}
    rows = db.session.execute(
        select(PermissionRecord.name, PermissionGrant.role).outerjoin(
            PermissionGrant, PermissionGrant.permission == PermissionRecord.name
        )
    )
    for permission, role in rows:
        roles = grants.setdefault(permission, set())
        if role in Role._value2member_map_:
            roles.add(Role(role))
    return {name: frozenset(roles) for name, roles in grants.items()}


def _grants() -> dict[str, frozenset[Role]]:
    # Every menu and many views ask: kept per process, dropped everywhere on change (lms.cache).
    return remember(_GRANTS_KEY, current_app.config["LMS_CACHE_SECONDS"], _load_grants)


def has_permission(name: str, user: Any = None) -> bool:
    """Return whether `user` (default: the current user) holds permission `name`."""
    from lms.state import lms_state

    return lms_state().permissions.allows(current_user if user is None else user, name)


def granted_roles(name: str) -> frozenset[Role]:
    """Return the roles holding `name` now (admins hold everything and are not listed)."""
    from lms.state import lms_state

    permission = lms_state().permissions.get(name)
    granted = _grants().get(name)
    return permission.default_roles if granted is None else granted


def seed_permissions() -> list[str]:
    """Copy the default grants of permissions not yet in the database; return their names.

    A seeded permission is never seeded again, so a grant a school revoked
    stays revoked after the next upgrade. The caller commits.
    """
    from lms.state import lms_state

    known = {r.name: r for r in db.session.scalars(select(PermissionRecord))}
    new = []
    for permission in lms_state().permissions.all():
        record = known.get(permission.name)
        if record is not None:
            record.description = _english(permission.description)[:300]
            continue
        db.session.add(
            PermissionRecord(
                name=permission.name, description=_english(permission.description)[:300]
            )
        )
        new.append(permission)
    db.session.flush()  # the grants' foreign keys need the permissions first
    for permission in new:
        for role in sorted(permission.default_roles - {Role.ADMIN}):
            db.session.add(PermissionGrant(permission=permission.name, role=role.value))
    db.session.flush()
    seeded = [permission.name for permission in new]
    if seeded:
        forget_after_commit(_GRANTS_KEY)
    return seeded


def _checked(role: str | Role, name: str) -> tuple[Role, str]:
    from lms.state import lms_state

    try:
        lms_state().permissions.get(name)
    except KeyError:
        raise GrantError(
            _("There is no permission called %(name)s.", name=repr(name)),
            code="not_found",
            status=404,
            fields={"permission": [_("Unknown permission.")]},
        ) from None
    try:
        checked = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise GrantError(
            _("There is no role called %(role)s (roles: %(roles)s).", role=repr(role), roles=roles),
            code="validation_error",
            status=422,
            fields={"role": [_("Must be one of: %(values)s.", values=roles)]},
        ) from None
    if checked == Role.ADMIN:
        raise GrantError(
            _("Admins hold every permission; there is nothing to grant or revoke."),
            code="validation_error",
            status=422,
            fields={"role": [_("Admins hold every permission.")]},
        )
    return checked, name


def grant(role: str | Role, name: str) -> bool:
    """Give permission `name` to everyone with `role`; return False if they held it.

    Every process sees the change within a second or two of the commit
    (lms.cache). The caller commits.
    """
    checked, name = _checked(role, name)
    seed_permissions()
    exists = db.session.scalar(
        select(PermissionGrant.id).where(
            PermissionGrant.permission == name, PermissionGrant.role == checked.value
        )
    )
    if exists is not None:
        return False
    db.session.add(PermissionGrant(permission=name, role=checked.value))
    db.session.flush()
    forget_after_commit(_GRANTS_KEY)
    log.info("permission %s granted to role %s", name, checked.value)
    return True


def revoke(role: str | Role, name: str) -> bool:
    """Take permission `name` from `role`; return False if it did not hold it (caller commits)."""
    checked, name = _checked(role, name)
    seed_permissions()
    result = db.session.execute(
        delete(PermissionGrant).where(
            PermissionGrant.permission == name, PermissionGrant.role == checked.value
        )
    )
    db.session.flush()
    forget_after_commit(_GRANTS_KEY)
    changed = bool(getattr(result, "rowcount", 0))
    if changed:
        log.info("permission %s revoked from role %s", name, checked.value)
    return changed


def wants_json() -> bool:
    """True for API calls: they get JSON errors, never an HTML login page."""
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _refuse_anonymous() -> None:
    from lms.extensions import login_manager

    if wants_json():
        abort(401)
    # Redirects to the login page with ?next=, like @login_required.
    abort(login_manager.unauthorized())


def _declare_refusals(wrapper: Any, view: Any, *statuses: int) -> None:
    # Read by lms.api to document the answers; the union keeps stacked decorators' ones.
    wrapper.refuses = frozenset(getattr(view, "refuses", ())) | set(statuses)


def login_required(view: F) -> F:
    """Like Flask-Login's, but API requests get a JSON 401 instead of a redirect.

    Like every decorator here, it checks before the decorators below it run:
    put it above ``@blp.arguments`` so the caller is known before the body is read.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            _refuse_anonymous()
        return view(*args, **kwargs)

    _declare_refusals(wrapper, view, 401)
    return wrapper  # type: ignore[return-value]


def permission_required(name: str, message: str | None = None) -> Callable[[F], F]:
    """Refuse with 401 (anonymous) or 403 (saying `message`) unless the user holds `name`."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                _refuse_anonymous()
            if not has_permission(name):
                abort(403, message)
            return view(*args, **kwargs)

        _declare_refusals(wrapper, view, 401, 403)
        return wrapper  # type: ignore[return-value]

    return decorator


def role_required(*roles: str | Role, message: str | None = None) -> Callable[[F], F]:
    """Refuse unless the user has one of `roles` (admins always pass); 403 says `message`."""
    allowed = {Role(r) for r in roles} | {Role.ADMIN}

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                _refuse_anonymous()
            if current_user.role not in allowed:
                abort(403, message)
            return view(*args, **kwargs)

        _declare_refusals(wrapper, view, 401, 403)
        return wrapper  # type: ignore[return-value]

    return decorator


admin_required = role_required(Role.ADMIN)


def check_first(check: Callable[..., Any]) -> Callable[[F], F]:
    """Run ``check(**path_args)`` before the view and the decorators below this one.

    For object checks ("may this user edit this course?") on views that take a
    body: the check refuses (401, 403 or 404) before the body is validated.
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            check(**kwargs)
            return view(*args, **kwargs)

        _declare_refusals(wrapper, view, 401, 403, 404)
        return wrapper  # type: ignore[return-value]

    return decorator


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
