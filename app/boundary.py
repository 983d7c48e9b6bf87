"""The one request boundary: a view that returns commits once, anything that raises rolls back.

Indico's request handler ends every request the same way (`if self.commit: db.session.commit() … else:
db.session.rollback()`); Kōrero does it in `Korero.dispatch_request`, so no view commits or rolls back by hand and
none can forget to. Services flush and never commit. A commit that fails (a unique constraint hit by a concurrent
double submit, the database gone) raises from here into the error handlers in `app.errors`, which roll back and
answer 409 or 503: the response is only sent once the writes are durable.

CLI commands and background jobs are their own boundary: `with unit_of_work():` commits once or rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask
from flask import typing as ft
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.extensions import db


def current_session() -> Session:
    """The session of this request, command or job (the real `Session` behind Flask-SQLAlchemy's scope)."""
    return db.session()


class Korero(Flask):
    """Flask with the request boundary: commit after the view returns, roll back when it raises."""

    def dispatch_request(self) -> ft.ResponseReturnValue:
        result = super().dispatch_request()
        # A streamed body runs after this commit and may only read.
        db.session.commit()
        return result


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Commit once at the end of a CLI command or job; roll back if it raises."""
    session = current_session()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()


def after_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once the current transaction has committed; never if it rolls back instead.

    For work that must only start once the writes are durable (queueing PDF renders after a publish). SQLAlchemy's
    `after_commit` event may not emit SQL, so it only marks the commit of this transaction (not of a savepoint
    inside it); the callback runs as the transaction ends, where it may read in a new one.
    """
    session = current_session()
    root = session.get_transaction() or session.begin()
    settled = False

    def committed(_session: Session) -> None:
        nonlocal settled
        if not settled and session.get_transaction() is root and not session.in_nested_transaction():
            settled = True
            event.remove(session, "after_soft_rollback", rolled_back)
            event.listen(session, "after_transaction_end", ended, once=True)

    def ended(_session: Session, _transaction: SessionTransaction) -> None:
        event.remove(session, "after_commit", committed)
        callback()

    def rolled_back(_session: Session, transaction: SessionTransaction) -> None:
        nonlocal settled
        if not settled and transaction is root:
            settled = True  # the commit this waited for will not come
            event.remove(session, "after_commit", committed)

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_soft_rollback", rolled_back)
