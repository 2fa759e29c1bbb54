"""Marshmallow schemas of the auth API: they validate input and document the OpenAPI spec."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lms.i18n import LANGUAGES, _
from lms.urls import external_url
from lms_auth import rules


def _rule(func: Any, *args: Any) -> Any:
    """A marshmallow validator from a rules.* cleaner."""

    def check(value: Any) -> None:
        try:
            func(value, *args)
        except rules.RuleError as exc:
            raise ValidationError(str(exc)) from None

    return check


def _no_control(value: str) -> None:
    if rules.has_control_chars(value):
        raise ValidationError(_("Contains characters that are not allowed."))


def _password(value: str) -> None:
    problem = rules.password_problem(value)
    if problem:
        raise ValidationError(problem)


class RegisterSchema(Schema):
    email = fields.String(
        required=True,
        validate=[validate.Length(max=rules.MAX_EMAIL_LENGTH), _rule(rules.normalise_email)],
    )
    username = fields.String(
        required=True, validate=[validate.Length(max=40), _rule(rules.normalise_username)]
    )
    password = fields.String(
        required=True,
        validate=_password,
        metadata={"description": f"At least {rules.MIN_PASSWORD_LENGTH} characters, not common."},
    )
    name = fields.String(
        load_default="", validate=[validate.Length(max=rules.MAX_NAME_LENGTH), _no_control]
    )

    @validates_schema(skip_on_field_errors=False)
    def password_is_not_the_email(self, data: dict[str, Any], **_kwargs: Any) -> None:
        # Only fields that passed their own checks are in `data`.
        if "email" in data and "password" in data:
            problem = rules.password_problem(data["password"], rules.normalise_email(data["email"]))
            if problem:
                raise ValidationError(problem, field_name="password")


class LoginSchema(Schema):
    login = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=rules.MAX_EMAIL_LENGTH), _no_control],
        metadata={"description": "E-mail address or username."},
    )
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=rules.MAX_PASSWORD_LENGTH)
    )


class ForgotSchema(Schema):
    email = fields.String(
        required=True,
        validate=[validate.Length(max=rules.MAX_EMAIL_LENGTH), _rule(rules.normalise_email)],
    )


class TokenArgsSchema(Schema):
    token = fields.String(required=True, validate=[validate.Length(min=1, max=200), _no_control])


class ResetSchema(TokenArgsSchema):
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=rules.MAX_PASSWORD_LENGTH)
    )


class ChangePasswordSchema(Schema):
    current_password = fields.String(
        load_default="", validate=validate.Length(max=rules.MAX_PASSWORD_LENGTH)
    )
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=rules.MAX_PASSWORD_LENGTH)
    )


class LinksSchema(Schema):
    """Profile links by kind; each an http(s) URL."""

    website = fields.String(allow_none=True, validate=_rule(rules.clean_link))
    github = fields.String(allow_none=True, validate=_rule(rules.clean_link))
    linkedin = fields.String(allow_none=True, validate=_rule(rules.clean_link))
    x = fields.String(allow_none=True, validate=_rule(rules.clean_link))
    youtube = fields.String(allow_none=True, validate=_rule(rules.clean_link))


class ProfilePatchSchema(Schema):
    username = fields.String(validate=[validate.Length(max=40), _rule(rules.normalise_username)])
    name = fields.String(validate=_rule(rules.clean_name))
    bio = fields.String(validate=_rule(rules.clean_text, rules.MAX_BIO_LENGTH, "text about you"))
    country = fields.String(
        allow_none=True,
        validate=_rule(rules.clean_country),
        metadata={"description": "ISO 3166-1 alpha-2 code, or null."},
    )
    links = fields.Nested(LinksSchema)
    language = fields.String(
        allow_none=True,
        validate=_rule(rules.clean_language),
        metadata={
            "description": f"The site's language for you: one of {', '.join(LANGUAGES)}; "
            "null for the browser's language.",
            "enum": [*LANGUAGES, None],
        },
    )
    timezone = fields.String(
        allow_none=True,
        validate=_rule(rules.clean_timezone),
        metadata={
            "description": "IANA time zone for dates and times (e.g. Europe/Paris); "
            "null for the school's time zone."
        },
    )


def avatar_url(user: Any) -> str | None:
    if not user.avatar_key:
        return None
    return external_url("auth.avatar", user_id=user.id)


class PublicUserSchema(Schema):
    id = fields.Integer()
    username = fields.String(allow_none=True)
    name = fields.String(attribute="display_name")
    bio = fields.String()
    country = fields.String(allow_none=True)
    links = fields.Dict(keys=fields.String(), values=fields.String())
    role = fields.Function(lambda u: str(u.role))
    avatar_url = fields.Function(avatar_url)
    created_at = fields.DateTime()


class UserSchema(PublicUserSchema):
    email = fields.String()
    email_verified = fields.Boolean(attribute="is_email_verified")
    last_login_at = fields.DateTime(allow_none=True)
    language = fields.String(
        allow_none=True,
        metadata={"description": "The chosen language; null: the browser's language."},
    )
    timezone = fields.String(
        allow_none=True,
        metadata={"description": "The chosen IANA time zone; null: the school's time zone."},
    )


class UserEnvelope(Schema):
    user = fields.Nested(UserSchema)


class TokenSchema(Schema):
    token = fields.String(metadata={"description": "Send as `Authorization: Bearer <token>`."})
    token_type = fields.String(dump_default="Bearer")
    expires_at = fields.DateTime(allow_none=True)
    user = fields.Nested(UserSchema)
    device_token = fields.String(
        allow_none=True,
        metadata={
            "description": "Keep it and send it back on later sign-ins (cookie `lms_device` "
            "or header `X-LMS-Device`): other devices' failed attempts then cannot "
            "rate-limit this one."
        },
    )


class MessageSchema(Schema):
    message = fields.String()


class ApplicationArgsSchema(Schema):
    bio = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=rules.MAX_BIO_LENGTH),
            _rule(rules.clean_text, rules.MAX_BIO_LENGTH, "text about you"),
        ],
    )
    links = fields.Nested(LinksSchema, load_default=dict)


class ApplicationSchema(Schema):
    id = fields.Integer()
    user = fields.Nested(PublicUserSchema)
    bio = fields.String()
    links = fields.Dict(keys=fields.String(), values=fields.String())
    status = fields.Function(lambda a: str(a.status))
    note = fields.String()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class ApplicationListArgs(Schema):
    status = fields.String(
        load_default="pending", validate=validate.OneOf(["pending", "approved", "rejected"])
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100))


class RejectSchema(Schema):
    note = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=rules.MAX_NOTE_LENGTH),
            _rule(rules.clean_text, rules.MAX_NOTE_LENGTH, "note"),
        ],
    )


class ApproveSchema(Schema):
    note = fields.String(
        load_default="", validate=_rule(rules.clean_text, rules.MAX_NOTE_LENGTH, "note")
    )
