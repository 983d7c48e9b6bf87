"""A bounded queue for comment writers: under a burst the site answers late, then "send it again", never a 500.

Each process lets at most `COMMENT_WRITERS` requests store a comment at once; up to `COMMENT_WRITE_QUEUE` more
wait in line for a turn, each for at most `COMMENT_WRITE_WAIT` seconds. A writer who finds the line full, or whose
wait runs out, is refused with `WritersBusyError` before anything is written: the form comes back (503, with
`Retry-After`) holding their words and the same form token, so sending it again can never make a second comment;
the API answers 503 problem+json.

Views call `admit()` just before the use case that stores the row (after the checks that need no database);
the turn is held until the request ends, so it covers the commit, where a write waits longest, and is given back
however the request ends. Waits and refusals are counted in the metrics (`app.observability`).

The bound is per process: with gunicorn's gthread workers a writer waiting holds one of its worker's threads,
so a line longer than the worker's threads less its writers never fills; in front of it nginx and gunicorn's
backlog queue the rest.
"""

from __future__ import annotations

import threading
import time

from flask import Flask, current_app, request
from flask_babel import gettext as _

from app.comments.errors import WritersBusyError
from app.errors import wants_problem_json
from app.observability import COMMENT_WRITERS_WAITING, record_admission

RETRY_AFTER_SECONDS = 5
GATE_EXTENSION = "korero_writer_gate"
_HELD = "korero_writer_turn"


class GateRefusal(Exception):
    """No turn: `reason` is "queue-full" or "wait-over"; `waited` the seconds spent waiting."""

    def __init__(self, reason: str, waited: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.waited = waited


class WriterGate:
    """At most `writers` turns at once, at most `queue` callers waiting for one, each for at most `wait` s."""

    def __init__(self, writers: int, queue: int, wait: float) -> None:
        self.writers = max(1, int(writers))
        self.queue = max(0, int(queue))
        self.wait = max(0.0, float(wait))
        self._turns = threading.BoundedSemaphore(self.writers)
        self._lock = threading.Lock()
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """How many callers are waiting for a turn now."""
        return self._waiting

    def acquire(self) -> float:
        """Take a turn, waiting in line if every turn is taken; the seconds waited. Raises `GateRefusal`."""
        started = time.monotonic()
        if self._turns.acquire(blocking=False):
            return 0.0
        with self._lock:
            if self._waiting >= self.queue:
                raise GateRefusal("queue-full", time.monotonic() - started)
            self._waiting += 1
        COMMENT_WRITERS_WAITING.inc()
        try:
            got = self._turns.acquire(timeout=self.wait) if self.wait > 0 else self._turns.acquire(False)
        finally:
            with self._lock:
                self._waiting -= 1
            COMMENT_WRITERS_WAITING.dec()
        waited = time.monotonic() - started
        if not got:
            raise GateRefusal("wait-over", waited)
        return waited

    def release(self) -> None:
        """Give a turn back."""
        self._turns.release()


def gate(app: Flask) -> WriterGate:
    """This process's gate for `app`, made from its configuration on first use."""
    found = app.extensions.get(GATE_EXTENSION)
    if found is None:
        with _MAKING:
            found = app.extensions.get(GATE_EXTENSION)
            if found is None:
                found = app.extensions[GATE_EXTENSION] = WriterGate(
                    app.config.get("COMMENT_WRITERS", 2),
                    app.config.get("COMMENT_WRITE_QUEUE", 16),
                    app.config.get("COMMENT_WRITE_WAIT", 10.0),
                )
    return found  # type: ignore[no-any-return]


_MAKING = threading.Lock()


def admit() -> None:
    """Wait for a turn to store a comment, held until this request ends; refuse with `WritersBusyError`."""
    if _HELD in request.environ:
        return  # this request already holds one
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    writers = gate(app)
    try:
        waited = writers.acquire()
    except GateRefusal as refusal:
        record_admission(refusal.waited, admitted=False, reason=refusal.reason)
        raise WritersBusyError(_busy_message(), RETRY_AFTER_SECONDS, refusal.reason) from None
    record_admission(waited, admitted=True)
    request.environ[_HELD] = writers


def _busy_message() -> str:
    if wants_problem_json():
        return _(
            "The comment was not stored: many people are sending comments at this moment. Send the same "
            "request again in a few seconds, with the same Idempotency-Key, and it is made once."
        )
    return _(
        "We have not stored your comment yet: many people are sending comments at this moment. Your words "
        "are kept in the form below. Send it again in a few seconds; sending it again can never make a "
        "second comment."
    )


def _give_back(_error: BaseException | None = None) -> None:
    held: WriterGate | None = request.environ.pop(_HELD, None)
    if held is not None:
        held.release()


def init_app(app: Flask) -> None:
    """Give every turn back when its request ends, however it ends."""
    app.teardown_request(_give_back)
