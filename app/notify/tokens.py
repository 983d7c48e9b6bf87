"""Signed tokens for notification links: one-click unsubscribe, and confirming a follow by email.

Pure: itsdangerous and `app.auth.tokens`' errors only. An unsubscribe token never expires (RFC 8058 asks that a
list's unsubscribe link keeps working) and names exactly what it stops: one kind of notification for one
account, every notification of an account ("all"), or one follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from app.auth.tokens import TokenExpired, TokenInvalid

UNSUBSCRIBE_SALT = "korero.notify.unsubscribe"
FOLLOW_SALT = "korero.notify.confirm-follow"
FOLLOW_MAX_AGE = 7 * 24 * 3600  # a week to confirm a follow
ALL = "all"


@dataclass(frozen=True)
class Unsubscribe:
    """What one unsubscribe link stops: `kind` of mail to account `user_id`, or the follow `follow_id`."""

    user_id: int | None = None
    kind: str | None = None
    follow_id: int | None = None


def make_unsubscribe_token(secret_key: str, claim: Unsubscribe) -> str:
    data: dict[str, Any] = (
        {"f": claim.follow_id} if claim.follow_id is not None else {"u": claim.user_id, "k": claim.kind}
    )
    return URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).dumps(data)


def read_unsubscribe_token(secret_key: str, token: str) -> Unsubscribe:
    """Check an unsubscribe token; raise TokenInvalid for one we did not make."""
    try:
        data = URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).loads(token)
    except (BadSignature, UnicodeError, ValueError, TypeError) as error:
        raise TokenInvalid("This link is not valid.") from error
    if isinstance(data, dict) and isinstance(data.get("f"), int) and set(data) == {"f"}:
        return Unsubscribe(follow_id=data["f"])
    if isinstance(data, dict) and isinstance(data.get("u"), int) and isinstance(data.get("k"), str):
        return Unsubscribe(user_id=data["u"], kind=data["k"])
    raise TokenInvalid("This link is not valid.")


def make_follow_token(secret_key: str, follow_id: int, email: str) -> str:
    """Sign a claim that `email` asked to follow (the follow row `follow_id`)."""
    return URLSafeTimedSerializer(secret_key, salt=FOLLOW_SALT).dumps({"f": follow_id, "e": email})


def read_follow_token(secret_key: str, token: str, max_age: int = FOLLOW_MAX_AGE) -> tuple[int, str]:
    """Check a follow-confirmation token; raise TokenExpired or TokenInvalid."""
    try:
        data = URLSafeTimedSerializer(secret_key, salt=FOLLOW_SALT).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise TokenExpired("This link has expired.") from error
    except (BadSignature, UnicodeError, ValueError, TypeError) as error:
        raise TokenInvalid("This link is not valid.") from error
    if not (isinstance(data, dict) and isinstance(data.get("f"), int) and isinstance(data.get("e"), str)):
        raise TokenInvalid("This link is not valid.")
    return data["f"], data["e"]
