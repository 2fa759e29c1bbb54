"""The contract: the Plugin subclass the entry point names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel.numbers import list_currencies
from flask import Blueprint, render_template
from markupsafe import Markup

from lms.i18n import _l
from lms.nav import NavItem, instructors, signed_in
from lms.plugins import Plugin
from lms.settings import SettingSpec


class CatalogPlugin(Plugin):
    """Catalog

    Courses with a review workflow, categories, the public catalog with search,
    enrolment, student and instructor dashboards, and certificates.
    """

    # The plugin's name on the settings page, in the reader's language.
    label = _l("Catalog")

    default_settings = {
        "currency": SettingSpec(
            str,
            "USD",
            choices=sorted(list_currencies()),
            label=_l("Currency"),
            description=_l(
                "The ISO 4217 code of the currency prices are shown in (e.g. USD, EUR, GBP, MAD)."
            ),
        ),
    }
    # Admins hold every permission; a school may grant these to other roles.
    permissions = {
        "catalog.review_courses": (
            _l("Publish, reject and unpublish courses (the moderation queue)"),
            (),
        ),
        "catalog.manage_courses": (
            _l("See every course; edit, feature, restore and staff any course"),
            (),
        ),
        "catalog.manage_categories": (_l("Add, rename and delete course categories"), ()),
    }

    def init(self) -> None:
        from lms_catalog.views import home_box, template_globals

        # Globals rather than a context processor: imported macros see them too.
        self.app.jinja_env.globals.update(template_globals())
        self.template_hook("home", home_box, priority=10)
        self.template_hook("head", _stylesheet, priority=50)
        from lms_catalog import notices, signals

        self.connect(signals.course_submitted, notices.on_course_submitted)
        self.connect(signals.course_published, notices.on_course_published)
        self.connect(signals.course_rejected, notices.on_course_rejected)
        self.connect(signals.certificate_issued, notices.on_certificate_issued)

    def get_blueprints(self) -> list[Blueprint]:
        from lms_catalog import admin_views, certificates  # noqa: F401 - routes on bp
        from lms_catalog.views import bp

        return [bp]

    def get_api_blueprints(self) -> list[Any]:
        from lms_catalog.api import blp

        return [blp]

    def get_nav_items(self, menu: str) -> list[NavItem]:
        if menu == "main":
            return [
                NavItem(_l("Courses"), "catalog.catalog", order=10),
                NavItem(_l("Teach"), "catalog.teach", order=30, visible=instructors),
            ]
        if menu == "user":
            return [
                NavItem(
                    _l("My courses"),
                    "catalog.my_courses",
                    order=10,
                    visible=signed_in,
                    landing=True,
                ),
                NavItem(_l("Certificates"), "catalog.my_certificates", order=15, visible=signed_in),
            ]
        if menu == "admin":
            return [
                NavItem(
                    _l("Moderation"),
                    "catalog.moderation",
                    order=20,
                    permission="catalog.review_courses",
                    description=_l("Courses submitted for review: publish them or send feedback."),
                    pending=_courses_to_review,
                ),
                NavItem(
                    _l("All courses"),
                    "catalog.admin_courses",
                    order=21,
                    permission="catalog.manage_courses",
                    description=_l("Every course in any state: unpublish, delete or restore."),
                ),
                NavItem(
                    _l("Categories"),
                    "catalog.categories",
                    order=22,
                    permission="catalog.manage_categories",
                    description=_l("The subjects the catalog is filtered by."),
                ),
            ]
        if menu == "footer":
            return [NavItem(_l("Verify a certificate"), "catalog.verify_form", order=60)]
        return []

    def seed_demo(self, echo: Callable[[str], Any]) -> None:
        from lms_catalog.demo import seed

        seed(echo)


def _stylesheet(**_kwargs: Any) -> Markup:
    # Markup: the core escapes plain strings a hook returns.
    return Markup(render_template("catalog/_head.html"))  # noqa: S704 - an autoescaped template


def _courses_to_review() -> int:
    from sqlalchemy import func, select

    from lms.extensions import db
    from lms_catalog.models import Course

    return db.session.scalar(
        select(func.count())
        .select_from(Course)
        .where(Course.status == "pending", Course.deleted_at.is_(None))
    )
