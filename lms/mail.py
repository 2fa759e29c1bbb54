"""Outgoing mail: always through the `mail` queue, over SMTP or into the instance folder."""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template

from lms.i18n import user_locale
from lms.tasks import enqueue, job

log = logging.getLogger(__name__)


def send_mail(
    to: str,
    subject: str,
    template: str,
    *,
    user: Any = None,
    language: str | None = None,
    **context: object,
) -> None:
    """Queue a mail rendered from `<template>.txt` and `<template>.html`.

    The mail speaks the recipient's language, not the request's: `language`
    if given, else `user`'s (the recipient, also passed to the templates as
    ``user``), else the site's default. Pass `subject` as a lazy ``_l(...)``
    string: it is translated here, in that language. Dates in the templates
    use the recipient's time zone.

    Rendering happens now (in the request, with its URLs); delivery happens in
    the worker after the current transaction commits.
    """
    if user is not None:
        context["user"] = user
    recipient = user
    if language is not None:
        recipient = SimpleNamespace(language=language, timezone=getattr(user, "timezone", None))
    with user_locale(recipient):
        subject = str(subject)
        text = render_template(f"{template}.txt", **context)
        html = render_template(f"{template}.html", **context)
    enqueue(deliver, to, subject, text, html)


def sender() -> str:
    """Return the From address: the configured sender, else the school's name at the site's host."""
    configured = current_app.config.get("MAIL_DEFAULT_SENDER")
    if configured:
        return configured
    from lms.settings import get_setting
    from lms.urls import site_url

    name = get_setting("core", "site_name") or current_app.config["LMS_SITE_NAME"]
    host = urlsplit(site_url()).hostname or "localhost"
    return formataddr((name, f"no-reply@{host}"))


def build_message(to: str, subject: str, text: str, html: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender()
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="lms.local")
    msg["Date"] = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


@job(queue="mail", retries=3)
def deliver(to: str, subject: str, text: str, html: str) -> str:
    """Job: send one message; returns where it went."""
    msg = build_message(to, subject, text, html)
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        return _write_to_folder(msg)
    smtp_cls = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
    kwargs = {"timeout": cfg["MAIL_TIMEOUT"]}
    if cfg["MAIL_USE_SSL"]:
        kwargs["context"] = ssl.create_default_context()
    with smtp_cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], **kwargs) as smtp:
        if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(msg)
    log.info("mail %r sent to %s via %s", subject, to, cfg["MAIL_SERVER"])
    return f"smtp:{cfg['MAIL_SERVER']}"


def mail_folder() -> Path:
    folder = Path(current_app.instance_path) / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_to_folder(msg: EmailMessage) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = mail_folder() / f"{stamp}.eml"
    path.write_bytes(bytes(msg))
    log.info(
        "mail %r to %s written to %s (MAIL_SERVER is not set)\n%s",
        msg["Subject"],
        msg["To"],
        path,
        msg.get_body(("plain",)).get_content(),
    )
    return str(path)
