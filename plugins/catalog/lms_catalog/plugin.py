"""The contract: the Plugin subclass the entry point names."""

from __future__ import annotations

from flask import Blueprint

from lms.plugins import Plugin


class CatalogPlugin(Plugin):
    """Catalog

    Courses with a review workflow, categories, the public catalog with search,
    enrolment, student and instructor dashboards, and certificates.
    """

    def get_blueprints(self) -> list[Blueprint]:
        return []
