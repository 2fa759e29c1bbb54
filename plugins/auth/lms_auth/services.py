"""What the auth plugin does to accounts. Views and API call these; the request commits.

Services change state and `flush()`; they never commit, so a failed request
leaves nothing half-done. Mails are queued jobs that run after the commit.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app, request, session
from flask_login import logout_user
from sqlalchemy import func, or_, select, update

from lms import sessions as web_sessions
from lms.db import write_now
from lms.errors import ServiceError
from lms.extensions import db
from lms.i18n import _, user_locale
from lms.models import Role, User, utcnow
from lms.passwords import burn_password_time
from lms.signals import user_logged_in, user_registered, user_role_changed
from lms.tasks import enqueue
from lms_auth.devices import remember_device
from lms_auth.models import (
    ApplicationStatus,
    AuthApiToken,
    AuthEmailToken,
    AuthInstructorApplication,
    AuthLoginAttempt,
    EmailTokenPurpose,
)
from lms_auth.rules import RuleError, password_problem

log = logging.getLogger(__name__)

TOKEN_PREFIX = "lms_"  # noqa: S105 - a marker that makes leaked tokens easy to spot, not a secret
MAX_DB_INT = 2**31 - 1


class AuthError(ServiceError):
    """A refused action, with the HTTP status, error code and (optionally) the field at fault."""

    def __init__(
        self, message: str, *, code: str, status: int = 400, field: str | None = None
    ) -> None:
        super().__init__(
            message, code=code, status=status, fields={field: [message]} if field else None
        )
        self.field = field


def sha256(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def client_ip() -> str | None:
    return (request.remote_addr or None) if request else None


def get_user(user_id: int) -> User | None:
    """Return the user with this id; ids beyond the column's range simply do not exist."""
    if not 0 < user_id <= MAX_DB_INT:
        return None
    return db.session.get(User, user_id)


# --- looking people up -----------------------------------------------------------------


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def user_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def find_user_by_login(login: str) -> User | None:
    """Find an account by e-mail or username (case-insensitive)."""
    login = login.strip().lower()
    if not login:
        return None
    return db.session.scalar(
        select(User).where(or_(func.lower(User.email) == login, func.lower(User.username) == login))
    )


# --- accounts ------------------------------------------------------------------------------


def create_account(
    *,
    email: str,
    username: str | None,
    password: str | None,
    name: str = "",
    via: str,
    verified: bool = False,
) -> User:
    """Create a student account (inputs already normalised); raise AuthError on a clash."""
    if username and user_by_username(username):
        raise AuthError(
            _("That username is taken; choose another."),
            code="username_taken",
            status=409,
            field="username",
        )
    if user_by_email(email):
        raise AuthError(
            _("An account with that e-mail address already exists."),
            code="email_taken",
            status=409,
            field="email",
        )
    if password is not None:
        problem = password_problem(password, email)
        if problem:
            raise AuthError(problem, code="weak_password", status=422, field="password")
    user = User(email=email, username=username, name=name, role=Role.STUDENT)
    if password is not None:
        user.set_password(password)
    if verified:
        user.email_verified_at = utcnow()
    db.session.add(user)
    db.session.flush()
    user_registered.send(user, via=via)
    log.info("account %s registered via %s", user.id, via)
    return user


def register_without_disclosure(*, email: str, username: str, password: str, name: str) -> None:
    """The sign-up form: the same answer, and about the same work, for known e-mails.

    A new address gets an account and a verification link; a known one gets a
    note that someone tried to sign up with it. Either way one password hash is
    computed and one mail job is queued, so neither the page nor its timing tells
    a stranger whether the address has an account.
    """
    if user_by_username(username):
        raise AuthError(
            _("That username is taken; choose another."), code="username_taken", field="username"
        )
    existing = user_by_email(email)
    if existing is not None:
        burn_password_time(password)
        queue_mail("send_account_exists", existing.id)
        return
    user = create_account(email=email, username=username, password=password, name=name, via="form")
    queue_mail("send_verification", user.id)


def queue_mail(task: str, *args: Any) -> None:
    """Queue one of lms_auth.tasks' mail jobs (their links come from SITE_URL)."""
    enqueue(f"lms_auth.tasks.{task}", *args)


