"""Parallel test workers never share a database, a Redis database or a Socket.IO channel."""

from __future__ import annotations

import pytest

from lms.testing import workers


def test_workers_take_the_base_redis_database_then_the_spare_ones_from_the_top():
    assert [workers.redis_database_for_worker(9, n, 16) for n in range(3)] == [9, 15, 14]
    assert [workers.redis_database_for_worker(8, n, 16) for n in range(2)] == [8, 15]


def test_a_worker_never_takes_the_base_redis_database_or_one_below_it():
    with pytest.raises(RuntimeError, match="no spare database for xdist worker gw2"):
        workers.redis_database_for_worker(14, 2, 16)


def test_each_worker_has_its_own_postgres_database_and_channel(monkeypatch):
    url = "postgresql://postgres@127.0.0.1:5432/test"
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert workers.postgres_worker_url(url) == url
    assert workers.socketio_channel("lms-socketio") == "lms-socketio"

    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    assert workers.postgres_worker_url(url) == "postgresql://postgres@127.0.0.1:5432/test_gw1"
    assert workers.redis_worker_url("redis://127.0.0.1:6379/3").endswith("/15")
    assert workers.socketio_channel("lms-socketio") == "lms-socketio-gw1"


def test_the_app_publishes_socketio_events_on_the_configured_channel(app, test_config):
    assert app.config["SOCKETIO_CHANNEL"] == test_config["SOCKETIO_CHANNEL"]
    assert app.extensions["socketio"].server.manager.channel == app.config["SOCKETIO_CHANNEL"]
