"""Mail jobs. They run in the worker, so the request answers the same whoever asked.

Each job takes ids (or the typed address), reloads what it needs and renders
the mail inside a request context built on the site's address, so links in
the mail point at the site the person used.
"""

from __future__ import annotations

import logging

from flask import current_app

from lms.extensions import db
from lms.mail import send_mail
from lms.tasks import job
from lms_auth import services
from lms_auth.models import EmailTokenPurpose

log = logging.getLogger(__name__)


@job(queue="mail", retries=3)
def send_verification(user_id: int, base_url: str) -> str:
    user = services.get_user(user_id)
    if user is None or user.is_email_verified or not user.is_active:
        return "skipped"
    with current_app.test_request_context(base_url=base_url):
        token = services.issue_email_token(user, EmailTokenPurpose.VERIFY)
        send_mail(
            user.email, "Confirm your e-mail address", "auth/mail/verify", user=user, token=token
        )
        db.session.commit()
    return "sent"


@job(queue="mail", retries=3)
def send_account_exists(user_id: int, base_url: str) -> str:
    user = services.get_user(user_id)
    if user is None or not user.is_active:
        return "skipped"
    with current_app.test_request_context(base_url=base_url):
        send_mail(user.email, "You already have an account", "auth/mail/account_exists", user=user)
        db.session.commit()
    return "sent"


@job(queue="mail", retries=3)
def send_password_reset(email: str, base_url: str) -> str:
    user = services.user_by_email(email)
    if user is None or not user.is_active:
        # Nothing to send; the person who asked was told the same as everyone else.
        log.info("password reset asked for an address without an active account")
        return "skipped"
    with current_app.test_request_context(base_url=base_url):
        token = services.issue_email_token(user, EmailTokenPurpose.RESET)
        send_mail(user.email, "Reset your password", "auth/mail/reset", user=user, token=token)
        db.session.commit()
    return "sent"