# --- signing in and out -------------------------------------------------------------------


@dataclass
class LoginResult:
    user: User | None
    reason: str  # "ok", "wrong", "deactivated", "banned"
    device_token: str | None = None  # see lms_auth.devices

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def record_attempt(
    user: User | None, login: str, *, via: str, success: bool, reason: str = ""
) -> None:
    db.session.add(
        AuthLoginAttempt(
            user_id=user.id if user else None,
            login=login.strip()[:254],
            ip=(client_ip() or "")[:45] or None,
            via=via,
            success=success,
            reason=reason[:40],
        )
    )


def authenticate(login: str, password: str, *, via: str) -> LoginResult:
    """Check credentials, log the attempt and, on success, mark the sign-in."""
    user = find_user_by_login(login)
    if user is None or not user.password_hash:
        # Same work as a real check, so timing does not reveal which accounts exist.
        burn_password_time(password)
        record_attempt(user, login, via=via, success=False, reason="unknown")
        return LoginResult(None, "wrong")
    if not user.check_password(password):
        record_attempt(user, login, via=via, success=False, reason="wrong_password")
        return LoginResult(None, "wrong")
    if user.is_banned:
        record_attempt(user, login, via=via, success=False, reason="banned")
        return LoginResult(user, "banned")
    if user.is_deactivated:
        record_attempt(user, login, via=via, success=False, reason="deactivated")
        return LoginResult(user, "deactivated")
    return LoginResult(user, "ok", mark_signed_in(user, login, via=via))


def mark_signed_in(user: User, login: str, *, via: str) -> str:
    """Log a successful sign-in; return the device token this answer hands out."""
    record_attempt(user, login, via=via, success=True)
    user.last_login_at = utcnow()
    user_logged_in.send(user, via=via)
    return remember_device(user)


def start_web_session(user: User) -> None:
    """Sign `user` in on a brand-new browser session: nothing from before sign-in survives."""
    web_sessions.start_session(user)


def end_all_sessions(user: User) -> None:
    """End every browser session of `user` (API tokens are revoked separately)."""
    web_sessions.end_all_sessions(user)


def count_web_sessions(user: User) -> int:
    return web_sessions.count_sessions(user)


def web_logout(user: User) -> None:
    """Sign this browser out; the user's other browsers and API tokens stay signed in."""
    web_sessions.end_session(user)


def sign_out_everywhere(user: User) -> None:
    """End every browser session and revoke every API token of `user`."""
    end_all_sessions(user)
    revoke_all_api_tokens(user)
    logout_user()
    session.clear()
    db.session.flush()
    log.info("account %s signed out everywhere", user.id)


# --- passwords ------------------------------------------------------------------------------


def set_new_password(user: User, password: str) -> None:
    """Set a password and end every other way in: sessions, API tokens, reset links."""
    problem = password_problem(password, user.email)
    if problem:
        raise AuthError(problem, code="weak_password", status=422, field="password")
    user.set_password(password)
    end_all_sessions(user)
    revoke_all_api_tokens(user)
    _expire_email_tokens(user, EmailTokenPurpose.RESET)
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    if user.password_hash and not user.check_password(current):
        raise AuthError(
            _("Your current password is not right."),
            code="wrong_password",
            field="current_password",
        )
    set_new_password(user, new)


def request_password_reset(email: str) -> None:
    """Queue the reset mail job for any address; the job decides whether to send."""
    queue_mail("send_password_reset", email)


# --- single-use e-mail links ----------------------------------------------------------------


