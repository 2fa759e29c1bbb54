"""Shared fixtures of the auth plugin's tests (the core's fixtures come from lms.testing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask


@pytest.fixture(autouse=True)
def _school_is_set_up(app: Flask) -> None:
    """Skip the first-start page: these tests are about accounts, not installation."""
    from lms.extensions import db
    from lms.settings import set_setting

    with app.app_context():
        set_setting("core", "setup_done", True)
        db.session.commit()


@pytest.fixture
def mail(smtp_server: Any, worker: Any) -> Callable[[str, int], list[Any]]:
    """Return fetch(address, count=1): run the queued jobs, then the mails to `address`."""

    def fetch(address: str, count: int = 1) -> list[Any]:
        worker.run()
        return smtp_server.wait_for(address, count=count)

    return fetch


@pytest.fixture
def config(app: Flask) -> Iterator[Callable[..., None]]:
    """Return set(**keys): change app.config for this test only."""
    saved: dict[str, Any] = {}

    def set_(**values: Any) -> None:
        for key, value in values.items():
            saved.setdefault(key, app.config.get(key))
            app.config[key] = value

    yield set_
    app.config.update(saved)
