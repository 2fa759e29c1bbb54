"""Seats in Redis: exact under simultaneous claims from threads and processes, waitlist order,
offers passing on, one seat per student whatever the tabs. Real Redis (REDIS_URL or embedded)."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest
import redis
from lms_live_classes.seats import Seats, seat_keys

CLASS_ID = 424242


@pytest.fixture
def client(redis_url):
    r = redis.Redis.from_url(redis_url)
    r.delete(*seat_keys(CLASS_ID))
    yield r
    r.delete(*seat_keys(CLASS_ID))


def _claim_in_process(url: str, users: list[int], capacity: int, start, out) -> None:
    seats = Seats(redis.Redis.from_url(url), CLASS_ID, capacity)
    start.wait()
    out.put([(u, seats.claim(u).state) for u in users])


def test_threads_claiming_at_once_fill_exactly_the_seats(client):
    seats = Seats(client, CLASS_ID, capacity=30)
    barrier = threading.Barrier(100)
    results: dict[int, str] = {}

    def claim(user: int) -> None:
        mine = Seats(redis.Redis(connection_pool=client.connection_pool), CLASS_ID, 30)
        barrier.wait()
        results[user] = mine.claim(user).state

    threads = [threading.Thread(target=claim, args=(u,)) for u in range(1, 101)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for s in results.values() if s == "seated") == 30
    assert sum(1 for s in results.values() if s == "waiting") == 70
    snap = seats.snapshot()
    assert len(snap.seated) == 30 and len(snap.waitlist) == 70
    assert set(snap.seated) == {u for u, s in results.items() if s == "seated"}


def test_processes_claiming_at_once_fill_exactly_the_seats(client, redis_url):
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    groups = [list(range(1 + 50 * i, 51 + 50 * i)) for i in range(4)]
    procs = [
        ctx.Process(target=_claim_in_process, args=(redis_url, g, 25, start, out)) for g in groups
    ]
    for p in procs:
        p.start()
    time.sleep(1.0)  # let them all import and connect, then release them together
    start.set()
    answers = [a for _ in procs for a in out.get(timeout=60)]
    for p in procs:
        p.join(30)
    seated = [u for u, s in answers if s == "seated"]
    assert len(seated) == 25
    snap = Seats(client, CLASS_ID, 25).snapshot()
    assert sorted(seated) == snap.seated
    assert len(snap.waitlist) == 175


def test_waitlist_keeps_arrival_order_and_positions(client):
    seats = Seats(client, CLASS_ID, capacity=1)
    assert seats.claim(10).state == "seated"
    assert [seats.claim(u).position for u in (11, 12, 13)] == [1, 2, 3]
    # Asking again (another tab) keeps the place.
    again = seats.claim(12)
    assert (again.state, again.position) == ("waiting", 2)
    assert seats.status(13).position == 3
    seats.release(11)
    assert seats.status(12).position == 1 and seats.status(13).position == 2
    assert seats.snapshot().waitlist == [12, 13]


def test_one_seat_per_student_however_many_tabs(client):
    seats = Seats(client, CLASS_ID, capacity=2)
    assert [seats.claim(7).state for _ in range(5)] == ["seated"] * 5
    assert seats.claim(8).state == "seated"
    assert seats.claim(9).state == "waiting"
    assert seats.snapshot().seated == [7, 8]


def test_freed_seat_is_offered_to_the_head_and_taken(client):
    seats = Seats(client, CLASS_ID, capacity=1, offer_seconds=60)
    seats.claim(1)
    seats.claim(2)
    seats.claim(3)
    released = seats.release(1)
    assert released.had_seat and released.offered == [2]
    status = seats.status(2)
    assert status.state == "offered" and status.offer_expires_ms > 0
    # The seat is held for 2: a newcomer queues, 3 stays second in line.
    assert seats.claim(4).state == "waiting"
    assert seats.claim(2).state == "seated"
    assert seats.snapshot().seated == [2]
    assert seats.snapshot().waitlist == [3, 4]


def test_an_expired_offer_passes_to_the_next(client):
    seats = Seats(client, CLASS_ID, capacity=1, offer_seconds=0.3)
    for u in (1, 2, 3):
        seats.claim(u)
    assert seats.release(1).offered == [2]
    time.sleep(0.5)
    expired, offered = seats.tick()
    assert (expired, offered) == ([2], [3])
    assert seats.status(2).state == "none"
    assert seats.status(3).state == "offered"
    # Coming back too late: the end of the line.
    assert seats.claim(2).state == "waiting"
    assert seats.claim(3).state == "seated"


def test_declining_an_offer_passes_it_on_at_once(client):
    seats = Seats(client, CLASS_ID, capacity=1)
    for u in (1, 2, 3):
        seats.claim(u)
    seats.release(1)
    declined = seats.release(2)
    assert not declined.had_seat and declined.offered == [3]


def test_releasing_someone_without_a_seat_changes_nothing(client):
    seats = Seats(client, CLASS_ID, capacity=1)
    seats.claim(1)
    result = seats.release(99)
    assert (result.had_seat, result.offered) == (False, [])
    assert seats.snapshot().seated == [1]


def test_thirty_leave_at_once_and_exactly_the_next_thirty_are_offered(client):
    seats = Seats(client, CLASS_ID, capacity=30)
    for u in range(1, 101):
        seats.claim(u)
    offered: list[int] = []
    lock = threading.Lock()

    def leave(user: int) -> None:
        result = Seats(redis.Redis(connection_pool=client.connection_pool), CLASS_ID, 30).release(
            user
        )
        with lock:
            offered.extend(result.offered)

    threads = [threading.Thread(target=leave, args=(u,)) for u in range(1, 31)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(offered) == list(range(31, 61))
    assert seats.snapshot().waitlist == list(range(61, 101))


def test_zero_capacity_waitlists_everyone(client):
    seats = Seats(client, CLASS_ID, capacity=0)
    assert seats.claim(1).state == "waiting"
