"""Core forms (the set-up page)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, Field, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from lms.setup import MIN_PASSWORD_LENGTH, SetupError, normalise_email

PASSWORD_RULE = (
    f"At least {MIN_PASSWORD_LENGTH} characters. A few words you will remember work well."
)


def _valid_email(_form: FlaskForm, field: Field) -> None:
    # Checked with the other fields, so one submit reports every mistake.
    if field.data:
        try:
            normalise_email(field.data)
        except SetupError as exc:
            raise ValidationError(str(exc)) from exc


class SetupForm(FlaskForm):
    site_name = StringField("School name", validators=[DataRequired(), Length(max=120)])
    name = StringField("Your name", validators=[Length(max=120)])
    email = EmailField("Admin e-mail", validators=[DataRequired(), Length(max=254), _valid_email])
    password = PasswordField(
        "Password",
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=f"The password needs at least {MIN_PASSWORD_LENGTH} characters.",
            ),
        ],
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )
