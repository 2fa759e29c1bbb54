"""A refused service action answers with its own message and code, and saves nothing."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import func, select

from lms.app import create_app
from lms.errors import ServiceError
from lms.extensions import db
from lms.models import Setting


def test_service_error_becomes_a_json_error_and_rolls_back(app, test_config) -> None:
    refusing = create_app(dict(test_config))
    bp = Blueprint("refusal_test", __name__)

    @bp.route("/api/v1/refuse", methods=["GET"])
    def refuse() -> str:
        db.session.add(Setting(namespace="core", key="half-done", value=1))
        db.session.flush()
        raise ServiceError.invalid("title", "A title needs at least 3 characters.")

    refusing.register_blueprint(bp)
    response = refusing.test_client().get("/api/v1/refuse")

    assert response.status_code == 422
    assert response.json == {
        "error": {
            "code": "validation_error",
            "message": "A title needs at least 3 characters.",
            "fields": {"title": ["A title needs at least 3 characters."]},
        }
    }
    with refusing.app_context():
        assert db.session.scalar(select(func.count()).select_from(Setting)) == 0


def test_attempt_commits_and_flashes_or_rolls_back_and_says_why(app) -> None:
    from flask import get_flashed_messages

    from lms.actions import attempt

    def add(key: str) -> None:
        db.session.add(Setting(namespace="core", key=key, value=1))
        db.session.flush()

    def refuse() -> None:
        add("refused")
        raise ServiceError("Not now.")

    with app.test_request_context("/", method="POST"):
        assert attempt(lambda: add("kept"), "Saved.") is True
        assert attempt(refuse, "never shown") is False
        assert get_flashed_messages(with_categories=True) == [
            ("success", "Saved."),
            ("error", "Not now."),
        ]
        keys = db.session.scalars(select(Setting.key)).all()
    assert keys == ["kept"]
