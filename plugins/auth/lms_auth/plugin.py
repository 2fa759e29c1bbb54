"""The contract: one Plugin subclass the entry point names."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user
from markupsafe import Markup

from lms.i18n import _l
from lms.nav import NavItem, signed_in, signed_out
from lms.plugins import Plugin
from lms.settings import SettingSpec
from lms.state import lms_state
from lms_auth.oauth import OAUTH_CONFIG


def _unverified_banner(**_ctx: Any) -> str | None:
    """Remind signed-in people with an unconfirmed address (not on the auth pages' posts)."""
    if not current_user.is_authenticated or current_user.is_email_verified:
        return None
    # Markup: the hook output is our own rendered template, not text to escape.
    return Markup(  # noqa: S704
        render_template("auth/_unverified_banner.html", next=request.full_path.rstrip("?"))
    )


class AuthPlugin(Plugin):
    """Accounts

    Sign-up, sign-in and sign-out; e-mail verification and password reset by
    mailed links; Google and GitHub sign-in; profiles; API tokens; rate limits
    and a log of sign-in attempts; instructor applications.
    """

    #: The plugin's name for people (Plugin.label, the settings page's heading).
    label = _l("Accounts")

    # Admins hold every permission; a school grants these to other roles with
    # `flask lms permissions grant ROLE PERMISSION` (lms.permissions.grant).
    permissions = {
        "auth.review_applications": (_l("Approve or reject instructor applications"), ()),
        "auth.read_login_log": (_l("Read the sign-in log"), ()),
    }

    default_settings = {
        "intranet_email_domains": SettingSpec(
            str,
            "",
            max_length=500,
            label=_l("Intranet e-mail domains"),
            description=_l(
                "Domains on special-use names (such as school.local or "
                "staff.internal) that your school's addresses use; separate them with commas "
                "or spaces. Other special-use addresses stay refused."
            ),
        ),
    }
    default_config = {
        # Token lifetimes.
        "AUTH_RESET_TOKEN_HOURS": 1,
        "AUTH_VERIFY_TOKEN_HOURS": 72,
        "AUTH_API_TOKEN_DAYS": 30,
        # How long a device stays known after a sign-in on it (see lms_auth.devices).
        "AUTH_DEVICE_DAYS": 365,
        # Rate limits (Flask-Limiter syntax). Sign-in limits count failures only.
        # Per address: a whole school may sit behind one NAT address.
        "AUTH_LOGIN_LIMIT_IP": "100 per minute;1000 per hour",
        # Per account from one address, and per account from all unknown devices.
        "AUTH_LOGIN_LIMIT_ACCOUNT_SOURCE": "5 per minute;20 per hour",
        "AUTH_LOGIN_LIMIT_ACCOUNT": "20 per minute;100 per hour",
        # Per known device (one the account signed in on before): its own budget.
        "AUTH_LOGIN_LIMIT_DEVICE": "10 per minute;50 per hour",
        # Registration counts every sign-up; a class registering together fits.
        "AUTH_REGISTER_LIMIT_IP": "200 per hour",
        "AUTH_REGISTER_LIMIT_ACCOUNT": "3 per hour",
        "AUTH_FORGOT_LIMIT_IP": "60 per hour",
        "AUTH_FORGOT_LIMIT_ACCOUNT": "3 per hour",
        # Wrong or used e-mail links per address; API tokens minted per account.
        "AUTH_TOKEN_LIMIT_IP": "20 per minute",
        "AUTH_TOKEN_LIMIT_ACCOUNT": "10 per minute",
        **OAUTH_CONFIG,
    }

    def init(self) -> None:
        from lms_auth.services import load_user_from_token

        lms_state(self.app).token_loaders.append(load_user_from_token)
        self.template_hook("after-header", _unverified_banner)

    def get_blueprints(self) -> list[Blueprint]:
        from lms_auth.oauth import make_blueprints
        from lms_auth.views import bp

        return [bp, *make_blueprints()]

    def get_api_blueprints(self) -> list[Any]:
        from lms_auth.api import blp

        return [blp]

    def get_nav_items(self, menu: str) -> list[NavItem]:
        if menu == "user":
            return [
                NavItem(_l("Sign in"), "auth.login", order=80, visible=signed_out),
                NavItem(_l("Register"), "auth.register", order=90, visible=signed_out),
                NavItem(_l("Profile"), "auth.profile", order=80, visible=signed_in),
                NavItem(_l("Sign out"), "auth.logout", order=95, visible=signed_in),
            ]
        if menu == "admin":
            return [
                NavItem(
                    _l("Instructor applications"),
                    "auth.admin_applications",
                    permission="auth.review_applications",
                    description=_l("Students who asked to teach: approve or decline with a note."),
                    pending=_pending_applications,
                ),
                NavItem(
                    _l("Sign-in log"),
                    "auth.admin_login_attempts",
                    order=90,
                    permission="auth.read_login_log",
                    description=_l("Recent sign-ins and failed attempts, by account and address."),
                ),
            ]
        return []


def _pending_applications() -> int:
    from sqlalchemy import func, select

    from lms.extensions import db
    from lms_auth.models import ApplicationStatus, AuthInstructorApplication

    return db.session.scalar(
        select(func.count())
        .select_from(AuthInstructorApplication)
        .where(AuthInstructorApplication.status == ApplicationStatus.PENDING)
    )
