"""`flask --app wsgi lms ...`: plugins, upgrade, revision, drop-tables, create-admin, worker,
seed-demo, permissions, settings, flush-caches, translations."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from lms.extensions import db
from lms.models.user import User
from lms.state import lms_state


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@with_appcontext
def plugins_command(as_json: bool) -> None:
    """List installed plugins and whether they are enabled."""
    from lms.plugins import discover_entry_points

    loaded = lms_state().plugins
    rows = []
    for ep in sorted(discover_entry_points(), key=lambda e: e.name):
        plugin = loaded.get(ep.name)
        rows.append(
            {
                "name": ep.name,
                "title": plugin.title if plugin else ep.name,
                "version": ep.dist.version if ep.dist else None,
                "distribution": ep.dist.name if ep.dist else None,
                "enabled": plugin is not None,
                "blueprints": [bp.name for bp in plugin.get_blueprints()] if plugin else [],
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No plugins installed.")
    for row in rows:
        state = "enabled" if row["enabled"] else "disabled"
        click.echo(f"{row['name']:<16} {row['version'] or '?':<10} {state:<9} {row['title']}")


@click.command("upgrade")
@with_appcontext
def upgrade_command() -> None:
    """Migrate the database of the core and every enabled plugin."""
    from lms.migrations import upgrade_all

    upgrade_all(current_app, echo=click.echo)
    click.echo("Database is up to date.")


@click.command("revision")
@click.argument("component")
@click.option("-m", "--message", required=True)
@click.option("--empty", is_flag=True, help="Do not autogenerate from the models.")
@with_appcontext
def revision_command(component: str, message: str, empty: bool) -> None:
    """Write a new migration for COMPONENT ("core" or a plugin name)."""
    from lms.migrations import make_revision

    try:
        rev_id = make_revision(current_app, component, message, autogenerate=not empty)
    except KeyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Revision {rev_id} written.")


@click.command("drop-tables")
@click.argument("plugin")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def drop_tables_command(plugin: str, yes: bool) -> None:
    """Drop the tables, version table and settings an uninstalled PLUGIN left behind."""
    from lms.migrations import DropRefused, drop_leftovers, plugin_leftovers

    try:
        leftovers = plugin_leftovers(current_app, plugin)
    except DropRefused as exc:
        raise click.ClickException(str(exc)) from exc
    if not leftovers.tables and not leftovers.settings:
        click.echo(f"Plugin {plugin!r} left nothing in the database.")
        return
    click.echo(f"Plugin {plugin!r} left behind:")
    for name in leftovers.tables:
        click.echo(f"  table {name} ({leftovers.rows[name]} rows)")
    if leftovers.settings:
        click.echo(f"  {leftovers.settings} setting(s)")
    if not yes:
        click.confirm("Drop them for good? This cannot be undone", abort=True)
    try:
        drop_leftovers(current_app, leftovers)
    except DropRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Dropped {len(leftovers.tables)} table(s) of plugin {plugin!r}.")


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default="", help="Display name.")
@with_appcontext
def create_admin_command(email: str, password: str, name: str) -> None:
    """Create an admin account (or make an existing account admin)."""
    from lms.setup import SetupError, create_first_admin

    try:
        user = create_first_admin(email=email, password=password, name=name, via="cli")
    except SetupError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Admin {user.email} is ready.")


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker_command(queues: tuple[str, ...], burst: bool) -> None:
    """Run a background worker (all queues unless some are named)."""
    from lms.worker import run_worker

    run_worker(current_app._get_current_object(), list(queues) or None, burst=burst)  # type: ignore[attr-defined]


@click.command("seed-demo")
@click.option(
    "--into-existing",
    is_flag=True,
    help="Add the demo school to a site that already has its own admin or users.",
)
@with_appcontext
def seed_demo_command(into_existing: bool) -> None:
    """Fill an empty site with a believable demo school, and say what was created."""
    # A school's own accounts are anything not on the demo domain: mixing made-up
    # courses and students into a real school must be asked for explicitly.
    own_users = db.session.scalar(
        select(func.count()).select_from(User).where(~User.email.endswith("@demo.school"))
    )
    if own_users and not into_existing:
        raise click.ClickException(
            f"This site already has {own_users} account(s) of its own; the demo school would "
            "be mixed into it. Use a fresh instance (LMS_INSTANCE_PATH=...) or pass "
            "--into-existing to add it anyway."
        )
    from lms.setup import admin_exists, create_first_admin

    if not admin_exists():
        create_first_admin(
            email=DEMO_ADMIN,
            password=DEMO_PASSWORD,
            name="Demo Admin",
            site_name="Demo School",
            via="cli",
        )
        db.session.commit()
        click.echo(f"Admin account {DEMO_ADMIN} created.")
    for plugin in lms_state().plugins.values():
        plugin.seed_demo(click.echo)
        db.session.commit()
    click.echo(
        f"Demo data is ready. Sign in as {DEMO_ADMIN}, or as any demo teacher or "
        f"student@demo.school, with the password {DEMO_PASSWORD!r}."
    )


@click.group("permissions")
def permissions_group() -> None:
    """List, grant and revoke permissions (admins hold every one)."""


@permissions_group.command("list")
@with_appcontext
def permissions_list_command() -> None:
    """Print each permission with the roles holding it."""
    from lms.permissions import granted_roles

    for permission in lms_state().permissions.all():
        roles = ", ".join(sorted(r.value for r in granted_roles(permission.name))) or "-"
        click.echo(f"{permission.name:<32} {roles:<24} {permission.description}")


def _change_grant(change: Any, role: str, permission: str, done: str, unchanged: str) -> None:
    from lms.errors import ServiceError

    try:
        changed = change(role, permission)
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(done if changed else unchanged)


@permissions_group.command("grant")
@click.argument("role")
@click.argument("permission")
@with_appcontext
def permissions_grant_command(role: str, permission: str) -> None:
    """Give PERMISSION to every user with ROLE (student, instructor)."""
    from lms.permissions import grant

    _change_grant(
        grant,
        role,
        permission,
        f"{role} now holds {permission}.",
        f"{role} already held {permission}.",
    )


@permissions_group.command("revoke")
@click.argument("role")
@click.argument("permission")
@with_appcontext
def permissions_revoke_command(role: str, permission: str) -> None:
    """Take PERMISSION from ROLE."""
    from lms.permissions import revoke

    _change_grant(
        revoke,
        role,
        permission,
        f"{role} no longer holds {permission}.",
        f"{role} did not hold {permission}.",
    )


@click.group("settings")
def settings_group() -> None:
    """Read and change site settings (the same checks as the settings page)."""


@settings_group.command("list")
@with_appcontext
def settings_list_command() -> None:
    """Print every declared setting with its value."""
    from lms.settings import declared_settings, get_setting

    for namespace in ["core", *lms_state().plugins]:
        for key, spec in declared_settings(namespace).items():
            value = json.dumps(get_setting(namespace, key))
            click.echo(f"{namespace}.{key:<24} {value:<16} {spec.description}")


@settings_group.command("set")
@click.argument("name")
@click.argument("value")
@with_appcontext
def settings_set_command(name: str, value: str) -> None:
    """Set NAME ("<namespace>.<key>") to VALUE (JSON: 80, true, "text"; bare words are text)."""
    from lms.settings import SettingsError, set_setting

    namespace, _, key = name.partition(".")
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    try:
        stored = set_setting(namespace, key, parsed)
    except SettingsError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"{name} = {json.dumps(stored)}")


@click.command("flush-caches")
@with_appcontext
def flush_caches_command() -> None:
    """Make every web process and worker drop its cached settings and grants."""
    from lms.cache import flush_caches

    flush_caches()
    click.echo("Caches flushed; every process reloads within a few seconds.")


@click.group("translations")
def translations_group() -> None:
    """Keep the message catalogues in step with the code (core and plugins)."""


def _translation_units(names: tuple[str, ...]) -> list[Any]:
    from lms.i18n_tools import core_unit, plugin_unit

    plugins = lms_state().plugins
    unknown = sorted(set(names) - set(plugins) - {"core"})
    if unknown:
        raise click.BadParameter(f"no enabled plugin named {', '.join(unknown)}")
    units = [core_unit()] if not names or "core" in names else []
    units += [
        plugin_unit(name, plugin.root_path)
        for name, plugin in plugins.items()
        if not names or name in names
    ]
    return units


@translations_group.command("update")
@click.argument("names", nargs=-1)
@with_appcontext
def translations_update_command(names: tuple[str, ...]) -> None:
    """Extract the marked strings of the core and plugins (or NAMES) into their catalogues."""
    from lms.i18n_tools import update

    for unit in _translation_units(names):
        for path in update(unit):
            click.echo(f"{unit.name}: {path}")


@translations_group.command("check")
@click.argument("names", nargs=-1)
@with_appcontext
def translations_check_command(names: tuple[str, ...]) -> None:
    """Fail on catalogues out of step, untranslated strings and unmarked text."""
    from lms.i18n_tools import IGNORED_PARTS, problems
    from lms.unmarked_strings import findings

    bad = 0
    for unit in _translation_units(names):
        for line in problems(unit):
            click.echo(f"{unit.name}: {line}")
            bad += 1
        for finding in findings(unit.sources, unit.root, IGNORED_PARTS):
            click.echo(f"{unit.name}: not marked for translation: {finding}")
            bad += 1
    if bad:
        sys.exit(1)
    click.echo("Catalogues are complete and every string is marked.")


DEMO_ADMIN = "admin@demo.school"
DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - documented in the README for the demo school

CORE_COMMANDS = [
    plugins_command,
    upgrade_command,
    revision_command,
    drop_tables_command,
    create_admin_command,
    worker_command,
    seed_demo_command,
    permissions_group,
    settings_group,
    flush_caches_command,
    translations_group,
]


def register_cli(app: Flask) -> None:
    """Give this app its own `lms` group: core commands plus each plugin's group."""
    group = AppGroup("lms", help="Manage the LMS: plugins, database, accounts, worker.")
    for command in CORE_COMMANDS:
        group.add_command(command)
    for plugin in lms_state(app).plugins.values():
        plugin_group = plugin.get_cli()
        if plugin_group is not None:
            group.add_command(plugin_group, plugin.name.replace("_", "-"))
    app.cli.add_command(group)


def main() -> None:  # pragma: no cover - `python -m lms.cli`
    from lms.app import create_app

    app = create_app()
    sys.exit(app.cli.main(prog_name="lms"))
