"""State changes hold when two processes try them at once, and times convert exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from lms.extensions import db


def test_a_state_change_made_elsewhere_meanwhile_is_refused(app, school, create_live_class):
    """A class loaded as live but ended meanwhile in the database cannot be ended again."""
    from lms_live_classes import LiveClassError, end_class
    from lms_live_classes.models import LiveClass
    from sqlalchemy import update

    from lms.models import User

    ref = create_live_class(school.course, status="live")
    with app.app_context():
        teacher = db.session.get(User, school.instructor.id)
        mine = db.session.get(LiveClass, ref.id)
        assert mine.status == "live"
        # The row changes under our loaded copy, as another process's commit would change it.
        db.session.execute(
            update(LiveClass)
            .where(LiveClass.id == ref.id)
            .values(status="ended", ended_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
        assert mine.status == "live"  # our copy is stale
        with pytest.raises(LiveClassError) as refused:
            end_class(mine, teacher)
        assert refused.value.status == 409
        db.session.rollback()


def test_wall_clock_times_convert_to_utc_and_back():
    from lms_live_classes.timezones import LocalTimeError, format_when, to_utc

    paris = ZoneInfo("Europe/Paris")
    assert to_utc(date(2031, 1, 10), time(9, 0), paris) == datetime(2031, 1, 10, 8, 0, tzinfo=UTC)
    assert to_utc(date(2031, 7, 10), time(9, 0), paris) == datetime(2031, 7, 10, 7, 0, tzinfo=UTC)
    # Autumn: 02:30 happens twice; the first one (still summer time) is meant.
    assert to_utc(date(2031, 10, 26), time(2, 30), paris) == datetime(
        2031, 10, 26, 0, 30, tzinfo=UTC
    )
    with pytest.raises(LocalTimeError):
        to_utc(date(2031, 3, 30), time(2, 30), paris)
    instant = datetime(2031, 7, 10, 7, 0, tzinfo=UTC)
    assert "9:00" in format_when(instant, paris) and "7:00" in format_when(instant, ZoneInfo("UTC"))
    assert format_when(None, paris) == ""


def test_a_users_own_time_zone_wins_over_the_schools(app):
    from types import SimpleNamespace

    from lms_live_classes.timezones import viewer_zone

    from lms.settings import set_setting

    with app.app_context():
        set_setting("core", "timezone", "Asia/Tokyo")
        db.session.commit()
        assert viewer_zone(None).key == "Asia/Tokyo"
        assert viewer_zone(SimpleNamespace(timezone="America/Lima")).key == "America/Lima"
        assert viewer_zone(SimpleNamespace(timezone="Not/AZone")).key == "Asia/Tokyo"
        assert viewer_zone(SimpleNamespace(timezone=None)).key == "Asia/Tokyo"


def test_the_class_times_on_pages_follow_the_school_zone(app, school, signed_in, create_live_class):
    from lms.settings import set_setting

    ref = create_live_class(
        school.course, starts_at=datetime(2031, 1, 15, 23, 0, tzinfo=UTC), duration_minutes=30
    )
    student = signed_in(school.student)
    page = student.get(f"/live/classes/{ref.id}").get_data(as_text=True)
    assert "11:00:00\u202fPM" in page or "11:00:00 PM" in page  # UTC by default
    with app.app_context():
        set_setting("core", "timezone", "Asia/Tokyo")  # UTC+9: the next morning
        db.session.commit()
    page = student.get(f"/live/classes/{ref.id}").get_data(as_text=True)
    assert "January 16, 2031" in page and ("8:00:00\u202fAM" in page or "8:00:00 AM" in page)
    assert "Asia/Tokyo" in page
    assert ref.id and timedelta(minutes=30)


def test_two_simultaneous_ends_let_exactly_one_through(app, school, create_live_class):
    """Two threads, each with its own session and connection, end the same class at once:
    exactly one ends it, the other is refused, the signal goes once."""
    import threading

    from lms_live_classes import LiveClassError, class_ended, end_class, get_class

    from lms.models import User

    ref = create_live_class(school.course, status="live")
    with app.app_context():
        # SQLite takes the write lock at a job's first query (BEGIN IMMEDIATE): the
        # second thread waits for the first to commit, so both cannot hold the class
        # at once there. PostgreSQL lets both load it, then race.
        racing = db.engine.dialect.name != "sqlite"
    barrier = threading.Barrier(2 if racing else 1)
    results: list[str] = []
    sent: list[int] = []

    def on_end(sender, **_):
        sent.append(sender.id)

    def worker() -> None:
        with app.app_context():
            teacher = db.session.get(User, school.instructor.id)
            live_class = get_class(ref.id)  # both load it while it is live
            barrier.wait()
            try:
                end_class(live_class, teacher)
                db.session.commit()
                results.append("ended")
            except LiveClassError as exc:
                db.session.rollback()
                results.append(exc.code)
            finally:
                db.session.remove()

    class_ended.connect(on_end)
    try:
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        class_ended.disconnect(on_end)
    assert sorted(results) == ["ended", "not_live"]
    assert sent == [ref.id]
