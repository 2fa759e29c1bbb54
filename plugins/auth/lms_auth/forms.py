"""The plugin's web forms. Field rules come from rules.py, shared with the API."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from lms_auth import rules
from lms_auth.countries import country_choices


class CleanForm(FlaskForm):
    """Refuses control characters (NUL and friends) in every text field."""

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for field in self:
            data = field.data
            if isinstance(data, str) and rules.has_control_chars(
                data, allow_newlines=isinstance(field, TextAreaField)
            ):
                field.errors = [*field.errors, "This contains characters that are not allowed."]
                ok = False
        return ok


def _rule(func: Any, *args: Any) -> Any:
    """A WTForms validator from a rules.* cleaner; stores the cleaned value on the field."""

    def validator(_form: FlaskForm, field: Field) -> None:
        try:
            field.cleaned = func(field.data, *args)
        except rules.RuleError as exc:
            raise ValidationError(str(exc)) from None

    return validator


def _password_rule(email_field: str | None) -> Any:
    def validator(form: FlaskForm, field: Field) -> None:
        email = None
        if email_field:
            email = getattr(getattr(form, email_field), "cleaned", None) or form[email_field].data
        problem = rules.password_problem(field.data or "", email)
        if problem:
            raise ValidationError(problem)

    return validator


class RegisterForm(CleanForm):
    email = EmailField(
        "E-mail", validators=[DataRequired(), Length(max=254), _rule(rules.normalise_email)]
    )
    username = StringField(
        "Username",
        validators=[DataRequired(), Length(max=40), _rule(rules.normalise_username)],
        description="3 to 40 letters, digits, '.', '_' or '-'. Others see it.",
    )
    name = StringField("Your name", validators=[Optional(), Length(max=rules.MAX_NAME_LENGTH)])
    password = PasswordField(
        "Password",
        validators=[
            DataRequired(),
            Length(max=rules.MAX_PASSWORD_LENGTH),
            _password_rule("email"),
        ],
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )


class LoginForm(CleanForm):
    login = StringField("E-mail or username", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=rules.MAX_PASSWORD_LENGTH)]
    )


class ConfirmForm(CleanForm):
    """A button with a CSRF token and nothing else (sign out, revoke, unlink)."""


class ForgotForm(CleanForm):
    email = EmailField(
        "E-mail", validators=[DataRequired(), Length(max=254), _rule(rules.normalise_email)]
    )


class ResetForm(CleanForm):
    password = PasswordField(
        "New password", validators=[DataRequired(), Length(max=rules.MAX_PASSWORD_LENGTH)]
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )


class ChangePasswordForm(CleanForm):
    current_password = PasswordField(
        "Current password", validators=[Optional(), Length(max=rules.MAX_PASSWORD_LENGTH)]
    )
    password = ResetForm.password
    confirm = ResetForm.confirm


# As each service spells its own name.
LINK_LABELS = {
    "website": "Website",
    "github": "GitHub",
    "linkedin": "LinkedIn",
    "x": "X",
    "youtube": "YouTube",
}


def _link_fields() -> dict[str, URLField]:
    return {
        f"link_{kind}": URLField(
            f"{LINK_LABELS[kind]} link",
            validators=[Optional(), Length(max=rules.MAX_LINK_LENGTH), _rule(rules.clean_link)],
        )
        for kind in rules.LINK_KINDS
    }


class LinksMixin:
    def links(self) -> dict[str, str]:
        values = {kind: getattr(self, f"link_{kind}").data for kind in rules.LINK_KINDS}
        return rules.clean_links(values)

    def fill_links(self, links: dict[str, str]) -> None:
        for kind in rules.LINK_KINDS:
            field = getattr(self, f"link_{kind}")
            if not field.data:
                field.data = links.get(kind, "")


ProfileFormBase = type(
    "ProfileFormBase",
    (CleanForm,),
    {
        "username": StringField(
            "Username",
            validators=[DataRequired(), Length(max=40), _rule(rules.normalise_username)],
        ),
        "name": StringField("Name", validators=[Optional(), Length(max=rules.MAX_NAME_LENGTH)]),
        "bio": TextAreaField(
            "About you", validators=[Optional(), Length(max=rules.MAX_BIO_LENGTH)]
        ),
        "country": SelectField("Country", choices=country_choices(), validate_choice=True),
        **_link_fields(),
    },
)


class ProfileForm(ProfileFormBase, LinksMixin):  # type: ignore[misc, valid-type]
    pass


class AvatarForm(CleanForm):
    avatar = FileField(
        "Picture",
        validators=[
            DataRequired(message="Choose a picture to upload."),
            FileAllowed(["png", "jpg", "jpeg", "gif", "webp"], "Upload a PNG, JPEG, GIF or WebP."),
        ],
    )


class TokenForm(CleanForm):
    name = StringField(
        "Token name",
        validators=[DataRequired(), Length(max=100)],
        description="What it is for, e.g. 'grading script'.",
    )


class DeactivateForm(CleanForm):
    password = PasswordField("Your password", validators=[Optional(), Length(max=256)])
    confirm = BooleanField(
        "I understand that I will no longer be able to sign in",
        validators=[DataRequired(message="Tick the box to confirm.")],
    )


ApplicationFormBase = type(
    "ApplicationFormBase",
    (CleanForm,),
    {
        "bio": TextAreaField(
            "About you as a teacher",
            validators=[DataRequired(), Length(max=rules.MAX_BIO_LENGTH)],
        ),
        **_link_fields(),
    },
)


class ApplicationForm(ApplicationFormBase, LinksMixin):  # type: ignore[misc, valid-type]
    pass


class DecisionForm(CleanForm):
    note = TextAreaField(
        "Note to the applicant", validators=[Optional(), Length(max=rules.MAX_NOTE_LENGTH)]
    )
