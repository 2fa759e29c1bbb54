"""The auth JSON API under /api/v1: accounts, tokens, profiles, instructor applications."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from sqlalchemy import select

from lms.api import ApiBlueprint, ApiError, page_of, page_schema, require_user
from lms.extensions import db
from lms.i18n import _
from lms.models import User
from lms.permissions import login_required, permission_required
from lms_auth import limits, rules, services
from lms_auth.models import AuthInstructorApplication
from lms_auth.schemas import (
    ApplicationArgsSchema,
    ApplicationListArgs,
    ApplicationSchema,
    ApproveSchema,
    ChangePasswordSchema,
    ForgotSchema,
    LoginSchema,
    MessageSchema,
    ProfilePatchSchema,
    PublicUserSchema,
    RegisterSchema,
    RejectSchema,
    ResetSchema,
    TokenArgsSchema,
    TokenSchema,
    UserEnvelope,
    UserSchema,
)
from lms_auth.services import AuthError

blp = ApiBlueprint(
    "auth_api", __name__, url_prefix="", description="Accounts, sign-in and API tokens."
)


def _raise(exc: AuthError) -> None:
    db.session.rollback()
    fields = {exc.field: [exc.message]} if exc.field else None
    raise ApiError(exc.status, exc.message, code=exc.code, fields=fields)


def _login_token(user: User) -> dict[str, Any]:
    raw, row = services.issue_api_token(
        user, _("API sign-in"), days=current_app.config["AUTH_API_TOKEN_DAYS"]
    )
    return {"token": raw, "token_type": "Bearer", "expires_at": row.expires_at, "user": user}


def _current_token_row() -> Any:
    raw = g.get("api_token")
    return services.token_row(raw) if raw else None


# --- accounts and tokens ----------------------------------------------------------------------


@blp.route("/auth/register", methods=["POST"])
@blp.errors(409, 429)
@limits.register_per_ip
@limits.register_per_email
@blp.arguments(RegisterSchema)
@blp.response(201, UserEnvelope)
def register(args: dict[str, Any]) -> dict[str, Any]:
    """Create a student account and mail a verification link.

    Unlike the sign-up page, this answers 409 for a taken e-mail or username
    (integrators need to tell the user); the rate limits bound what that reveals.
    """
    limits.count_this_request()
    try:
        user = services.create_account(
            email=rules.normalise_email(args["email"]),
            username=rules.normalise_username(args["username"]),
            password=args["password"],
            name=args["name"].strip(),
            via="api",
        )
    except AuthError as exc:
        _raise(exc)
    services.queue_mail("send_verification", user.id)
    db.session.commit()
    return {"user": user}


@blp.route("/auth/login", methods=["POST"])
@blp.errors(403, 429)
@limits.login_limits
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
def login(args: dict[str, Any]) -> dict[str, Any]:
    """Exchange credentials for a bearer token.

    The answer also sets the `lms_device` cookie and carries the same value as
    `device_token`. Send it back with later sign-ins (the cookie, or the
    `X-LMS-Device` header): failed attempts from other devices then cannot
    rate-limit this one.
    """
    result = services.authenticate(args["login"], args["password"], via="api")
    if not result.ok or result.user is None:
        db.session.commit()  # keep the attempt in the log
        if result.reason == "wrong":
            limits.count_this_request()
            raise ApiError(
                401, _("The login or the password is not right."), code="invalid_credentials"
            )
        message = (
            _("This account has been suspended.")
            if result.reason == "banned"
            else _("This account has been deactivated.")
        )
        raise ApiError(403, message, code=f"account_{result.reason}")
    body = _login_token(result.user)
    body["device_token"] = result.device_token
    db.session.commit()
    return body


@blp.route("/auth/logout", methods=["POST"])
@blp.response(200, MessageSchema)
def logout() -> dict[str, str]:
    """Revoke the token this request carries, or end this browser's session.

    Other browsers and tokens of the account stay signed in; see
    `/auth/logout-everywhere`.
    """
    user = require_user()
    row = _current_token_row()
    if row is not None:
        services.revoke_api_token(row)
    else:
        services.web_logout(user)
    db.session.commit()
    return {"message": _("Signed out.")}


@blp.route("/auth/logout-everywhere", methods=["POST"])
@blp.response(200, MessageSchema)
def logout_everywhere() -> dict[str, str]:
    """End every browser session of the account and revoke all its API tokens."""
    services.sign_out_everywhere(require_user())
    db.session.commit()
    return {"message": _("Signed out on every device; every API token is revoked.")}


@blp.route("/auth/me", methods=["GET"])
@blp.response(200, UserEnvelope)
def me() -> dict[str, Any]:
    """The signed-in user."""
    return {"user": require_user()}


@blp.route("/auth/refresh", methods=["POST"])
@blp.errors(429)
@limits.token_per_ip
@limits.token_per_user
@blp.response(200, TokenSchema)
def refresh() -> dict[str, Any]:
    """Issue a new token and revoke the one used to ask."""
    user = require_user()
    limits.count_this_request()
    row = _current_token_row()
    if row is None:
        raise ApiError(400, _("Refresh needs a bearer token."), code="token_required")
    services.revoke_api_token(row)
    body = _login_token(user)
    db.session.commit()
    return body


@blp.route("/auth/password/forgot", methods=["POST"])
@blp.errors(429)
@limits.forgot_per_ip
@limits.forgot_per_email
@blp.arguments(ForgotSchema)
@blp.response(202, MessageSchema)
def forgot_password(args: dict[str, Any]) -> dict[str, str]:
    """Mail a reset link if the address has an account; the answer is the same either way."""
    limits.count_this_request()
    services.request_password_reset(rules.normalise_email(args["email"]))
    db.session.commit()
    return {"message": _("If an account uses that address, a reset link is on its way.")}


@blp.route("/auth/password/reset", methods=["POST"])
@blp.errors(422, 429)
@limits.token_per_ip
@blp.arguments(ResetSchema)
@blp.response(200, MessageSchema)
def reset_password(args: dict[str, Any]) -> dict[str, str]:
    """Set a new password with the token from the reset mail (single use, one hour)."""
    try:
        services.reset_password(args["token"], args["password"])
    except AuthError as exc:
        if exc.code == "invalid_token":
            limits.count_this_request()
        _raise(exc)
    db.session.commit()
    return {"message": _("Password changed. Every session and API token was signed out.")}


@blp.route("/auth/password/change", methods=["POST"])
@blp.errors(422)
@login_required
@blp.arguments(ChangePasswordSchema)
@blp.response(200, TokenSchema)
def change_password(args: dict[str, Any]) -> dict[str, Any]:
    """Change the password; every session and token ends, and a new token is returned."""
    user = require_user()
    try:
        services.change_password(user, args["current_password"], args["password"])
    except AuthError as exc:
        _raise(exc)
    body = _login_token(user)
    db.session.commit()
    return body


@blp.route("/auth/verify-email", methods=["POST"])
@blp.errors(429)
@limits.token_per_ip
@blp.arguments(TokenArgsSchema)
@blp.response(200, UserEnvelope)
def verify_email(args: dict[str, Any]) -> dict[str, Any]:
    """Confirm the e-mail address with the token from the verification mail."""
    user = services.verify_email(args["token"])
    if user is None:
        limits.count_this_request()
        db.session.rollback()
        raise ApiError(
            400,
            _("This verification link is invalid, expired or already used."),
            code="invalid_token",
            fields={"token": [_("Invalid, expired or already used.")]},
        )
    db.session.commit()
    return {"user": user}


# --- profiles ---------------------------------------------------------------------------------


@blp.route("/users/me", methods=["GET"])
@blp.response(200, UserSchema)
def get_me() -> Any:
    """Your own profile, with private fields."""
    return require_user()


@blp.route("/users/me", methods=["PATCH"])
@blp.errors(409, 422)
@login_required
@blp.arguments(ProfilePatchSchema)
@blp.response(200, UserSchema)
def patch_me(args: dict[str, Any]) -> Any:
    """Change profile fields (username, name, bio, country, links, language, time zone).

    Omitted fields stay as they are; null (or "") for `language` or `timezone`
    means the browser's language and the school's time zone.
    """
    user = require_user()
    if not args:
        raise ApiError(
            422,
            _("Send a JSON object with at least one field to change."),
            code="validation_error",
        )
    changes: dict[str, Any] = {}
    if "username" in args:
        changes["username"] = rules.normalise_username(args["username"])
    if "name" in args:
        changes["name"] = rules.clean_name(args["name"])
    if "bio" in args:
        changes["bio"] = rules.clean_text(args["bio"], rules.MAX_BIO_LENGTH, "text about you")
    if "country" in args:
        changes["country"] = rules.clean_country(args["country"])
    if "links" in args:
        changes["links"] = rules.clean_links(args["links"])
    if "language" in args:
        changes["language"] = rules.clean_language(args["language"])
    if "timezone" in args:
        changes["timezone"] = rules.clean_timezone(args["timezone"])
    try:
        services.update_profile(user, changes)
    except AuthError as exc:
        _raise(exc)
    db.session.commit()
    return user


@blp.route("/users/<int:user_id>", methods=["GET"])
@blp.response(200, PublicUserSchema)
def get_user(user_id: int) -> Any:
    """Someone's profile, for signed-in members of the school (anonymous callers get 401)."""
    require_user()
    user = services.get_user(user_id)
    if user is None or not user.is_active:
        raise ApiError(404, _("No such user."))
    return user


