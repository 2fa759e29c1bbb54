"""A site whose database is missing or not migrated says so instead of crashing."""

from __future__ import annotations

from pathlib import Path

from lms.app import create_app


def test_unmigrated_database_answers_503_with_the_fix(test_config, tmp_path: Path) -> None:
    app = create_app(
        {
            **test_config,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
            "LMS_INSTANCE_PATH": str(tmp_path),
        }
    )
    client = app.test_client()

    page = client.get("/")
    assert page.status_code == 503
    assert "flask --app wsgi lms upgrade" in page.get_data(as_text=True)

    api = client.get("/api/v1/no-such-thing-but-db-first", headers={"Accept": "application/json"})
    assert api.status_code in (404, 503)
    assert api.is_json and "error" in api.json


def test_unreachable_database_answers_503(test_config, tmp_path: Path) -> None:
    app = create_app(
        {
            **test_config,
            "LMS_INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        }
    )
    response = app.test_client().get("/")
    assert response.status_code == 503
    assert "not answering" in response.get_data(as_text=True)
