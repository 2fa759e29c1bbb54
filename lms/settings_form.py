"""A WTForms form built from any namespace's setting declarations (lms.settings.SettingSpec)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, FloatField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lms.i18n import _l
from lms.settings import SettingsError, SettingSpec, declared_settings, get_setting, set_settings


class SettingsForm(FlaskForm):
    """Base of the generated forms; `namespace` names whose settings it edits."""

    namespace: str = ""

    def values(self) -> dict[str, Any]:
        """Return {key: value} of every setting field, as typed values."""
        return {key: self[key].data for key in declared_settings(self.namespace) if key in self}

    def save(self) -> bool:
        """Store the submitted values (the caller commits); put refusals on their fields."""
        try:
            set_settings(self.namespace, self.values())
        except SettingsError as exc:
            for key, messages in (exc.fields or {}).items():
                if key in self:
                    self[key].errors = [*self[key].errors, *messages]
            if not exc.fields:
                self.form_errors.append(exc.message)
            return False
        return True


def _field(key: str, spec: SettingSpec) -> Field:
    label = spec.label or key.replace("_", " ").capitalize()
    common: dict[str, Any] = {"description": spec.description}
    if spec.choices is not None:
        pairs = [c if isinstance(c, tuple) else (c, str(c)) for c in spec.choices]
        coerce = spec.type if spec.type is not bool else (lambda v: v in (True, "True", "true"))
        return SelectField(label, choices=pairs, coerce=coerce, **common)
    if spec.type is bool:
        return BooleanField(label, **common)
    if spec.type in (int, float):
        field_class = IntegerField if spec.type is int else FloatField
        return field_class(
            label,
            validators=[
                InputRequired(message=_l("Enter a number.")),
                NumberRange(min=spec.min, max=spec.max),
            ],
            **common,
        )
    return StringField(
        label,
        validators=[Optional(strip_whitespace=False), Length(max=spec.max_length)],
        filters=[lambda v: v.strip() if isinstance(v, str) else ""],
        **common,
    )


def settings_form_class(namespace: str) -> type[SettingsForm]:
    """Return a form class with one field per setting of `namespace` an admin may change."""
    fields = {
        key: _field(key, spec)
        for key, spec in declared_settings(namespace).items()
        if not spec.internal
    }
    return type(
        f"{namespace.title()}SettingsForm", (SettingsForm,), {"namespace": namespace, **fields}
    )


def settings_form(namespace: str, **kwargs: Any) -> SettingsForm:
    """Build the form of `namespace`, filled with the current values (or the posted ones)."""
    form_class = settings_form_class(namespace)
    current = {
        key: get_setting(namespace, key)
        for key, spec in declared_settings(namespace).items()
        if not spec.internal
    }
    return form_class(data=current, prefix=namespace, **kwargs)
