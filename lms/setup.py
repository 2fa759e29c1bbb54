"""First start: create the school's first admin (the set-up page and `create-admin`)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import exists, func, select

from lms.extensions import db
from lms.i18n import _
from lms.models import utcnow
from lms.models.user import Role, User
from lms.settings import set_setting
from lms.signals import user_registered

MIN_PASSWORD_LENGTH = 10


class SetupError(ValueError):
    pass


def admin_exists() -> bool:
    return bool(db.session.scalar(select(exists().where(User.role == Role.ADMIN))))


def needs_setup() -> bool:
    """True until the school has its first admin (the home page then shows the set-up form)."""
    from lms.settings import get_setting

    if get_setting("core", "setup_done"):
        return False
    return not admin_exists()


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise SetupError(_("That e-mail address is not valid: %(reason)s", reason=exc)) from exc


def create_first_admin(
    *, email: str, password: str, name: str = "", site_name: str = "", via: str = "setup"
) -> User:
    """Create an admin (or promote the account with that e-mail); the caller commits."""
    email = normalise_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise SetupError(
            _("The password must have at least %(num)d characters.", num=MIN_PASSWORD_LENGTH)
        )
    if len(name) > 120:
        raise SetupError(_("The name must have at most %(num)d characters.", num=120))
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    created = user is None
    if created:
        user = User(email=email, name=name.strip())
        db.session.add(user)
    user.role = Role.ADMIN
    user.set_password(password)
    # The person installing the school typed this address themselves (on the set-up
    # page or the command line): it counts as confirmed, no mail is needed.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    if name.strip():
        user.name = name.strip()
    if site_name.strip():
        set_setting("core", "site_name", site_name.strip()[:120])
    set_setting("core", "setup_done", True)
    db.session.flush()
    if created:
        user_registered.send(user, via=via)
    return user
