"""The /live namespace with real Socket.IO clients against a real server (threaded Werkzeug).

Issue 9, acceptance 3: anonymous, revoked token, not enrolled, before the start and
after the end are refused; a student unenrolled mid-class is removed at once. And the
seats, the waitlist, offers, tabs, staff, chat and raised hands as students see them.
"""

from __future__ import annotations

import pytest
import socketio
from lms_live_classes.live_testing import LiveClient, api_token, wait_until

from lms.testing.plugin import session_cookie


@pytest.fixture
def settings(app):
    """Short offers and no grace, so that the tests do not wait."""
    from lms.extensions import db
    from lms.settings import set_setting

    def apply(**values):
        with app.app_context():
            for key, value in values.items():
                set_setting("live_classes", key, value)
            db.session.commit()

    return apply


@pytest.fixture
def clients(live_server):
    opened: list[LiveClient] = []

    def connect(class_id, **kw):
        c = LiveClient(live_server.url, class_id, **kw)
        opened.append(c)
        return c

    yield connect
    for c in opened:
        c.close()


def _intervals(app, class_id, user_id=None):
    from lms_live_classes.models import AttendanceInterval
    from sqlalchemy import select

    from lms.extensions import db

    with app.app_context():
        stmt = select(AttendanceInterval).where(AttendanceInterval.class_id == class_id)
        if user_id:
            stmt = stmt.where(AttendanceInterval.user_id == user_id)
        rows = db.session.scalars(stmt.order_by(AttendanceInterval.id)).all()
        return [(r.user_id, r.joined_at, r.left_at) for r in rows]


# --- refused -----------------------------------------------------------------------------------


def test_anonymous_client_is_refused(live_server, school, create_live_class):
    klass = create_live_class(school.course, status="live")
    with pytest.raises(socketio.exceptions.ConnectionError):
        LiveClient(live_server.url, klass.id)


def test_revoked_token_is_refused(app, client, live_server, school, create_live_class):
    klass = create_live_class(school.course, status="live")
    token = api_token(app, school.student)
    assert client.api("POST", "/api/v1/auth/logout", token=token).status_code == 200
    with pytest.raises(socketio.exceptions.ConnectionError):
        LiveClient(live_server.url, klass.id, token=token)


def test_student_not_enrolled_is_refused(app, live_server, school, create_live_class):
    klass = create_live_class(school.course, status="live")
    with pytest.raises(socketio.exceptions.ConnectionError, match="enrolled"):
        LiveClient(live_server.url, klass.id, token=api_token(app, school.outsider))


@pytest.mark.parametrize(
    ("status", "message"),
    [("scheduled", "not started"), ("ended", "over"), ("cancelled", "cancelled")],
)
def test_class_not_live_is_refused(app, live_server, school, create_live_class, status, message):
    klass = create_live_class(school.course, status=status)
    with pytest.raises(socketio.exceptions.ConnectionError, match=message):
        LiveClient(live_server.url, klass.id, token=api_token(app, school.student))


def test_unknown_or_missing_class_is_refused(app, live_server, school):
    token = api_token(app, school.student)
    for class_id in (987654, "nonsense", None):
        with pytest.raises(socketio.exceptions.ConnectionError):
            LiveClient(live_server.url, class_id, token=token)


def test_token_revoked_mid_class_removes_the_student_at_the_next_event(
    app, client, clients, school, create_live_class
):
    klass = create_live_class(school.course, status="live", seats=1)
    token = api_token(app, school.student)
    sam = clients(klass.id, token=token)
    assert sam.call("join")["state"] == "seated"
    nia = clients(klass.id, token=api_token(app, school.other_student))
    assert nia.call("join")["position"] == 1
    assert client.api("POST", "/api/v1/auth/logout", token=token).status_code == 200
    assert "error" in sam.call("heartbeat")
    sam.wait_for("removed")
    # The seat passed on at once.
    assert nia.wait_for("seat", lambda d: d["state"] == "offered")
    assert _intervals(app, klass.id, school.student.id)[-1][2] is not None


