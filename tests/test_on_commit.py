"""on_commit(): after-commit actions run once the change is saved, and never after a rollback."""

from __future__ import annotations

import threading

from lms.cache import forget_after_commit, remember
from lms.commit import on_commit, pending_actions
from lms.extensions import db
from lms.models import Setting
from lms.realtime import emit
from lms.testing.plugin import session_cookie


def _setting(key: str) -> Setting:
    return Setting(namespace="tests", key=key, value=1)


def test_actions_run_in_order_after_the_commit_not_before(app):
    ran: list[str] = []
    with app.app_context():
        db.session.add(_setting("a"))
        on_commit(lambda: ran.append("first"))
        on_commit(lambda: ran.append("second"))
        db.session.flush()
        assert ran == []
        db.session.commit()
        assert ran == ["first", "second"]
        # Once run, they are gone: the next commit runs nothing again.
        db.session.add(_setting("b"))
        db.session.commit()
        assert ran == ["first", "second"]


def test_a_rollback_discards_the_actions_even_at_a_later_commit(app):
    ran: list[str] = []
    with app.app_context():
        db.session.add(_setting("a"))
        on_commit(lambda: ran.append("rolled back"))
        db.session.rollback()
        assert pending_actions(db.session()) == 0
        db.session.add(_setting("b"))
        db.session.commit()
    assert ran == []


def test_a_keyed_action_runs_once_per_transaction(app):
    ran: list[int] = []
    with app.app_context():
        db.session.add(_setting("a"))
        for n in range(3):
            on_commit(lambda n=n: ran.append(n), key=("recount", 7))
        db.session.commit()
    assert ran == [0]


def test_a_savepoint_rollback_discards_only_what_was_added_inside_it(app):
    ran: list[str] = []
    with app.app_context():
        db.session.add(_setting("outer"))
        on_commit(lambda: ran.append("outer"))
        savepoint = db.session.begin_nested()
        db.session.add(_setting("inner"))
        on_commit(lambda: ran.append("inner"))
        savepoint.rollback()
        db.session.commit()
    assert ran == ["outer"]


def test_releasing_a_savepoint_is_not_the_commit(app):
    ran: list[str] = []
    with app.app_context():
        with db.session.begin_nested():
            db.session.add(_setting("inner"))
            on_commit(lambda: ran.append("inner"))
        # SQLAlchemy sends after_commit for the savepoint; nothing is saved yet.
        assert ran == []
        db.session.rollback()
        db.session.commit()
    assert ran == []


def test_a_failing_action_does_not_stop_the_others(app, caplog):
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("storage unreachable")

    with app.app_context():
        db.session.add(_setting("a"))
        on_commit(broken)
        on_commit(lambda: ran.append("after"))
        db.session.commit()
    assert ran == ["after"]
    assert "storage unreachable" in caplog.text


# --- each kind of after-commit work: none of it survives a rollback -------------------


def test_a_rolled_back_cache_invalidation_is_not_replayed(app):
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    with app.app_context():
        assert remember("menu", 60, compute) == 1
        forget_after_commit("menu")
        db.session.rollback()
        assert remember("menu", 60, compute) == 2  # forgotten at once (harmless)
        # The rolled-back change must not throw the fresh value away at a later commit.
        db.session.add(_setting("unrelated"))
        db.session.commit()
        assert remember("menu", 60, compute) == 2
        forget_after_commit("menu")
        db.session.commit()
        remember("menu", 60, compute)  # recomputed: cached values are forgotten once saved
    assert len(calls) == 3


def test_a_rolled_back_emit_never_reaches_the_client(
    app, client, create_user, login_as, socket_connect
):
    alice = create_user(name="Alice")
    login_as(client, alice)
    client.get("/notifications")
    sio = socket_connect(cookie=session_cookie(client, app))
    received: list[dict] = []
    second = threading.Event()

    def handler(data: dict) -> None:
        received.append(data)
        if data["n"] == 2:
            second.set()

    sio.on("ping-test", handler)
    with app.app_context():
        db.session.add(_setting("a"))
        on_commit(lambda: emit("ping-test", {"n": 1}, user_id=alice.id))
        db.session.rollback()
        db.session.add(_setting("b"))
        on_commit(lambda: emit("ping-test", {"n": 2}, user_id=alice.id))
        db.session.commit()
    # Events arrive in order through one Redis channel: once the second is
    # here, the first would have arrived before it.
    assert second.wait(5), "the committed event did not arrive"
    assert received == [{"n": 2}]
