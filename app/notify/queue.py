"""The mail queue: requests write work to the outbox table; a worker turns it into mail, never the request.

`enqueue` adds one `OutboxMessage` in the caller's transaction, so a request that rolls back sends nothing and
one that commits cannot lose its mail. Once the transaction has committed, and only when REDIS_URL is set, an
RQ job is queued to deliver that row promptly (`rq worker korero-mail`). Without Redis, or if Redis was down,
the row waits for `flask notify work`, which drains the outbox in a loop (it also sweeps up after RQ). Either
way `deliver` claims a row with a conditional UPDATE, so two workers never send the same row.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_request_context
from flask_babel import force_locale, get_locale
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.boundary import after_commit, unit_of_work
from app.mail import Postman
from app.models import OutboxMessage, OutboxStatus
from app.models.base import utcnow

log = logging.getLogger(__name__)

RQ_QUEUE = "korero-mail"
MAX_ATTEMPTS = 3


def _locale() -> str:
    if has_request_context():
        return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    user_id: int | None = None,
    dedupe_key: str | None = None,
    locale: str | None = None,
) -> OutboxMessage | None:
    """Queue a notification in the current transaction; None if `dedupe_key` was queued before."""
    if dedupe_key is not None and session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    row = OutboxMessage(
        kind=kind, payload=payload, user_id=user_id, dedupe_key=dedupe_key, locale=locale or _locale()
    )
    try:
        with session.begin_nested():  # a concurrent run queued the same key first: that one stands
            session.add(row)
    except IntegrityError:
        return None
    if current_app.config.get("REDIS_URL") and current_app.config.get("NOTIFY_USE_RQ", True):
        row_id = row.id
        after_commit(lambda: _push_to_rq(current_app._get_current_object(), row_id))  # type: ignore[attr-defined]
    return row


def _push_to_rq(app: Flask, row_id: int) -> None:
    try:
        from redis import Redis
        from rq import Queue

        queue = Queue(RQ_QUEUE, connection=Redis.from_url(app.config["REDIS_URL"]))
        queue.enqueue_call(rq_deliver, args=(row_id,), result_ttl=0, failure_ttl=3600, timeout=600)
    except Exception:  # Redis down: the row is committed and `flask notify work` sends it
        log.warning(
            "Could not queue outbox row %s on RQ; the outbox worker will send it", row_id, exc_info=True
        )


_rq_app: Flask | None = None


def rq_deliver(row_id: int) -> int:
    """The RQ job: deliver one outbox row in this worker's own app."""
    global _rq_app  # noqa: PLW0603 - one app per RQ worker process
    if _rq_app is None:
        from app import create_app

        _rq_app = create_app()
    with _rq_app.app_context():
        return deliver(row_id)


# --- delivering ------------------------------------------------------------------------------------------------


def _claim(session: Session, row_id: int) -> bool:
    claimed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == OutboxStatus.PENDING.value)
        .values(status=OutboxStatus.SENDING.value, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def deliver(row_id: int, postman: Postman | None = None) -> int:
    """Turn one pending outbox row into mail; return how many messages went. Its own unit of work."""
    from app.notify.letters import letters_for, public_request_context, render_letter, store_digest_item

    with unit_of_work() as session:
        if not _claim(session, row_id):
            return 0  # another worker has it, or it is done
    sent = 0
    with unit_of_work() as session:
        row = session.get_one(OutboxMessage, row_id)
        session.refresh(row)
        own_postman = postman is None
        carrier = postman or Postman()
        try:
            with public_request_context(), force_locale(row.locale or "en"):
                letters = letters_for(session, row)
            for index, letter in enumerate(letters):
                if index < row.sent_count:
                    continue  # sent on an earlier attempt that failed part way
                if letter.digest:
                    store_digest_item(session, letter)
                else:
                    with public_request_context(), force_locale(letter.locale):
                        message = render_letter(letter)
                    carrier.send(message)
                row.sent_count = index + 1
                sent += 1
            row.status = OutboxStatus.DONE.value
            row.done_at = utcnow()
            row.error = None
        except Exception as error:
            log.exception("Outbox row %s (%s) failed", row.id, row.kind)
            row.error = f"{type(error).__name__}: {error}"[:500]
            row.status = (
                OutboxStatus.FAILED.value if row.attempts >= MAX_ATTEMPTS else OutboxStatus.PENDING.value
            )
        finally:
            if own_postman:
                carrier.__exit__(None, None, None)
    return sent


def pending_ids(session: Session, limit: int = 500) -> list[int]:
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.PENDING.value)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def drain(limit: int | None = None, on_row: Callable[[int], None] | None = None) -> int:
    """Deliver pending rows until none is left (or `limit` rows were tried); return messages sent."""
    sent = 0
    tried = 0
    with Postman() as postman:
        while True:
            with unit_of_work() as session:
                batch = pending_ids(session, 500 if limit is None else min(500, limit - tried))
            if not batch:
                return sent
            for row_id in batch:
                sent += deliver(row_id, postman)
                tried += 1
                if on_row is not None:
                    on_row(row_id)
            if limit is not None and tried >= limit:
                return sent


KEEP_DONE = dt.timedelta(days=7)


def prune(now: dt.datetime | None = None) -> int:
    """Delete rows sent more than KEEP_DONE ago (they hold addresses and ids, kept no longer than needed)."""
    cutoff = (now or utcnow()) - KEEP_DONE
    with unit_of_work() as session:
        result = session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.status == OutboxStatus.DONE.value, OutboxMessage.done_at < cutoff
            )
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def work_forever(interval: float = 2.0, stop: Callable[[], bool] = lambda: False) -> None:
    """`flask notify work`: drain the outbox, wait `interval` seconds, again."""
    last_prune = 0.0
    while not stop():
        if time.monotonic() - last_prune > 3600:
            prune()
            last_prune = time.monotonic()
        if not drain():
            time.sleep(interval)