def test_student_unenrolled_during_the_class_is_removed_at_once(
    app, clients, school, create_live_class
):
    from lms_catalog import get_course, unenroll

    from lms.extensions import db
    from lms.models import User

    klass = create_live_class(school.course, status="live", seats=1)
    sam = clients(klass.id, token=api_token(app, school.student))
    assert sam.call("join")["state"] == "seated"
    nia = clients(klass.id, token=api_token(app, school.other_student))
    assert nia.call("join")["state"] == "waiting"
    with app.app_context():
        assert unenroll(db.session.get(User, school.student.id), get_course(school.course.id))
        db.session.commit()
    removed = sam.wait_for("removed")
    assert "no longer enrolled" in removed["message"]
    wait_until(lambda: not sam.sio.connected)
    assert nia.wait_for("seat", lambda d: d["state"] == "offered")
    assert _intervals(app, klass.id, school.student.id)[-1][2] is not None
    # And they cannot come back.
    with pytest.raises(socketio.exceptions.ConnectionError):
        LiveClient(sam.sio.connection_url, klass.id, token=api_token(app, school.student))


# --- seats, waitlist, offers -----------------------------------------------------------------


def test_full_class_waitlist_offer_and_take(app, clients, school, create_live_class, settings):
    settings(offer_seconds=30, presence_grace_seconds=0)
    klass = create_live_class(school.course, status="live", seats=1)
    teacher = clients(klass.id, token=api_token(app, school.instructor))
    assert teacher.call("join")["state"] == "staff"  # staff take no seat
    sam = clients(klass.id, token=api_token(app, school.student))
    assert sam.call("join")["state"] == "seated"
    nia = clients(klass.id, token=api_token(app, school.other_student))
    waiting = nia.call("join")
    assert (waiting["state"], waiting["position"]) == ("waiting", 1)
    teacher.wait_for(
        "roster", lambda r: [p["id"] for p in r["waitlist"]] == [school.other_student.id]
    )

    assert sam.call("leave")["state"] == "none"
    offer = nia.wait_for("seat", lambda d: d["state"] == "offered")
    assert 0 < offer["offer_expires_in"] <= 30
    assert nia.call("join")["state"] == "seated"
    roster = teacher.wait_for(
        "roster", lambda r: [p["id"] for p in r["seated"]] == [school.other_student.id]
    )
    assert roster["waitlist"] == []
    # An interval for each of them: Sam's closed when he left, Nia's open.
    assert _intervals(app, klass.id, school.student.id)[0][2] is not None
    assert _intervals(app, klass.id, school.other_student.id)[0][2] is None


def test_one_seat_whatever_the_tabs_and_it_frees_after_the_last_tab(
    app, clients, school, create_live_class, settings
):
    settings(presence_grace_seconds=0)
    klass = create_live_class(school.course, status="live", seats=1)
    token = api_token(app, school.student)
    tabs = [clients(klass.id, token=token) for _ in range(3)]
    assert [t.call("join")["state"] for t in tabs] == ["seated"] * 3
    nia = clients(klass.id, token=api_token(app, school.other_student))
    assert nia.call("join")["position"] == 1
    tabs[0].close()
    tabs[1].close()
    assert tabs[2].call("status")["state"] == "seated"
    assert len(_intervals(app, klass.id, school.student.id)) == 1
    tabs[2].close()
    # Grace 0: the next sweep (every second) frees the seat and offers it.
    nia.wait_for("seat", lambda d: d["state"] == "offered", timeout=10)
    assert _intervals(app, klass.id, school.student.id)[0][2] is not None


def test_coming_back_within_the_grace_keeps_the_seat(
    app, clients, school, create_live_class, settings
):
    settings(presence_grace_seconds=60)
    klass = create_live_class(school.course, status="live", seats=1)
    token = api_token(app, school.student)
    first = clients(klass.id, token=token)
    assert first.call("join")["state"] == "seated"
    first.close()
    again = clients(klass.id, token=token)
    assert again.call("join")["state"] == "seated"
    nia = clients(klass.id, token=api_token(app, school.other_student))
    assert nia.call("join")["state"] == "waiting"


def test_session_cookie_client_joins(
    app, make_client, login_as, clients, school, create_live_class
):
    klass = create_live_class(school.course, status="live")
    browser = login_as(make_client(), school.student)
    browser.get("/live/my-classes")
    sam = clients(klass.id, cookie=session_cookie(browser, app))
    assert sam.call("join")["state"] == "seated"


