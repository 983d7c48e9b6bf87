"""Personal access tokens: create, list, revoke, and find the token a request carries.

A token is `kr_` and 32 random bytes (URL-safe), shown to its owner once; only its SHA-256 digest is stored (a
token this random needs no slow hash: nobody can guess one to test against the digest). A token acts for its
owner within its scopes; a revoked token, or one whose owner is suspended, authenticates nobody.
"""

from __future__ import annotations

import hashlib
import secrets

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exceptions import InputError, NotFoundError
from app.models import ApiToken, User, audit
from app.models.base import utcnow
from app.text import clean_text

TOKEN_PREFIX = "kr_"  # noqa: S105 - the public prefix every token starts with, not a secret
MAX_TOKEN_CHARS = 100
MAX_TOKENS_PER_USER = 20
COMMENTS_WRITE = "comments:write"
SUBMISSIONS_WRITE = "submissions:write"
STAFF_READ = "staff:read"
SCOPES = {
    COMMENTS_WRITE: _l("Post comments and replies as you"),
    SUBMISSIONS_WRITE: _l("Send whole-version submissions as you"),
    STAFF_READ: _l("Read what your staff role may read (held comments, accounts behind names)"),
}


class TokenError(InputError):
    code = "invalid-token-request"


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(session: Session, user: User, name: str | None, scopes: list[str]) -> tuple[ApiToken, str]:
    """Make a token for `user` with `scopes`; returns the row and the token itself (shown once, never stored)."""
    label = clean_text(name, _("a name for the token"), 80, field="name", multiline=False)
    wanted = sorted(set(scopes))
    if not wanted:
        raise TokenError(_("Choose at least one thing the token may do."), field="scopes")
    unknown = [scope for scope in wanted if scope not in SCOPES]
    if unknown:
        raise TokenError(_("Choose what the token may do from the list."), field="scopes")
    if STAFF_READ in wanted and not user.sees_everything:
        raise TokenError(_("Only drafters, reviewers and moderators can make a staff token."), field="scopes")
    active = session.scalars(
        select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    if len(active) >= MAX_TOKENS_PER_USER:
        raise TokenError(
            _("You have %(count)s tokens. Revoke one you no longer use first.", count=len(active)),
            field="name",
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=label, prefix=raw[:9], token_hash=digest(raw), scopes=wanted)
    session.add(token)
    session.flush()
    audit(session, user, "token.create", "api_token", token.id, scopes=wanted)
    return token, raw


def user_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()))
    )


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of `user`'s tokens: from now on it authenticates nobody."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFoundError(_("There is no such token on your account."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        audit(session, user, "token.revoke", "api_token", token.id)
    return token


def find_token(session: Session, raw: str) -> ApiToken | None:
    """The active token `raw` names, whose owner may still act; None for anything else."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > MAX_TOKEN_CHARS or not raw.isascii():
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
    if token is None or not token.is_active or not token.user.is_active:
        return None
    return token