# --- instructor applications ------------------------------------------------------------------


@blp.route("/instructor-applications", methods=["POST"])
@blp.errors(409, 422)
@login_required
@blp.arguments(ApplicationArgsSchema)
@blp.response(201, ApplicationSchema)
def apply(args: dict[str, Any]) -> Any:
    """Apply to become an instructor (one pending application at a time)."""
    user = require_user()
    try:
        application = services.apply_for_instructor(
            user,
            rules.clean_text(args["bio"], rules.MAX_BIO_LENGTH, "text about you"),
            rules.clean_links(args["links"]),
        )
    except AuthError as exc:
        _raise(exc)
    db.session.commit()
    return application


@blp.route("/instructor-applications/mine", methods=["GET"])
@blp.response(200, page_schema(ApplicationSchema, "ApplicationPage"))
def my_applications() -> Any:
    """Your applications, newest first."""
    user = require_user()
    stmt = (
        select(AuthInstructorApplication)
        .where(AuthInstructorApplication.user_id == user.id)
        .order_by(AuthInstructorApplication.created_at.desc(), AuthInstructorApplication.id.desc())
    )
    return page_of(stmt, {"page": 1, "per_page": 100})


# Reviewers are checked before the body is read: a student gets 403, never a 422.
reviewers_only = permission_required("auth.review_applications")