def test_class_ended_by_staff_tells_everyone(app, clients, school, create_live_class):
    from lms_live_classes import end_class, get_class

    from lms.extensions import db
    from lms.models import User

    klass = create_live_class(school.course, status="live")
    sam = clients(klass.id, token=api_token(app, school.student))
    sam.call("join")
    with app.app_context():
        end_class(get_class(klass.id), db.session.get(User, school.instructor.id))
        db.session.commit()
    assert "over" in sam.wait_for("ended")["message"]
    assert all(left is not None for _u, _j, left in _intervals(app, klass.id))


# --- chat and hands ---------------------------------------------------------------------------


def test_chat_is_sanitised_rate_limited_and_staff_delete(app, clients, school, create_live_class):
    klass = create_live_class(school.course, status="live")
    teacher = clients(klass.id, token=api_token(app, school.instructor))
    sam = clients(klass.id, token=api_token(app, school.student))
    sam.call("join")
    sent = sam.call("chat", {"body": 'Hello <script>alert(1)</script><b onclick="x()">there</b>'})
    assert "<script" not in sent["body"] and "onclick" not in sent["body"]
    assert "there" in teacher.wait_for("chat")["body"]
    assert sam.call("chat", {"body": "   "}) == {"error": "Write a message first."}
    assert "at most" in sam.call("chat", {"body": "x" * 1001})["error"]
    answers = [sam.call("chat", {"body": f"message {i}"}) for i in range(6)]
    assert any("too fast" in (a.get("error") or "") for a in answers)

    assert "staff" in sam.call("delete_message", {"id": sent["id"]})["error"]
    assert teacher.call("delete_message", {"id": sent["id"]}) == {"deleted": sent["id"]}
    assert sam.wait_for("chat_deleted")["id"] == sent["id"]
    assert "does not exist" in teacher.call("delete_message", {"id": "x"})["error"]


def test_raised_hand_reaches_the_staff_roster(app, clients, school, create_live_class):
    klass = create_live_class(school.course, status="live")
    teacher = clients(klass.id, token=api_token(app, school.instructor))
    sam = clients(klass.id, token=api_token(app, school.student))
    sam.call("join")
    assert sam.call("hand", {"raised": True}) == {"raised": True}
    roster = teacher.wait_for("roster", lambda r: school.student.id in r["hands"])
    assert roster["seated"][0]["hand"] is True
    assert "staff" in sam.call("roster")["error"]


def test_an_offer_not_taken_in_time_passes_to_the_next(
    app, clients, school, create_live_class, settings, create_user, create_enrolment
):
    settings(offer_seconds=5)
    third = create_user(name="Theo Third")
    create_enrolment(third, school.course)
    klass = create_live_class(school.course, status="live", seats=1)
    sam = clients(klass.id, token=api_token(app, school.student))
    nia = clients(klass.id, token=api_token(app, school.other_student))
    theo = clients(klass.id, token=api_token(app, third))
    assert sam.call("join")["state"] == "seated"
    assert nia.call("join")["position"] == 1
    assert theo.call("join")["position"] == 2
    sam.call("leave")
    nia.wait_for("seat", lambda d: d["state"] == "offered")
    theo.wait_for("seat", lambda d: d["state"] == "waiting" and d["position"] == 1)
    # Nia lets the 5 seconds pass: the seat goes to Theo, Nia is told.
    theo.wait_for("seat", lambda d: d["state"] == "offered", timeout=15)
    nia.wait_for("seat", lambda d: d["state"] == "none", timeout=5)
    assert theo.call("join")["state"] == "seated"
    # Coming back too late: the end of the line.
    assert nia.call("join")["state"] == "waiting"


def test_the_room_speaks_each_students_language(app, clients, school, create_live_class):
    """Answers in the student's own language; a removal decided by someone else's action
    (an admin unenrolling them, in English) reaches them in theirs too."""
    from lms_catalog import get_course, unenroll

    from lms.extensions import db
    from lms.models import User

    with app.app_context():
        db.session.get(User, school.student.id).language = "fr"
        db.session.commit()
    klass = create_live_class(school.course, status="live")
    sam = clients(klass.id, token=api_token(app, school.student))
    sam.call("join")
    assert sam.call("chat", {"body": "  "}) == {"error": "Écrivez d’abord un message."}
    assert sam.call("roster")["error"] == (
        "Seule l’équipe pédagogique de la séance voit la liste des participants."
    )
    with app.app_context():
        assert unenroll(db.session.get(User, school.student.id), get_course(school.course.id))
        db.session.commit()
    assert sam.wait_for("removed")["message"] == "Vous n’êtes plus inscrit à ce cours."
