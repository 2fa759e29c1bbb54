"""The site settings page: one form per namespace, built from the declarations.

A stop-gap home for the generic settings form until an admin plugin hosts
it; it asks for the "core.manage_settings" permission.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for

from lms.extensions import db
from lms.i18n import _
from lms.permissions import permission_required
from lms.settings import settings_namespaces
from lms.settings_form import settings_form
from lms.state import lms_state
from lms.views import bp


def _title(namespace: str) -> str:
    if namespace == "core":
        return _("Site")
    plugin = lms_state().plugins.get(namespace)
    if plugin is None:
        return namespace
    return str(plugin.label) if plugin.label else plugin.title


@bp.route("/admin/settings")
@permission_required("core.manage_settings")
def settings() -> str:
    forms = [(ns, _title(ns), settings_form(ns, formdata=None)) for ns in settings_namespaces()]
    return render_template("core/settings.html", forms=forms)


@bp.route("/admin/settings/<namespace>", methods=["POST"])
@permission_required("core.manage_settings")
def save_settings(namespace: str) -> Any:
    if namespace not in settings_namespaces():
        abort(404)
    form = settings_form(namespace)
    if form.validate_on_submit() and form.save():
        db.session.commit()
        flash(_("%(section)s settings saved.", section=_title(namespace)), "success")
        return redirect(url_for("core.settings") + f"#settings-{namespace}")
    db.session.rollback()
    forms = [
        (ns, _title(ns), form if ns == namespace else settings_form(ns, formdata=None))
        for ns in settings_namespaces()
    ]
    return render_template("core/settings.html", forms=forms), 422
