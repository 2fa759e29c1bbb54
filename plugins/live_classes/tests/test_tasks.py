"""Periodic jobs: the auto-end with its grace, reminders sent once each (in-app and mail)."""

from __future__ import annotations

from datetime import timedelta

from lms.extensions import db


def _class(app, class_id):
    from lms_live_classes.models import LiveClass

    with app.app_context():
        row = db.session.get(LiveClass, class_id)
        db.session.expunge(row)
        return row


def _run_job(app, name):
    from lms_live_classes import tasks

    with app.app_context():
        return getattr(tasks, name)()


def test_a_class_left_live_ends_after_its_end_plus_the_grace(app, school, create_live_class):
    from lms_live_classes.models import AttendanceInterval, LiveClass

    # Began 70 minutes ago, 60 minutes long: 10 minutes past its end, inside the 15 of grace.
    ref = create_live_class(
        school.course, starts_in=-timedelta(minutes=70), duration_minutes=60, status="live"
    )
    with app.app_context():
        row = db.session.get(LiveClass, ref.id)
        begin = row.started_at
        db.session.add(
            AttendanceInterval(  # a student whose connection vanished 5 minutes before the end
                class_id=ref.id,
                user_id=school.student.id,
                joined_at=begin,
                last_seen_at=begin + timedelta(minutes=55),
            )
        )
        db.session.commit()
    assert _run_job(app, "auto_end_classes") == 0
    assert _class(app, ref.id).status == "live"

    with app.app_context():
        row = db.session.get(LiveClass, ref.id)
        row.starts_at = row.started_at = begin - timedelta(minutes=10)  # now 20 minutes past
        interval = db.session.scalars(db.select(AttendanceInterval)).one()
        interval.joined_at -= timedelta(minutes=10)
        interval.last_seen_at -= timedelta(minutes=10)
        db.session.commit()
        begin = row.started_at
    assert _run_job(app, "auto_end_classes") == 1
    ended = _class(app, ref.id)
    assert ended.status == "ended"
    # It ends at its scheduled end (nobody was there later), not when the job ran.
    assert ended.ended_at == ended.ends_at
    with app.app_context():
        [interval] = db.session.scalars(db.select(AttendanceInterval)).all()
        assert interval.left_at == interval.last_seen_at  # closed at the last heartbeat
    assert _run_job(app, "auto_end_classes") == 0  # nothing left to end


def test_the_grace_is_a_setting(app, school, create_live_class):
    from lms.settings import set_setting

    ref = create_live_class(
        school.course, starts_in=-timedelta(minutes=65), duration_minutes=60, status="live"
    )
    with app.app_context():
        set_setting("live_classes", "end_grace_minutes", 2)
        db.session.commit()
    assert _run_job(app, "auto_end_classes") == 1
    assert _class(app, ref.id).status == "ended"


def test_reminders_go_once_to_each_student_in_app_and_by_mail(
    app, school, create_live_class, worker, smtp_server
):
    from lms.models import Notification

    soon = create_live_class(school.course, title="Soon", starts_in=timedelta(minutes=20))
    later = create_live_class(school.course, title="Later", starts_in=timedelta(hours=5))
    create_live_class(
        school.course, title="Off", starts_in=timedelta(minutes=10), status="cancelled"
    )

    assert _run_job(app, "send_reminders") == 1
    assert _run_job(app, "send_reminders") == 0  # claimed already: never twice
    worker.run()  # the reminder job
    worker.run()  # the mails
    assert _run_job(app, "send_reminders") == 0

    with app.app_context():
        notes = db.session.scalars(
            db.select(Notification).where(Notification.kind == "live_class_reminder")
        ).all()
        assert sorted(n.user_id for n in notes) == sorted(
            [school.student.id, school.other_student.id]
        )
        assert {n.title for n in notes} == {"Live class soon: Soon"}
        assert all(n.link == f"/live/classes/{soon.id}" for n in notes)
    for person in (school.student, school.other_student):
        subjects = [m["Subject"] for m in smtp_server.to(person.email)]
        assert sorted(subjects) == ["Live class cancelled: Off", "Live class soon: Soon"]
    assert smtp_server.to(school.instructor.email) == []
    assert _class(app, later.id).reminder_sent_at is None


def test_each_student_is_reminded_in_their_own_language_and_time_zone(
    app, school, create_live_class, worker
):
    from datetime import UTC, datetime

    from lms.models import Notification, User

    with app.app_context():
        student = db.session.get(User, school.student.id)
        student.language, student.timezone = "fr", "Europe/Paris"
        db.session.commit()
    ref = create_live_class(school.course, title="Optique", starts_in=timedelta(days=1))
    with app.app_context():
        from lms_live_classes import tasks
        from lms_live_classes.models import LiveClass

        db.session.get(LiveClass, ref.id).starts_at = datetime(2031, 1, 15, 17, 0, tzinfo=UTC)
        db.session.commit()
        assert tasks.remind_students(ref.id) == 2
        notes = {
            n.user_id: n
            for n in db.session.scalars(
                db.select(Notification).where(Notification.kind == "live_class_reminder")
            )
        }
    french, english = notes[school.student.id], notes[school.other_student.id]
    assert french.title == "Séance en direct bientôt : Optique"
    assert "15 janvier 2031" in french.body and "18:00" in french.body  # Paris: UTC+1
    assert english.title == "Live class soon: Optique"
    assert "January 15, 2031" in english.body and "5:00" in english.body  # the school's: UTC


def test_the_reminder_lead_is_a_setting_and_a_new_time_gets_a_new_reminder(
    app, school, signed_in, create_live_class, worker
):
    from lms.settings import set_setting

    ref = create_live_class(school.course, starts_in=timedelta(minutes=50))
    assert _run_job(app, "send_reminders") == 0  # 30 minutes by default
    with app.app_context():
        set_setting("live_classes", "reminder_minutes", 60)
        db.session.commit()
    assert _run_job(app, "send_reminders") == 1
    assert _class(app, ref.id).reminder_sent_at is not None

    # Moved to another time: the reminder will be sent again for the new time.
    r = signed_in(school.instructor).api(
        "PATCH",
        f"/api/v1/live/classes/{ref.id}",
        json={"starts_at": (_class(app, ref.id).starts_at + timedelta(days=1)).isoformat()},
    )
    assert r.status_code == 200
    assert _class(app, ref.id).reminder_sent_at is None


def test_the_periodic_jobs_are_declared(app):
    from lms.state import lms_state

    plugin = lms_state(app).plugins["live_classes"]
    jobs = {job.name: job for job in plugin.get_periodic_jobs()}
    assert set(jobs) == {"live-classes-auto-end", "live-classes-reminders"}


def test_a_class_started_late_runs_its_full_duration(app, school, create_live_class):
    from lms_live_classes.models import LiveClass

    from lms.models import utcnow

    # Scheduled 2 hours ago for 30 minutes, started only 10 minutes ago.
    ref = create_live_class(
        school.course, starts_in=-timedelta(hours=2), duration_minutes=30, status="live"
    )
    with app.app_context():
        row = db.session.get(LiveClass, ref.id)
        row.started_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
    assert _run_job(app, "auto_end_classes") == 0
    assert _class(app, ref.id).status == "live"
    with app.app_context():
        row = db.session.get(LiveClass, ref.id)
        row.started_at = utcnow() - timedelta(minutes=50)  # 30 minutes + 15 of grace are over
        db.session.commit()
    assert _run_job(app, "auto_end_classes") == 1
    ended = _class(app, ref.id)
    assert ended.ended_at == ended.started_at + timedelta(minutes=30)
