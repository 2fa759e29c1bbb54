"""create_app(): the one place where the application is wired, step by step.

No database query, network call or migration happens here: start-up stays
fast and never races another process. Migrations are `flask lms upgrade`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import socketio as socketio_server
from flask import Flask, g, request, url_for
from flask_login import current_user
from flask_socketio import SocketIO

import lms
from lms import db as db_tuning
from lms.config import (
    PROJECT_ROOT,
    database_url,
    ensure_secret_key,
    load_config,
    resolve_instance_path,
)
from lms.extensions import csrf, db, get_socketio, limiter, login_manager, migrate
from lms.hooks import TemplateHooks
from lms.i18n import _l
from lms.nav import MENUS, NavItem, NavRegistry
from lms.permissions import PermissionRegistry
from lms.plugins import Plugin, load_plugins
from lms.redis_store import redis_url_for
from lms.state import LmsState, lms_state
from lms.urls import configure_site

log = logging.getLogger(__name__)


def create_app(
    config: dict[str, Any] | None = None, plugin_entry_points: Iterable[EntryPoint] | None = None
) -> Flask:
    """Build the app. `plugin_entry_points` replaces discovery (the loader's tests use it)."""
    app = Flask(
        "lms", root_path=str(PROJECT_ROOT), template_folder="templates", static_folder="static"
    )
    configure(app, config)
    init_inputs(app)
    init_state(app)
    init_database(app)
    init_extensions(app)
    init_proxies(app)
    plugins = load_plugins(app, plugin_entry_points)
    init_plugins(app, plugins)
    register_core(app)
    init_jobs(app)
    init_templates(app)
    from lms.signals import plugins_loaded

    plugins_loaded.send(app)
    return app


def configure(app: Flask, overrides: dict[str, Any] | None) -> None:
    load_config(app.config, overrides)
    configure_site(app.config)
    instance = resolve_instance_path(app.config)
    app.instance_path = str(instance)
    ensure_secret_key(app.config, instance)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config, instance)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = db_tuning.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    app.config["RATELIMIT_STORAGE_URI"] = _limiter_storage_uri(redis_url_for(app))
    app.config["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 1, "socket_timeout": 1}
    logging.basicConfig(
        level=app.config["LMS_LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def _limiter_storage_uri(redis_url: str) -> str:
    # The limits library spells a Unix socket "redis+unix://".
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url


def init_inputs(app: Flask) -> None:
    """Refuse out-of-range ids in paths and hostile JSON bodies before any view runs."""
    from lms.inputs import BoundedIntConverter, LmsRequest, screen_request

    app.request_class = LmsRequest
    app.before_request(screen_request)
    # Before any blueprint: rules bind their converters when they are added.
    app.url_map.converters["int"] = BoundedIntConverter


def init_state(app: Flask) -> None:
    from lms.nav import NavItem
    from lms.permissions import CORE_PERMISSIONS

    state = LmsState(hooks=TemplateHooks(), nav=NavRegistry(), permissions=PermissionRegistry())
    for name, (description, roles) in CORE_PERMISSIONS.items():
        state.permissions.add(name, description, roles)
    state.nav.add(
        "admin",
        NavItem(
            _l("Settings"),
            "core.settings",
            order=95,
            permission="core.manage_settings",
            description=_l("The school's name and every plugin's settings."),
        ),
    )
    app.extensions["lms"] = state


def init_database(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db_tuning.configure_sqlite(db.engine, float(app.config["SQLITE_LOCK_WAIT_SECONDS"]))
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))


def init_extensions(app: Flask) -> None:
    from lms.api import init_api
    from lms.i18n import _l, init_i18n
    from lms.sessions import load_user as load_session_user
    from lms.storage import create_storage

    init_i18n(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # Lazy, and made a plain string in the request's language when flashed.
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.localize_callback = str
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_session_user)
    csrf.init_app(app)
    limiter.init_app(app)
    # Built here because Flask-SocketIO only recognises redis:// URLs, not the
    # unix:// socket of the embedded server.
    manager = socketio_server.RedisManager(
        redis_url_for(app), channel=app.config["SOCKETIO_CHANNEL"]
    )
    SocketIO(
        app,
        client_manager=manager,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        cors_allowed_origins=app.config["SOCKETIO_CORS_ALLOWED_ORIGINS"] or [],
        manage_session=False,
    )
    init_api(app)
    lms_state(app).storage = create_storage(app)


def init_proxies(app: Flask) -> None:
    """Refuse foreign Host names; believe X-Forwarded-* from LMS_PROXY_COUNT proxies only."""
    from lms.security import TrustedHostsMiddleware

    # Wrapped around Socket.IO's middleware too, so its handshakes are checked.
    app.wsgi_app = TrustedHostsMiddleware(app.wsgi_app, app.config["TRUSTED_HOSTS"])  # type: ignore[method-assign]
    count = app.config["LMS_PROXY_COUNT"]
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Outermost: the host check and everything else see the visitor's request.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count
        )


def init_plugins(app: Flask, plugins: list[Plugin]) -> None:
    from lms.api import register_api_blueprint

    state = lms_state(app)
    for plugin in plugins:
        state.plugins[plugin.name] = plugin
        for key, value in plugin.default_config.items():
            app.config.setdefault(key, value)
        from lms.config import apply_environment

        apply_environment(app.config, plugin.default_config)
        for perm, (description, roles) in plugin.permissions.items():
            state.permissions.add(perm, description, roles)
        plugin.init()
        for blueprint in plugin.get_blueprints():
            if blueprint.name != plugin.name and not blueprint.name.startswith(plugin.name + "_"):
                from lms.plugins import PluginLoadError

                raise PluginLoadError(
                    f"plugin {plugin.name!r}: blueprint {blueprint.name!r} "
                    f"must be named {plugin.name!r}"
                )
            app.register_blueprint(blueprint)
        for api_blueprint in plugin.get_api_blueprints():
            register_api_blueprint(app, api_blueprint)
        for menu in MENUS:
            for item in plugin.get_nav_items(menu):
                state.nav.add(menu, item)
        for namespace in plugin.get_socket_namespaces():
            get_socketio(app).on_namespace(namespace)
        state.periodic_jobs.extend(plugin.get_periodic_jobs())
        log.debug("plugin %s %s loaded", plugin.name, plugin.version)
    try:
        state.nav.check_permissions({p.name for p in state.permissions.all()})
    except ValueError as exc:
        from lms.plugins import PluginLoadError

        raise PluginLoadError(str(exc)) from exc


def init_jobs(app: Flask) -> None:
    """Register the declared jobs of the core and each plugin; check the periodic ones."""
    from lms.tasks import CORE_JOB_MODULES, check_periodic_jobs, register_job_module

    state = lms_state(app)
    for module in (*CORE_JOB_MODULES, *app.config["LMS_JOB_MODULES"]):
        register_job_module(app, module)
    for plugin in state.plugins.values():
        register_job_module(app, f"{plugin.package}.tasks", optional=True)
    check_periodic_jobs(app)


def register_core(app: Flask) -> None:
    from lms import language_views, settings_views  # noqa: F401 - routes of the core blueprint
    from lms.cli import register_cli
    from lms.errors import register_error_handlers
    from lms.realtime import CoreNamespace
    from lms.request_body import init_request_body
    from lms.security import add_security_headers
    from lms.views import bp

    app.register_blueprint(bp)
    # One way in to every plugin's admin pages: shown to whoever may see one of them.
    nav = lms_state(app).nav
    nav.add(
        "main",
        NavItem(
            _l("Admin"),
            "core.admin_index",
            order=90,
            visible=lambda u: bool(nav.items("admin", u)),
        ),
    )
    init_request_body(app)
    get_socketio(app).on_namespace(CoreNamespace("/"))
    register_error_handlers(app)
    add_security_headers(app)
    register_cli(app)
    # Last of the app's before_request handlers: the view may now write.
    app.before_request(db_tuning.begin_view_writes)


def init_templates(app: Flask) -> None:
    from lms.security import csp_nonce
    from lms.settings import get_setting

    state = lms_state(app)

    def site_name() -> str:
        try:
            return get_setting("core", "site_name") or app.config["LMS_SITE_NAME"]
        except Exception:  # error pages must render even with the database down
            db.session.rollback()
            return app.config["LMS_SITE_NAME"]

    def nav_items(menu: str) -> list[Any]:
        return state.nav.items(menu, current_user)

    def unread_notifications() -> int:
        from lms.notifications import unread_count

        if not current_user.is_authenticated:
            return 0
        if not hasattr(g, "_unread"):
            g._unread = unread_count(current_user)
        return g._unread

    def setup_needed() -> bool:
        from lms.setup import needs_setup

        if current_user.is_authenticated:
            return False  # someone signed in: the school exists
        if not hasattr(g, "_setup_needed"):
            try:
                g._setup_needed = needs_setup()
            except Exception:  # error pages must render even with the database down
                db.session.rollback()
                g._setup_needed = False
        return g._setup_needed

    def page_url(page: int) -> str:
        """URL of the current page with ?page= replaced (keeps filters and sorting)."""
        args = request.args.to_dict()
        args["page"] = str(page)
        return url_for(request.endpoint or "core.home", **(request.view_args or {}), **args)

    from lms.markup import plain_text, render_markdown
    from lms.urls import external_url, site_url

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["plain_text"] = plain_text
    app.jinja_env.globals.update(
        page_url=page_url,
        template_hook=state.hooks.render,
        nav_items=nav_items,
        site_name=site_name,
        csp_nonce=csp_nonce,
        unread_notifications=unread_notifications,
        setup_needed=setup_needed,
        # Links in mails and other text that leaves the site: from SITE_URL only.
        site_url=site_url,
        external_url=external_url,
        lms_version=lms.__version__,
        plugin_enabled=lambda name: name in state.plugins,
    )
    # Site-wide overrides: a school may drop templates into <instance>/templates.
    from jinja2 import ChoiceLoader, FileSystemLoader

    override = Path(app.instance_path) / "templates"
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(override)), app.jinja_loader])  # type: ignore[list-item]
