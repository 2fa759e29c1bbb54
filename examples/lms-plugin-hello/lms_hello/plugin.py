"""The contract: one Plugin subclass the entry point names."""

from typing import Any

import click
from flask import Blueprint, render_template
from flask.cli import AppGroup

from lms.nav import NavItem
from lms.plugins import Plugin
from lms.signals import user_registered
from lms_hello import services

bp = Blueprint("hello", __name__, url_prefix="/hello", template_folder="templates")


@bp.route("/")
def index() -> str:
    return render_template("hello/index.html", new_users=services.counter(services.NEW_USERS))


def _count_new_user(user: Any, **_kwargs: Any) -> None:
    services.increment(services.NEW_USERS)


class HelloPlugin(Plugin):
    """Hello

    An example plugin: a page, a menu entry, a box on the home page and a
    counter of new users kept by a signal receiver.
    """

    def init(self) -> None:
        self.connect(user_registered, _count_new_user)
        self.template_hook("home", lambda **_ctx: render_template("hello/_home_box.html"))

    def get_blueprints(self) -> list[Blueprint]:
        return [bp]

    def get_nav_items(self, menu: str) -> list[NavItem]:
        return [NavItem("Hello", "hello.index", order=90)] if menu == "main" else []

    def get_cli(self) -> click.Group:
        group = AppGroup(help="The example plugin's commands.")

        @group.command("count")
        def count() -> None:
            """Print how many users registered since the plugin was installed."""
            click.echo(services.counter(services.NEW_USERS))

        return group
