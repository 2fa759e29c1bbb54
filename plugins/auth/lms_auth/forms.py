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

from lms.i18n import LANGUAGES, _, _l, language_name
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
                field.errors = [*field.errors, _("This contains characters that are not allowed.")]
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
        _l("E-mail"), validators=[DataRequired(), Length(max=254), _rule(rules.normalise_email)]
    )
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=40), _rule(rules.normalise_username)],
        description=_l("3 to 40 letters, digits, '.', '_' or '-'. Others see it."),
    )
    name = StringField(_l("Your name"), validators=[Optional(), Length(max=rules.MAX_NAME_LENGTH)])
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(),
            Length(max=rules.MAX_PASSWORD_LENGTH),
            _password_rule("email"),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("The passwords do not match.")),
        ],
    )


class LoginForm(CleanForm):
    login = StringField(_l("E-mail or username"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=rules.MAX_PASSWORD_LENGTH)]
    )


class ConfirmForm(CleanForm):
    """A button with a CSRF token and nothing else (sign out, revoke, unlink)."""


class ForgotForm(CleanForm):
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(), Length(max=254), _rule(rules.normalise_email)]
    )


class ResetForm(CleanForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=rules.MAX_PASSWORD_LENGTH)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("The passwords do not match.")),
        ],
    )


class ChangePasswordForm(CleanForm):
    current_password = PasswordField(
        _l("Current password"), validators=[Optional(), Length(max=rules.MAX_PASSWORD_LENGTH)]
    )
    password = ResetForm.password
    confirm = ResetForm.confirm


# As each service spells its own name (brand names stay as they are).
LINK_LABELS = {
    "website": _l("Website"),
    "github": "GitHub",
    "linkedin": "LinkedIn",
    "x": "X",
    "youtube": "YouTube",
}


def _link_fields() -> dict[str, URLField]:
    return {
        f"link_{kind}": URLField(
            _l("%(site)s link", site=LINK_LABELS[kind]),
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


def language_choices() -> list[tuple[str, str]]:
    """The site's languages, each in its own name, after "the browser's language" (None)."""
    return [("", _("Browser's language"))] + [(code, language_name(code)) for code in LANGUAGES]


def timezone_choices() -> list[tuple[str, str]]:
    """IANA zones after "the school's time zone" (None)."""
    return [("", _("School's time zone"))] + [(zone, zone) for zone in rules.time_zones()]


ProfileFormBase = type(
    "ProfileFormBase",
    (CleanForm,),
    {
        "username": StringField(
            _l("Username"),
            validators=[DataRequired(), Length(max=40), _rule(rules.normalise_username)],
        ),
        "name": StringField(_l("Name"), validators=[Optional(), Length(max=rules.MAX_NAME_LENGTH)]),
        "bio": TextAreaField(
            _l("About you"), validators=[Optional(), Length(max=rules.MAX_BIO_LENGTH)]
        ),
        "country": SelectField(_l("Country"), choices=country_choices, validate_choice=True),
        # Checked by rules.clean_language / clean_timezone in the view: a post without
        # them (an older page, a script) leaves the stored choice as it is.
        "language": SelectField(_l("Language"), choices=language_choices, validate_choice=False),
        "timezone": SelectField(_l("Time zone"), choices=timezone_choices, validate_choice=False),
        **_link_fields(),
    },
)


class ProfileForm(ProfileFormBase, LinksMixin):  # type: ignore[misc, valid-type]
    pass


class AvatarForm(CleanForm):
    avatar = FileField(
        _l("Picture"),
        validators=[
            DataRequired(message=_l("Choose a picture to upload.")),
            FileAllowed(
                ["png", "jpg", "jpeg", "gif", "webp"], _l("Upload a PNG, JPEG, GIF or WebP.")
            ),
        ],
    )


class TokenForm(CleanForm):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("What it is for, e.g. 'grading script'."),
    )


class DeactivateForm(CleanForm):
    password = PasswordField(_l("Your password"), validators=[Optional(), Length(max=256)])
    confirm = BooleanField(
        _l("I understand that I will no longer be able to sign in"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


ApplicationFormBase = type(
    "ApplicationFormBase",
    (CleanForm,),
    {
        "bio": TextAreaField(
            _l("About you as a teacher"),
            validators=[DataRequired(), Length(max=rules.MAX_BIO_LENGTH)],
        ),
        **_link_fields(),
    },
)


class ApplicationForm(ApplicationFormBase, LinksMixin):  # type: ignore[misc, valid-type]
    pass


class DecisionForm(CleanForm):
    note = TextAreaField(
        _l("Note to the applicant"), validators=[Optional(), Length(max=rules.MAX_NOTE_LENGTH)]
    )
