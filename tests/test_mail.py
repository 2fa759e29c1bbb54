"""Outgoing mail: rendered in the request, delivered by the `mail` job over SMTP or to disk."""

from __future__ import annotations

import email
from pathlib import Path
from urllib.parse import urlsplit

from rq.registry import ScheduledJobRegistry

from lms.extensions import db
from lms.mail import send_mail
from lms.models import Task, TaskStatus, User
from lms.notifications import notify
from lms.tasks import get_queue
from lms.testing.servers import free_port, html_part, text_part
from lms.urls import site_url


def _notify_by_mail(app, user_id: int, **kwargs) -> None:
    """Notify a user with an e-mail copy from inside a request, as a page would."""
    with app.test_request_context("/courses/1/announce", method="POST"):
        user = db.session.get(User, user_id)
        notify(user, "tests.announcement", email=True, **kwargs)
        db.session.commit()


def test_notification_mail_is_delivered_over_smtp_with_text_and_html(
    app, worker, smtp_server, create_user
):
    user = create_user(email="ada@example.org", name="Ada Lovelace")
    _notify_by_mail(
        app,
        user.id,
        title="Your essay was graded",
        body="Well argued & clearly written.",
        link="/courses/1/essays/7",
    )
    # Nothing goes out during the request: delivery is the worker's job.
    assert smtp_server.messages == []
    with app.app_context():
        assert get_queue("mail").count == 1

    assert worker.run(["mail"]) == 1
    (msg,) = smtp_server.wait_for("ada@example.org")
    assert msg["Subject"] == "Your essay was graded"
    # From the school, not from "LMS <no-reply@localhost>".
    assert (
        msg["From"]
        == f"{app.config['LMS_SITE_NAME']} <no-reply@{urlsplit(site_url(app)).hostname}>"
    )
    assert msg["X-Envelope-To"] == "ada@example.org"
    assert msg["Message-ID"] and msg["Date"]
    assert msg.is_multipart() and msg.get_content_type() == "multipart/alternative"
    text = text_part(msg)
    html = html_part(msg)
    assert "Hello Ada Lovelace" in text and "Well argued & clearly written." in text
    assert "http://localhost/courses/1/essays/7" in text
    # HTML is escaped and links to the page with an absolute URL.
    assert "Well argued &amp; clearly written." in html
    assert 'href="http://localhost/courses/1/essays/7"' in html

    with app.app_context():
        task = db.session.scalar(db.select(Task).filter_by(name="lms.mail.deliver"))
        assert task.queue == "mail"
        assert task.status == TaskStatus.FINISHED
        assert task.result == f"smtp:{smtp_server.host}"


def test_mail_waits_for_the_mail_queue_not_other_queues(app, worker, smtp_server, create_user):
    user = create_user(email="bo@example.org")
    _notify_by_mail(app, user.id, title="Hello")
    assert worker.run(["default", "media"]) == 0
    assert smtp_server.messages == []
    worker.run(["mail"])
    assert len(smtp_server.wait_for("bo@example.org")) == 1


def test_without_mail_server_mail_is_written_to_the_instance_folder(app, worker, create_user):
    assert not app.config.get("MAIL_SERVER")
    user = create_user(email="cy@example.org", name="Cy")
    _notify_by_mail(app, user.id, title="Welcome to Chemistry", body="Class starts Monday.")
    worker.run(["mail"])

    files = sorted((Path(app.instance_path) / "mail").glob("*.eml"))
    assert len(files) == 1
    msg = email.message_from_bytes(files[0].read_bytes())
    assert msg["To"] == "cy@example.org"
    assert msg["Subject"] == "Welcome to Chemistry"
    assert "Class starts Monday." in text_part(msg)
    assert "Class starts Monday." in html_part(msg)
    with app.app_context():
        task = db.session.scalar(db.select(Task).filter_by(name="lms.mail.deliver"))
        assert task.status == TaskStatus.FINISHED and task.result == str(files[0])


def test_two_mails_in_the_same_instant_do_not_overwrite_each_other(app, worker, create_user):
    user = create_user(email="di@example.org")
    with app.test_request_context("/", method="POST"):
        for n in range(5):
            send_mail(
                "di@example.org", f"Mail {n}", "core/mail/notification",
                user=db.session.get(User, user.id),
                note=notify(db.session.get(User, user.id), "tests.x", f"Mail {n}"),
            )  # fmt: skip
        db.session.commit()
    worker.run(["mail"])
    subjects = sorted(
        email.message_from_bytes(p.read_bytes())["Subject"]
        for p in (Path(app.instance_path) / "mail").glob("*.eml")
    )
    assert subjects == [f"Mail {n}" for n in range(5)]


def test_mail_in_a_rolled_back_transaction_is_never_sent(app, worker, smtp_server, create_user):
    user = create_user(email="ed@example.org")
    with app.test_request_context("/", method="POST"):
        notify(db.session.get(User, user.id), "tests.x", "Should not go out", email=True)
        db.session.rollback()
    with app.app_context():
        assert get_queue("mail").count == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Task)) == 0
    assert worker.run(["mail"]) == 0
    assert smtp_server.messages == []


def test_unreachable_smtp_server_leaves_the_mail_task_for_retry(
    app, worker, create_user, smtp_server, monkeypatch
):
    user = create_user(email="fi@example.org")
    # The school's mail server is down: nothing listens on its port.
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    _notify_by_mail(app, user.id, title="Reset your password")
    worker.run(["mail"])
    with app.app_context():
        task = db.session.scalar(db.select(Task).filter_by(name="lms.mail.deliver"))
        # Mail is retried with backoff rather than lost.
        assert task.status == TaskStatus.QUEUED
        assert task.max_retries == 3
        assert "ConnectionRefusedError" in task.error
        assert ScheduledJobRegistry(queue=get_queue("mail")).count == 1
    assert smtp_server.messages == []


def test_mail_comes_from_the_schools_name_or_the_configured_sender(app, monkeypatch):
    from lms.mail import sender
    from lms.settings import set_setting

    with app.app_context():
        set_setting("core", "site_name", "Hill School")
        db.session.commit()
        assert sender().startswith("Hill School <no-reply@")
        monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "Office <office@hill.example>")
        assert sender() == "Office <office@hill.example>"
