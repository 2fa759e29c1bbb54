"""The plugin loads, its migration creates exactly its models' tables, the fixture works."""

from __future__ import annotations

from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext


def test_plugin_is_enabled_with_its_settings(app):
    from lms.settings import get_setting
    from lms.state import lms_state

    with app.app_context():
        assert "live_classes" in lms_state(app).plugins
        assert get_setting("live_classes", "reminder_minutes") == 30
        assert get_setting("live_classes", "end_grace_minutes") == 15
        assert get_setting("live_classes", "offer_seconds") == 60
        assert get_setting("live_classes", "presence_grace_seconds") == 30
        assert get_setting("live_classes", "jitsi_url") == "https://meet.jit.si"
        # The school's time zone is the core's setting, not the plugin's own.
        assert get_setting("core", "timezone") == "UTC"
        assert "school_timezone" not in lms_state(app).plugins["live_classes"].default_settings


def test_migration_matches_the_models(app):
    from lms.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [d for d in compare_metadata(context, db.metadata) if "live_classes_" in repr(d)]
    assert diff == []


def test_create_live_class_fixture(app, school, create_live_class):
    from lms_live_classes.models import LiveClass

    from lms.extensions import db

    ref = create_live_class(school.course, seats=3, title="Optics")
    ended = create_live_class(school.course, starts_in=-timedelta(hours=2), status="ended")
    with app.app_context():
        row = db.session.get(LiveClass, ref.id)
        assert (row.title, row.seats, row.status, row.course_id) == (
            "Optics",
            3,
            "scheduled",
            school.course.id,
        )
        assert len(row.room_name) == 32
        assert row.ends_at - row.starts_at == timedelta(minutes=60)
        finished = db.session.get(LiveClass, ended.id)
        assert finished.status == "ended" and finished.ended_at is not None
        assert ref.room_name != ended.room_name


def test_the_school_time_zone_is_the_cores_admin_setting(app, school, signed_in):
    import pytest

    from lms.settings import SettingsError, set_setting

    page = signed_in(school.admin).get("/admin/settings").get_data(as_text=True)
    assert "School time zone" in page and "Europe/Paris" in page
    with app.app_context(), pytest.raises(SettingsError):
        set_setting("core", "timezone", "Mars/Olympus_Mons")