def issue_email_token(user: User, purpose: EmailTokenPurpose) -> str:
    raw = secrets.token_urlsafe(32)
    hours = current_app.config[
        "AUTH_RESET_TOKEN_HOURS"
        if purpose == EmailTokenPurpose.RESET
        else "AUTH_VERIFY_TOKEN_HOURS"
    ]
    db.session.add(
        AuthEmailToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=sha256(raw),
            email=user.email,
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    db.session.flush()
    return raw


def find_email_token(raw: str, purpose: EmailTokenPurpose) -> AuthEmailToken | None:
    """Return the unused, unexpired link for `raw`, or None."""
    if not raw or len(raw) > 200:
        return None
    row = db.session.scalar(
        select(AuthEmailToken).where(
            AuthEmailToken.token_hash == sha256(raw), AuthEmailToken.purpose == purpose
        )
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    if row.email.lower() != row.user.email.lower():
        return None  # the address changed since the link was sent
    return row


def use_email_token(raw: str, purpose: EmailTokenPurpose) -> AuthEmailToken | None:
    """Consume a link exactly once, even if two requests race for it."""
    row = find_email_token(raw, purpose)
    if row is None:
        return None
    claimed = db.session.execute(
        update(AuthEmailToken)
        .where(AuthEmailToken.id == row.id, AuthEmailToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    db.session.refresh(row)
    return row


def _expire_email_tokens(user: User, purpose: EmailTokenPurpose) -> None:
    db.session.execute(
        update(AuthEmailToken)
        .where(
            AuthEmailToken.user_id == user.id,
            AuthEmailToken.purpose == purpose,
            AuthEmailToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )


def verify_email(raw: str) -> User | None:
    """Mark the address of a verification link as verified; return its user."""
    row = use_email_token(raw, EmailTokenPurpose.VERIFY)
    if row is None:
        return None
    user = row.user
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    db.session.flush()
    return user


def reset_password(raw: str, password: str) -> User:
    """Set a new password from a reset link (single use); raise AuthError if refused."""
    row = find_email_token(raw, EmailTokenPurpose.RESET)
    if row is None or not row.user.is_active:
        raise AuthError(
            _("This reset link is invalid, expired or already used. Ask for a new one."),
            code="invalid_token",
            field="token",
        )
    problem = password_problem(password, row.user.email)
    if problem:
        raise AuthError(problem, code="weak_password", status=422, field="password")
    if use_email_token(raw, EmailTokenPurpose.RESET) is None:
        raise AuthError(
            _("This reset link was just used. Ask for a new one."),
            code="invalid_token",
            field="token",
        )
    user = row.user
    set_new_password(user, password)
    # Following the link proved the address is theirs.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


# --- API tokens -----------------------------------------------------------------------------


def issue_api_token(user: User, name: str, days: int | None = None) -> tuple[str, AuthApiToken]:
    """Create a bearer token; the raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = AuthApiToken(
        user_id=user.id,
        name=name[:100],
        token_hash=sha256(raw),
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    db.session.add(row)
    db.session.flush()
    return raw, row


def token_row(raw: str) -> AuthApiToken | None:
    if not raw or len(raw) > 200:
        return None
    row = db.session.scalar(select(AuthApiToken).where(AuthApiToken.token_hash == sha256(raw)))
    return row if row is not None and row.is_usable else None


def load_user_from_token(raw: str) -> User | None:
    """The core's token loader: the token's user, noting when it was last used."""
    row = token_row(raw)
    if row is None:
        return None
    now = utcnow()
    # Write at most once a minute per token: reads must not turn into a write storm.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        # Often inside a GET: a short write transaction of its own.
        with write_now():
            db.session.execute(
                update(AuthApiToken).where(AuthApiToken.id == row.id).values(last_used_at=now)
            )
    return row.user


def revoke_api_token(row: AuthApiToken) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    db.session.flush()


def revoke_all_api_tokens(user: User) -> None:
    db.session.execute(
        update(AuthApiToken)
        .where(AuthApiToken.user_id == user.id, AuthApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def list_api_tokens(user: User) -> list[AuthApiToken]:
    return list(
        db.session.scalars(
            select(AuthApiToken)
            .where(AuthApiToken.user_id == user.id, AuthApiToken.revoked_at.is_(None))
            .order_by(AuthApiToken.created_at.desc(), AuthApiToken.id.desc())
        )
    )


# --- deactivation ---------------------------------------------------------------------------


def deactivate(user: User) -> None:
    """Soft-delete: the account keeps its data but nobody can sign in to it again."""
    user.is_deactivated = True
    end_all_sessions(user)
    revoke_all_api_tokens(user)
    db.session.flush()
    log.info("account %s deactivated by its owner", user.id)


# --- profile ----------------------------------------------------------------------------------


def update_profile(user: User, changes: dict[str, Any]) -> None:
    """Apply already-cleaned profile fields; a new username must be free."""
    username = changes.get("username")
    if username and username != user.username:
        other = user_by_username(username)
        if other is not None and other.id != user.id:
            raise AuthError(
                _("That username is taken; choose another."),
                code="username_taken",
                status=409,
                field="username",
            )
    for key in ("username", "name", "bio", "country", "links", "language", "timezone"):
        if key in changes:
            setattr(user, key, changes[key])
    db.session.flush()


# --- instructor applications ------------------------------------------------------------------


def pending_application(user: User) -> AuthInstructorApplication | None:
    return db.session.scalar(
        select(AuthInstructorApplication).where(
            AuthInstructorApplication.user_id == user.id,
            AuthInstructorApplication.status == ApplicationStatus.PENDING,
        )
    )


def latest_application(user: User) -> AuthInstructorApplication | None:
    return db.session.scalar(
        select(AuthInstructorApplication)
        .where(AuthInstructorApplication.user_id == user.id)
        .order_by(AuthInstructorApplication.created_at.desc(), AuthInstructorApplication.id.desc())
        .limit(1)
    )


def apply_for_instructor(user: User, bio: str, links: dict[str, str]) -> AuthInstructorApplication:
    if user.is_instructor:
        raise AuthError(_("You already teach here."), code="already_instructor", status=409)
    if pending_application(user) is not None:
        raise AuthError(
            _("Your application is already waiting for a decision."),
            code="already_pending",
            status=409,
        )
    if not bio.strip():
        raise AuthError(
            _("Tell us about yourself."), code="validation_error", status=422, field="bio"
        )
    application = AuthInstructorApplication(user_id=user.id, bio=bio, links=links)
    db.session.add(application)
    db.session.flush()
    _tell_reviewers_about(application)
    return application


def _tell_reviewers_about(application: AuthInstructorApplication) -> None:
    from flask import url_for

    from lms.notifications import notify

    reviewers = db.session.scalars(
        select(User).where(
            User.role == Role.ADMIN, User.is_deactivated.is_(False), User.is_banned.is_(False)
        )
    )
    for reviewer in reviewers:
        # Stored as text: written in the reviewer's language, not the applicant's.
        with user_locale(reviewer):
            notify(
                reviewer,
                "auth.application_submitted",
                _(
                    "Instructor application from %(name)s",
                    name=application.user.display_name,
                ),
                _("Read it and approve or decline it with a note."),
                url_for("auth.admin_applications"),
                application_id=application.id,
            )


def get_application(application_id: int) -> AuthInstructorApplication | None:
    if not 0 < application_id <= MAX_DB_INT:
        return None
    return db.session.get(AuthInstructorApplication, application_id)


def decide_application(
    application: AuthInstructorApplication, admin: User, *, approve: bool, note: str
) -> None:
    """Approve (the applicant becomes an instructor) or reject with a note; notify them."""
    from lms.notifications import notify

    if application.status != ApplicationStatus.PENDING:
        raise AuthError(
            _("This application has already been decided."), code="already_decided", status=409
        )
    if not approve and not note.strip():
        raise AuthError(
            _("Say why, so the applicant knows what to change."),
            code="validation_error",
            status=422,
            field="note",
        )
    application.status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
    application.note = note
    application.decided_at = utcnow()
    application.decided_by_id = admin.id
    applicant = application.user
    if approve and applicant.role == Role.STUDENT:
        old = applicant.role
        applicant.role = Role.INSTRUCTOR
        user_role_changed.send(applicant, old_role=old, new_role=Role.INSTRUCTOR, by=admin)
    # The notification and its mail are in the applicant's language.
    with user_locale(applicant):
        title = (
            _("Your instructor application was approved")
            if approve
            else _("Your instructor application was not approved")
        )
        notify(
            applicant,
            "auth.application_" + ("approved" if approve else "rejected"),
            title,
            note,
            "/auth/instructor",
            email=True,
            application_id=application.id,
        )
    db.session.flush()


def require_rule(func: Any, value: Any, field: str, *args: Any) -> Any:
    """Run a rules.* cleaner, turning its RuleError into an AuthError for `field`."""
    try:
        return func(value, *args)
    except RuleError as exc:
        raise AuthError(str(exc), code="validation_error", status=422, field=field) from None