@blp.route("/admin/instructor-applications", methods=["GET"])
@reviewers_only
@blp.arguments(ApplicationListArgs, location="query")
@blp.response(200, page_schema(ApplicationSchema, "AdminApplicationPage"))
def admin_list(args: dict[str, Any]) -> Any:
    """Applications by status (default: pending), oldest first."""
    stmt = (
        select(AuthInstructorApplication)
        .where(AuthInstructorApplication.status == args["status"])
        .order_by(AuthInstructorApplication.created_at, AuthInstructorApplication.id)
    )
    return page_of(stmt, args)


def _decide(application_id: int, approve: bool, note: str) -> Any:
    admin = require_user()  # views are @reviewers_only
    application = services.get_application(application_id)
    if application is None:
        raise ApiError(404, _("No such application."))
    try:
        services.decide_application(application, admin, approve=approve, note=note)
    except AuthError as exc:
        _raise(exc)
    db.session.commit()
    return application


@blp.route("/admin/instructor-applications/<int:application_id>/approve", methods=["POST"])
@blp.errors(409)
@reviewers_only
@blp.arguments(ApproveSchema)
@blp.response(200, ApplicationSchema)
def approve(args: dict[str, Any], application_id: int) -> Any:
    """Approve: the applicant becomes an instructor and is notified."""
    return _decide(application_id, True, rules.clean_text(args["note"], 2000, "note"))


@blp.route("/admin/instructor-applications/<int:application_id>/reject", methods=["POST"])
@blp.errors(409)
@reviewers_only
@blp.arguments(RejectSchema)
@blp.response(200, ApplicationSchema)
def reject(args: dict[str, Any], application_id: int) -> Any:
    """Reject with a note the applicant will read."""
    return _decide(application_id, False, rules.clean_text(args["note"], 2000, "note"))
