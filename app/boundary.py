"""The one request boundary: a view that returns commits once, anything that raises rolls back.

Indico's request handler ends every request the same way (`if self.commit: db.session.commit() … else:
db.session.rollback()`); Kōrero does it in `Korero.dispatch_request`, so no view commits or rolls back by hand and
none can forget to. Services flush and never commit. A commit that fails (a unique constraint hit by a concurrent
double submit, the database gone) raises from here into the error handlers in `app.errors`, which roll back and
answer 409 or 503: the response is only sent once the writes are durable.

CLI commands and background jobs are their own boundary: `with unit_of_work():` commits once or rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask import typing as ft
from sqlalchemy.orm import Session

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
