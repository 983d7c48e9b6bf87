"""Signed, expiring tokens for links sent by mail: confirm an email address, reset a password.

Pure: itsdangerous, the standard library and `app.exceptions` only, so the rules are tested without Flask. Each purpose has its
own salt, so a token made for one can never be used for the other. A reset token carries a fingerprint of the
account's password hash and session token: using it changes both, so it works once, and signing out everywhere or
changing the password cancels every reset link already sent.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from app.exceptions import InputError

VERIFY_EMAIL_SALT = "korero.auth.verify-email"
RESET_PASSWORD_SALT = "korero.auth.reset-password"  # noqa: S105 - a salt (public by design), not a secret
VERIFY_EMAIL_MAX_AGE = 3 * 24 * 3600  # three days
RESET_PASSWORD_MAX_AGE = 3600  # one hour


class TokenError(InputError):
    """A link token that cannot be used.

    Its own messages are for logs and tests (this module cannot translate); `app.auth.services` raises the
    `LinkError` subclass, whose message is translated, for people to read.
    """

    # A bad link is a bad request (400), not a form to correct and send again (InputError's 422).
    status = 400
    code = "invalid-link"


class TokenExpired(TokenError):
    """A genuine token, too old to use."""


class TokenInvalid(TokenError):
    """A token that was not made by us, was altered, or was made for something else."""


@dataclass(frozen=True)
class EmailClaim:
    user_id: int
    email: str


@dataclass(frozen=True)
class ResetClaim:
    user_id: int
    fingerprint: str


class _ClockSigner(TimestampSigner):
    """A timestamp signer whose clock can be set, so tests can make tokens in the past."""

    def __init__(self, *args: Any, now: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        return int(time.time() if self._now is None else self._now)


def _serializer(secret_key: str, salt: str, now: float | None) -> URLSafeTimedSerializer:
    # HMAC-SHA-256 rather than itsdangerous's default SHA-1 (ASVS 5.0 11.4.1: approved hash functions only).
    signer_kwargs = {"now": now, "digest_method": hashlib.sha256}
    return URLSafeTimedSerializer(secret_key, salt=salt, signer=_ClockSigner, signer_kwargs=signer_kwargs)


def _load(secret_key: str, salt: str, token: str, max_age: int, now: float | None) -> Any:
    try:
        return _serializer(secret_key, salt, now).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise TokenExpired("This link has expired.") from error
    except (BadSignature, UnicodeError, ValueError, TypeError) as error:
        raise TokenInvalid("This link is not valid.") from error


def password_fingerprint(password_hash: str, session_token: str) -> str:
    """A short digest of what a password reset changes; the token holds this, never the hash itself."""
    digest = hashlib.sha256(f"{password_hash}\x00{session_token}".encode()).hexdigest()
    return digest[:32]


def make_email_token(secret_key: str, user_id: int, email: str, now: float | None = None) -> str:
    """Sign a claim that account `user_id` owns `email`."""
    return _serializer(secret_key, VERIFY_EMAIL_SALT, now).dumps({"u": user_id, "e": email})


def read_email_token(
    secret_key: str, token: str, max_age: int = VERIFY_EMAIL_MAX_AGE, now: float | None = None
) -> EmailClaim:
    """Check an email-confirmation token; raise TokenExpired or TokenInvalid."""
    data = _load(secret_key, VERIFY_EMAIL_SALT, token, max_age, now)
    if not (isinstance(data, dict) and isinstance(data.get("u"), int) and isinstance(data.get("e"), str)):
        raise TokenInvalid("This link is not valid.")
    return EmailClaim(user_id=data["u"], email=data["e"])


def make_reset_token(secret_key: str, user_id: int, fingerprint: str, now: float | None = None) -> str:
    """Sign a one-time password reset for account `user_id` in its present state (`fingerprint`)."""
    return _serializer(secret_key, RESET_PASSWORD_SALT, now).dumps({"u": user_id, "f": fingerprint})


def read_reset_token(
    secret_key: str, token: str, max_age: int = RESET_PASSWORD_MAX_AGE, now: float | None = None
) -> ResetClaim:
    """Check a password-reset token's signature and age; raise TokenExpired or TokenInvalid."""
    data = _load(secret_key, RESET_PASSWORD_SALT, token, max_age, now)
    if not (isinstance(data, dict) and isinstance(data.get("u"), int) and isinstance(data.get("f"), str)):
        raise TokenInvalid("This link is not valid.")
    return ResetClaim(user_id=data["u"], fingerprint=data["f"])


def fingerprint_matches(claim: ResetClaim, password_hash: str, session_token: str) -> bool:
    """Whether the account is still as it was when the reset token was made."""
    return hmac.compare_digest(claim.fingerprint, password_fingerprint(password_hash, session_token))
