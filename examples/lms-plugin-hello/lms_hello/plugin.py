"""The contract: one Plugin subclass the entry point names."""

from typing import Any

import click
from flask import Blueprint, flash, redirect, render_template, url_for
from flask.cli import AppGroup
from werkzeug.wrappers import Response

from lms.extensions import db
from lms.i18n import _, _l
from lms.nav import NavItem
from lms.permissions import has_permission, permission_required
from lms.plugins import Plugin
from lms.signals import user_registered
from lms.tasks import enqueue
from lms_hello import services

bp = Blueprint("hello", __name__, url_prefix="/hello", template_folder="templates")

#: Named "<plugin>.<action>"; granted to instructors here, admins hold every permission.
RESET = "hello.reset"


@bp.route("/")
def index() -> str:
    return render_template(
        "hello/index.html",
        new_users=services.counter(services.NEW_USERS),
        can_reset=has_permission(RESET),
    )


@bp.route("/reset", methods=["POST"])
@permission_required(RESET)
def reset() -> Response:
    """Set the counter back to zero (the form carries the CSRF token; the core checks it)."""
    services.reset(services.NEW_USERS)
    db.session.commit()
    flash(_("The counter starts again from zero."), "success")
    return redirect(url_for("hello.index"))


def _count_new_user(user: Any, **_kwargs: Any) -> None:
    services.increment(services.NEW_USERS)
    # Runs in the worker once the registration commits (never if it rolls back).
    enqueue("lms_hello.tasks.welcome", user.id, user_id=user.id)


class HelloPlugin(Plugin):
    """Hello

    An example plugin: a page, a menu entry, a box on the home page, a counter
    of new users kept by a signal receiver, a welcome job, a permission and an
    API endpoint.
    """

    label = _l("Hello")
    permissions = {RESET: (_l("Reset the hello plugin's counter"), ("instructor",))}

    def init(self) -> None:
        self.connect(user_registered, _count_new_user)
        self.template_hook("home", lambda **_ctx: render_template("hello/_home_box.html"))

    def get_blueprints(self) -> list[Blueprint]:
        return [bp]

    def get_api_blueprints(self) -> list[Any]:
        from lms_hello.api import blp

        return [blp]

    def get_nav_items(self, menu: str) -> list[NavItem]:
        return [NavItem(_l("Hello"), "hello.index", order=90)] if menu == "main" else []

    def get_cli(self) -> click.Group:
        group = AppGroup(help="The example plugin's commands.")

        @group.command("count")
        def count() -> None:
            """Print how many users registered since the plugin was installed."""
            click.echo(services.counter(services.NEW_USERS))

        return group
