"""on_commit(): run an action once the current transaction commits, never after a rollback.

Jobs, real-time events, cache invalidation and file deletion all depend on a
change being saved: queued before the commit, a worker could look for a row
that is not there yet; run after a rollback, they would act on a change that
never happened. Every such action goes through this one helper::

    on_commit(lambda: get_storage().delete(old_key))

Actions are kept on the SQLAlchemy session, in the order they were added. A
rollback discards them; rolling back a savepoint discards only those added
inside it. An action that raises is logged and the others still run: the data
is already committed, so nothing can be undone any more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

_KEY = "lms_on_commit"

# (transaction it was added in, dedup key, action)
_Pending = list[tuple[SessionTransaction, Hashable | None, Callable[[], Any]]]


def on_commit(
    action: Callable[[], Any], *, key: Hashable | None = None, session: Session | None = None
) -> None:
    """Run `action()` after the current transaction of `session` commits.

    `key` runs an action once per transaction however often it is added (the
    first one added is kept). `session` defaults to the app's ``db.session``.
    """
    if session is None:
        from lms.extensions import db

        session = db.session()
    pending: _Pending = session.info.setdefault(_KEY, [])
    if key is not None and any(k == key for _tx, k, _a in pending):
        return
    # Begin the transaction the action belongs to if nothing has yet, so that
    # a rollback before any statement still discards it (no connection is used).
    tx = session.get_nested_transaction() or session.get_transaction() or session.begin()
    pending.append((tx, key, action))


def pending_actions(session: Session) -> int:
    """Return how many actions wait for `session`'s commit (for tests and debugging)."""
    return len(session.info.get(_KEY, []))


@event.listens_for(Session, "after_commit")
def _run_pending(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy also sends after_commit when a savepoint is released; the
        # outer transaction may still roll back.
        return
    for _tx, _key, action in session.info.pop(_KEY, []):
        try:
            action()
        except Exception:
            log.exception("after-commit action %r failed", action)


def _inside(tx: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while tx is not None:
        if tx is ended:
            return True
        tx = tx.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: _Pending | None = session.info.get(_KEY)
    if pending:
        session.info[_KEY] = [p for p in pending if not _inside(p[0], previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended: committed actions already ran (after_commit
    # comes first); whatever is left was rolled back or closed without a commit.
    if transaction.parent is None:
        session.info.pop(_KEY, None)
