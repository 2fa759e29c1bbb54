"""Core forms (the set-up page)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from lms.setup import MIN_PASSWORD_LENGTH


class SetupForm(FlaskForm):
    site_name = StringField("School name", validators=[DataRequired(), Length(max=120)])
    name = StringField("Your name", validators=[Length(max=120)])
    email = EmailField("Admin e-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=256)]
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )
