"""`Idempotency-Key`: a retried POST never makes a second comment; it gets the first reply again.

The reply is stored with the key, per token, in the same transaction as what the POST made, so both are kept or
neither. The same key with a different request is refused (422) rather than answered with another's reply. Two
retries racing each other meet the unique (token, key) constraint at commit: one wins, the other gets 409 and,
retried once more, the stored reply.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exceptions import InputError
from app.models import ApiToken, IdempotencyRecord

MAX_KEY_CHARS = 200


class IdempotencyKeyError(InputError):
    code = "idempotency-key-reused"


def fingerprint(data: Any) -> str:
    """What was asked: method, path and body, so a key cannot be reused for another request."""
    payload = json.dumps([request.method, request.path, data], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def replay_or_run(
    session: Session,
    token: ApiToken,
    key: str | None,
    data: Any,
    run: Callable[[], tuple[dict[str, Any], int]],
) -> tuple[dict[str, Any], int, bool]:
    """The stored reply to (token, key) if there is one, else `run()`'s reply, stored under the key."""
    if key is None:
        body, status = run()
        return body, status, False
    key = key.strip()
    if not key or len(key) > MAX_KEY_CHARS or not key.isascii() or not key.isprintable():
        raise IdempotencyKeyError(
            _("The Idempotency-Key must be 1 to 200 printable ASCII characters."), field="Idempotency-Key"
        )
    asked = fingerprint(data)
    stored = session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.token_id == token.id, IdempotencyRecord.key == key)
    )
    if stored is not None:
        if stored.request_hash != asked:
            raise IdempotencyKeyError(
                _("This Idempotency-Key was already used for a different request. Use a new key."),
                field="Idempotency-Key",
            )
        return dict(stored.body), stored.status_code, True
    body, status = run()
    session.add(
        IdempotencyRecord(token_id=token.id, key=key, request_hash=asked, status_code=status, body=body)
    )
    session.flush()
    return body, status, False


def key_parameter(what: str) -> dict[str, Any]:
    """The OpenAPI description of the Idempotency-Key header of a POST; `what` is done once ("comment is made")."""
    return {
        "in": "header",
        "name": "Idempotency-Key",
        "schema": {"type": "string", "maxLength": MAX_KEY_CHARS},
        "description": f"Send the same key when you retry: the {what} once, the reply repeated.",
    }


def respond(
    session: Session,
    token: ApiToken,
    data: Any,
    run: Callable[[], tuple[dict[str, Any], int]],
    location: Callable[[dict[str, Any]], str],
) -> ResponseReturnValue:
    """Answer a POST with `run()`'s reply, or the stored one to its Idempotency-Key; `Location` from the body."""
    body, status, replayed = replay_or_run(session, token, request.headers.get("Idempotency-Key"), data, run)
    # Already dumped (it is what a retry is answered with), so it is sent as it is.
    response = current_app.json.response(body)
    response.status_code = status
    response.headers["Location"] = location(body)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
