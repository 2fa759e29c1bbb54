"""Mail jobs. They run in the worker, so the request answers the same whoever asked.

Each job takes ids (or the typed address) and reloads what it needs. Links in
the mails come from SITE_URL (`external_url` in the templates), never from the
Host header of the request that caused the mail.
"""

from __future__ import annotations

import logging

from lms.extensions import db
from lms.i18n import _, user_locale
from lms.mail import send_mail
from lms.tasks import job
from lms_auth import services
from lms_auth.models import EmailTokenPurpose

log = logging.getLogger(__name__)


@job(queue="mail", retries=3)
def send_verification(user_id: int) -> str:
    user = services.get_user(user_id)
    if user is None or user.is_email_verified or not user.is_active:
        return "skipped"
    token = services.issue_email_token(user, EmailTokenPurpose.VERIFY)
    with user_locale(user):  # the mail speaks its reader's language
        send_mail(
            user.email, _("Confirm your e-mail address"), "auth/mail/verify", user=user, token=token
        )
    db.session.commit()
    return "sent"


@job(queue="mail", retries=3)
def send_account_exists(user_id: int) -> str:
    user = services.get_user(user_id)
    if user is None or not user.is_active:
        return "skipped"
    with user_locale(user):
        send_mail(
            user.email, _("You already have an account"), "auth/mail/account_exists", user=user
        )
    db.session.commit()
    return "sent"


@job(queue="mail", retries=3)
def send_password_reset(email: str) -> str:
    user = services.user_by_email(email)
    if user is None or not user.is_active:
        # Nothing to send; the person who asked was told the same as everyone else.
        log.info("password reset asked for an address without an active account")
        return "skipped"
    token = services.issue_email_token(user, EmailTokenPurpose.RESET)
    with user_locale(user):
        send_mail(user.email, _("Reset your password"), "auth/mail/reset", user=user, token=token)
    db.session.commit()
    return "sent"
