"""The demo school gets live classes (past ones with attendance), once."""

from __future__ import annotations

from lms.extensions import db


def test_seed_demo_adds_classes_once(app):
    from lms_live_classes.models import AttendanceInterval, LiveClass

    result = app.test_cli_runner().invoke(args=["lms", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "live classes:" in result.output
    with app.app_context():
        classes = db.session.scalars(db.select(LiveClass)).all()
        statuses = {c.status for c in classes}
        intervals = db.session.scalar(db.select(db.func.count()).select_from(AttendanceInterval))
    assert classes and statuses == {"scheduled", "ended"}
    assert intervals > 0
    again = app.test_cli_runner().invoke(args=["lms", "seed-demo"])
    assert again.exit_code == 0, again.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LiveClass)) == len(classes)
