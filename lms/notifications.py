"""In-app notifications (the bell, live) with an optional e-mail copy."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import func, select

from lms.commit import on_commit
from lms.extensions import db
from lms.i18n import user_locale
from lms.models.notification import Notification
from lms.models.user import User
from lms.realtime import emit
from lms.signals import notification_created


def notify(
    user: User,
    kind: str,
    title: str,
    body: str = "",
    link: str | None = None,
    *,
    email: bool = False,
    **data: Any,
) -> Notification:
    """Store a notification for `user`, push it live, optionally mail it (caller commits).

    Pass `title` and `body` as lazy ``_l(...)`` strings: they are stored in the
    recipient's language (their choice, else the site's), not the request's.
    """
    with user_locale(user):
        title, body = str(title), str(body)
    note = Notification(
        user_id=user.id, kind=kind, title=title[:200], body=body, link=link, data=data
    )
    db.session.add(note)
    db.session.flush()
    notification_created.send(note)
    on_commit(
        partial(
            emit,
            "notification",
            {"id": note.id, "title": note.title, "link": link},
            user_id=user.id,
        )
    )
    if email:
        from lms.mail import send_mail

        send_mail(user.email, title, "core/mail/notification", user=user, note=note)
    return note


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )
