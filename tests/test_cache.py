"""The per-process cache: values come back until they expire or are forgotten after commit."""

from lms.cache import forget_after_commit, remember
from lms.extensions import db


def test_a_value_is_computed_once_until_forgotten_after_commit(app) -> None:
    calls = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    with app.app_context():
        assert remember("k", 60, compute) == 1
        assert remember("k", 60, compute) == 1  # cached
        forget_after_commit("k")
        assert remember("k", 60, compute) == 2  # forgotten at once...
        assert remember("k", 60, compute) == 2
        db.session.commit()
        assert remember("k", 60, compute) == 3  # ...and again after the commit


def test_a_zero_lifetime_never_caches(app) -> None:
    with app.app_context():
        values = iter(range(5))
        assert [remember("z", 0, lambda: next(values)) for _ in range(3)] == [0, 1, 2]
