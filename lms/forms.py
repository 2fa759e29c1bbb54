"""Core forms (the set-up page)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, Field, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from lms.i18n import _l
from lms.setup import MIN_PASSWORD_LENGTH, SetupError, normalise_email

PASSWORD_RULE = _l(
    "At least %(num)d characters. A few words you will remember work well.",
    num=MIN_PASSWORD_LENGTH,
)


def _valid_email(_form: FlaskForm, field: Field) -> None:
    # Checked with the other fields, so one submit reports every mistake.
    if field.data:
        try:
            normalise_email(field.data)
        except SetupError as exc:
            raise ValidationError(str(exc)) from exc


class SetupForm(FlaskForm):
    site_name = StringField(_l("School name"), validators=[DataRequired(), Length(max=120)])
    name = StringField(_l("Your name"), validators=[Length(max=120)])
    email = EmailField(
        _l("Admin e-mail"), validators=[DataRequired(), Length(max=254), _valid_email]
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=_l(
                    "The password needs at least %(num)d characters.", num=MIN_PASSWORD_LENGTH
                ),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )
