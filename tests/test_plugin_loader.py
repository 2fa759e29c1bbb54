"""The plugin loader refuses broken plugins with a message that names them."""

from __future__ import annotations

import textwrap
import uuid
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from lms.app import create_app
from lms.plugins import PluginLoadError
from lms.state import lms_state

GROUP = "lms.plugins"


@pytest.fixture
def make_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write a plugin package to disk and return an EntryPoint for it."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(
        name: str,
        body: str = "",
        models: str | None = None,
        cls: str = "ThePlugin",
        attrs: str = "",
    ) -> EntryPoint:
        package = f"lmsfake_{name}_{uuid.uuid4().hex[:8]}"
        root = tmp_path / package
        root.mkdir()
        (root / "__init__.py").write_text("")
        (root / "plugin.py").write_text(
            textwrap.dedent(f'''
            from flask import Blueprint
            from lms.plugins import Plugin

            class ThePlugin(Plugin):
                """Fake {name}"""
            ''')
            + "".join(f"    {line}\n" for line in attrs.splitlines())
            + textwrap.dedent(body)
        )
        if models is not None:
            (root / "models.py").write_text(textwrap.dedent(models))
        return EntryPoint(name, f"{package}.plugin:{cls}", GROUP)

    return make


def build(test_config: dict[str, Any], eps: list[EntryPoint], **config: Any):
    return create_app({**test_config, **config}, plugin_entry_points=eps)


def test_plugins_load_in_dependency_order(test_config, make_plugin):
    base = make_plugin("base")
    top = make_plugin("top", attrs='requires = ("base",)')
    app = build(test_config, [top, base])
    assert list(lms_state(app).plugins) == ["base", "top"]


def test_missing_module_names_the_plugin(test_config):
    ep = EntryPoint("ghost", "lmsfake_does_not_exist.plugin:Ghost", GROUP)
    with pytest.raises(PluginLoadError, match="plugin 'ghost' failed to load"):
        build(test_config, [ep])


def test_plugin_that_raises_on_import_stops_start_up(test_config, make_plugin):
    ep = make_plugin("broken", "raise RuntimeError('boom at import')\n")
    with pytest.raises(PluginLoadError, match="plugin 'broken' failed to load.*boom at import"):
        build(test_config, [ep])


def test_duplicate_names_are_refused(test_config, make_plugin):
    with pytest.raises(PluginLoadError, match="two installed plugins are named 'twin'"):
        build(test_config, [make_plugin("twin"), make_plugin("twin")])


def test_wrong_table_prefix_is_refused(test_config, make_plugin):
    suffix = uuid.uuid4().hex[:6]
    models = f"""
        from sqlalchemy.orm import Mapped, mapped_column
        from lms.extensions import db

        class Thing(db.Model):
            __tablename__ = "things_{suffix}"
            id: Mapped[int] = mapped_column(primary_key=True)
        """
    ep = make_plugin("shop", models=models)
    with pytest.raises(PluginLoadError, match=f"table 'things_{suffix}'.*must start with 'shop_'"):
        build(test_config, [ep])


def test_dependency_cycle_is_refused(test_config, make_plugin):
    a = make_plugin("alpha", attrs='requires = ("beta",)')
    b = make_plugin("beta", attrs='requires = ("alpha",)')
    with pytest.raises(PluginLoadError, match="dependency cycle: alpha -> beta -> alpha"):
        build(test_config, [a, b])


def test_missing_dependency_is_refused(test_config, make_plugin):
    ep = make_plugin("needy", attrs='requires = ("absent",)')
    with pytest.raises(PluginLoadError, match="'needy' requires plugin 'absent'"):
        build(test_config, [ep])


def test_incompatible_core_version_is_refused(test_config, make_plugin):
    ep = make_plugin("future", attrs='core_version = ">=2.0"')
    with pytest.raises(PluginLoadError, match="'future' supports LMS core >=2.0, but this is core"):
        build(test_config, [ep])


def test_entry_point_that_is_not_a_plugin_is_refused(test_config, make_plugin):
    ep = make_plugin("odd", "class NotAPlugin:\n    pass\n", cls="NotAPlugin")
    with pytest.raises(PluginLoadError, match="not a subclass of lms.Plugin"):
        build(test_config, [ep])


def test_invalid_name_is_refused(test_config, make_plugin):
    with pytest.raises(PluginLoadError, match="plugin name 'Bad-Name' is invalid"):
        build(test_config, [make_plugin("Bad-Name")])


def test_enabled_list_naming_an_uninstalled_plugin_is_refused(test_config, make_plugin):
    with pytest.raises(PluginLoadError, match="LMS_PLUGINS names nope, which is not installed"):
        build(test_config, [make_plugin("real")], LMS_PLUGINS="real,nope")


def test_disabled_plugin_contributes_nothing(app, create_user, test_config, make_plugin):
    create_user(role="admin")  # past the first-start set-up page
    page = """
        bp = Blueprint("page", __name__)

        @bp.route("/page-plugin/")
        def index():
            return "page plugin here"

        ThePlugin.get_blueprints = lambda self: [bp]
        """
    eps = [make_plugin("page", page), make_plugin("other")]
    enabled = build(test_config, eps, LMS_PLUGINS="page,other")
    assert enabled.test_client().get("/page-plugin/").data == b"page plugin here"
    disabled = build(test_config, eps, LMS_PLUGINS="other")
    assert "page" not in lms_state(disabled).plugins
    assert disabled.test_client().get("/page-plugin/").status_code == 404


def test_safe_mode_keeps_only_auth(test_config, make_plugin):
    app = build(test_config, [make_plugin("auth"), make_plugin("extra")], LMS_PLUGINS="safe")
    assert list(lms_state(app).plugins) == ["auth"]


def test_blueprint_must_be_named_like_the_plugin(test_config, make_plugin):
    body = """
        bp = Blueprint("elsewhere", __name__)
        ThePlugin.get_blueprints = lambda self: [bp]
        """
    with pytest.raises(PluginLoadError, match="blueprint 'elsewhere' must be named 'named'"):
        build(test_config, [make_plugin("named", body)])


def test_signal_receivers_fire_only_in_their_own_app(test_config, make_plugin):
    body = """
        from lms.signals import user_registered
        HEARD = []

        def init(self):
            self.connect(user_registered, lambda sender, **kw: HEARD.append(self.app))
        ThePlugin.init = init
        """
    ep = make_plugin("listener", body)
    first = build(test_config, [ep])
    second = build(test_config, [ep])
    module = __import__(ep.value.split(":")[0], fromlist=["HEARD"])
    from lms.signals import user_registered

    with second.app_context():
        user_registered.send(object(), via="test")
    assert [second] == module.HEARD
    assert first is not second
