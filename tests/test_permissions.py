"""Permission grants are data: a school gives a permission to another role without code."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from lms.extensions import db
from lms.models import PermissionGrant, Role
from lms.permissions import (
    GrantError,
    grant,
    granted_roles,
    has_permission,
    revoke,
    seed_permissions,
)
from lms.state import lms_state


@pytest.fixture
def school(app: Flask) -> None:
    from lms.settings import set_setting

    with app.app_context():
        set_setting("core", "setup_done", True)
        db.session.commit()


@pytest.fixture
def declared_for_students(app: Flask) -> Iterator[str]:
    """A permission whose code default grants it to students (none of the shipped ones does)."""
    registry = lms_state(app).permissions
    registry.add("test.read_notes", "Read the notes", ["student"])
    yield "test.read_notes"
    registry._perms.pop("test.read_notes")


def admin_links(client) -> set[str]:
    """The admin pages this person reaches from the menu: the "Admin" entry, then its index."""
    topbar = client.get("/courses").text.split('<nav class="topbar"', 1)[1].split("</nav>", 1)[0]
    if 'href="/admin"' not in topbar:
        return set()
    index = client.get("/admin")
    assert index.status_code == 200
    return set(re.findall(r'href="(/[^"]*admin[^"]*)"', index.text)) - {"/admin"}


def test_granting_a_permission_gives_the_role_the_page_and_the_menu_entry(
    app, school, make_client, login_as, create_user
) -> None:
    instructor = create_user(role="instructor")
    student = create_user(role="student")
    teacher = login_as(make_client(), instructor)
    pupil = login_as(make_client(), student)

    assert teacher.get("/auth/admin/applications").status_code == 403
    assert admin_links(teacher) == set()

    with app.app_context():
        assert grant("instructor", "auth.review_applications") is True
        db.session.commit()

    assert teacher.get("/auth/admin/applications").status_code == 200
    # The menu entry comes with it, and only that one.
    assert admin_links(teacher) == {"/auth/admin/applications"}
    assert teacher.get("/auth/admin/login-attempts").status_code == 403
    assert pupil.get("/auth/admin/applications").status_code == 403
    assert admin_links(pupil) == set()

    with app.app_context():
        assert revoke("instructor", "auth.review_applications") is True
        db.session.commit()
    assert teacher.get("/auth/admin/applications").status_code == 403
    assert admin_links(teacher) == set()


def test_admins_hold_every_permission_and_see_every_admin_entry(
    app, school, client, login_as, create_user
) -> None:
    login_as(client, create_user(role="admin"))
    assert {
        "/auth/admin/applications",
        "/auth/admin/login-attempts",
        "/admin/catalog/moderation",
        "/admin/catalog/courses",
        "/admin/catalog/categories",
        "/admin/settings",
    } <= admin_links(client)


def test_seeding_copies_defaults_once_so_a_revoked_default_stays_revoked(
    app, declared_for_students
) -> None:
    name = declared_for_students
    with app.app_context():
        # Not seeded yet: the code's default answers.
        assert granted_roles(name) == {Role.STUDENT}
        assert name in seed_permissions()
        db.session.commit()
        rows = db.session.scalars(
            select(PermissionGrant.role).where(PermissionGrant.permission == name)
        ).all()
        assert rows == ["student"]

        revoke("student", name)
        db.session.commit()
        assert seed_permissions() == []  # the next upgrade seeds nothing again
        db.session.commit()
        assert granted_roles(name) == frozenset()


def test_upgrade_seeds_the_default_grants(app, declared_for_students, test_config) -> None:
    from lms.migrations import upgrade_all

    messages: list[str] = []
    with app.app_context():
        upgrade_all(app, echo=messages.append)
        assert any(declared_for_students in m for m in messages)
        assert (
            db.session.scalar(
                select(PermissionGrant.role).where(
                    PermissionGrant.permission == declared_for_students
                )
            )
            == "student"
        )


def test_grant_refuses_unknown_roles_permissions_and_admins_and_changes_nothing(app) -> None:
    with app.app_context():
        with pytest.raises(GrantError) as unknown_permission:
            grant("instructor", "auth.no_such_thing")
        assert unknown_permission.value.status == 404
        with pytest.raises(GrantError) as unknown_role:
            grant("janitor", "auth.review_applications")
        assert unknown_role.value.status == 422 and "student" in unknown_role.value.message
        with pytest.raises(GrantError):
            revoke("admin", "auth.review_applications")
        db.session.rollback()
        assert db.session.scalar(select(PermissionGrant.id)) is None


def test_grant_twice_reports_no_change(app, create_user) -> None:
    instructor = create_user(role="instructor")
    with app.app_context():
        assert grant(Role.INSTRUCTOR, "auth.read_login_log") is True
        db.session.commit()
        assert grant("instructor", "auth.read_login_log") is False
        assert has_permission("auth.read_login_log", instructor)
        assert revoke("student", "auth.read_login_log") is False


def test_cli_grants_and_revokes(app, create_user) -> None:
    instructor = create_user(role="instructor")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["lms", "permissions", "grant", "instructor", "auth.read_login_log"]
    )
    assert result.exit_code == 0, result.output
    assert "instructor now holds auth.read_login_log" in result.output
    with app.app_context():
        assert has_permission("auth.read_login_log", instructor)
    listing = runner.invoke(args=["lms", "permissions", "list"]).output
    assert any(
        line.startswith("auth.read_login_log") and "instructor" in line
        for line in listing.splitlines()
    )
    bad = runner.invoke(args=["lms", "permissions", "grant", "janitor", "auth.read_login_log"])
    assert bad.exit_code != 0 and "no role called 'janitor'" in bad.output
    result = runner.invoke(
        args=["lms", "permissions", "revoke", "instructor", "auth.read_login_log"]
    )
    assert result.exit_code == 0 and "no longer holds" in result.output
    with app.app_context():
        assert not has_permission("auth.read_login_log", instructor)


def test_a_plugin_permission_must_carry_the_plugin_name(app) -> None:
    from lms.plugins import Plugin, PluginLoadError, check_declarations

    class Sloppy(Plugin):
        permissions = {"moderate": ("Moderate", ())}

    with pytest.raises(PluginLoadError, match="must be named 'sloppy.<action>'"):
        check_declarations(Sloppy("sloppy", app))


def test_a_menu_item_asking_for_an_undeclared_permission_stops_start_up() -> None:
    from lms.nav import NavItem, NavRegistry

    nav = NavRegistry()
    nav.add("admin", NavItem("Reports", "reports.index", permission="reports.read"))
    with pytest.raises(ValueError, match="unknown permission 'reports.read'"):
        nav.check_permissions({"core.manage_settings"})
