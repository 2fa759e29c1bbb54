"""Presence in Redis: tabs, grace, ghosts and eviction, with the seats they hold."""

from __future__ import annotations

import time

import pytest
import redis
from lms_live_classes.presence import ACTIVE_CLASSES, Presence, presence_keys
from lms_live_classes.seats import Seats, key_prefix, seat_keys

CLASS_ID = 535353


@pytest.fixture
def client(redis_url):
    r = redis.Redis.from_url(redis_url)

    def wipe():
        keys = r.keys(key_prefix(CLASS_ID) + "*")
        if keys:
            r.delete(*keys)

    wipe()
    yield r
    wipe()


class _Unswept(Presence):
    """A class no web process's sweeper knows (these tests sweep it themselves)."""

    def connect(self, sid, user_id):
        first = super().connect(sid, user_id)
        self.client.srem(ACTIVE_CLASSES, self.class_id)
        return first


def _pair(client, **kw):
    seats = Seats(client, CLASS_ID, capacity=1, offer_seconds=kw.pop("offer_seconds", 60))
    presence = _Unswept(client, CLASS_ID, capacity=1, offer_seconds=60, **kw)
    return seats, presence


def test_seat_is_kept_while_one_tab_remains_and_freed_after_the_grace(client):
    seats, presence = _pair(client, grace_seconds=0.3)
    assert presence.connect("tab1", 1) is True
    assert presence.connect("tab2", 1) is False  # the same student, another tab
    seats.claim(1)
    assert presence.enter_room(1) is True
    assert presence.enter_room(1) is False  # one interval, not two
    seats.claim(2)
    presence.connect("b", 2)
    assert presence.disconnect("tab1", 1) == (False, False)
    time.sleep(0.4)
    assert presence.sweep().freed == []
    assert presence.disconnect("tab2", 1) == (True, True)
    assert presence.sweep().freed == []  # within the grace
    assert seats.status(1).state == "seated"
    time.sleep(0.4)
    result = presence.sweep()
    assert result.freed == [1] and result.offered == [2]
    assert seats.status(1).state == "none"


def test_coming_back_within_the_grace_keeps_the_seat(client):
    seats, presence = _pair(client, grace_seconds=0.3)
    presence.connect("a", 1)
    seats.claim(1)
    presence.disconnect("a", 1)
    presence.connect("a2", 1)
    time.sleep(0.4)
    assert presence.sweep().freed == []
    assert seats.status(1).state == "seated"


def test_a_ghost_is_removed_at_its_last_heartbeat(client):
    seats, presence = _pair(client, grace_seconds=0.2, ghost_seconds=0.3)
    presence.connect("ghost", 1)
    seats.claim(1)
    presence.enter_room(1)
    presence.connect("alive", 2)
    time.sleep(0.2)
    assert presence.heartbeat("alive")
    time.sleep(0.2)
    assert presence.heartbeat("alive")
    result = presence.sweep()
    assert [u for u, _seen in result.ghosts] == [1]
    assert result.freed == [1]  # its grace counted from the last sign of life
    assert presence.present() == {2}
    assert presence.heartbeat("ghost") is False  # the page must join again


def test_evict_removes_every_tab_and_the_seat_at_once(client):
    seats, presence = _pair(client)
    presence.connect("a", 1)
    presence.connect("b", 1)
    seats.claim(1)
    presence.enter_room(1)
    seats.claim(2)
    sids, left, offered = presence.evict(1)
    assert sorted(sids) == ["a", "b"] and left and offered == [2]
    assert presence.present() == set()
    assert seats.status(1).state == "none"


def test_unknown_disconnect_changes_nothing(client):
    _seats, presence = _pair(client)
    assert presence.disconnect("nobody", 9) == (False, False)


def test_keys_share_the_class_hash_tag():
    for key in presence_keys(CLASS_ID) + seat_keys(CLASS_ID):
        assert f"{{live:{CLASS_ID}}}" in key
