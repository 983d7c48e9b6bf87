"""What an API request carries: its token (never a cookie), its cursor, its rate-limit key.

The API authenticates only by `Authorization: Bearer kr_…`. Flask-Login's session cookie is never read here, so
a page on another site cannot make a visitor's browser write through the API (no CSRF hole), and a cached
public reply never depends on who is signed in. Reads need no token; with a `staff:read` token a drafter,
reviewer or moderator reads what their role may read.
"""

from __future__ import annotations

import binascii
import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer

from app.api import tokens
from app.boundary import current_session
from app.exceptions import DomainError, InputError, PermissionDeniedError
from app.models import ANONYMOUS, ApiToken, User, Viewer
from app.models.base import utcnow

F = TypeVar("F", bound=Callable[..., Any])
CURSOR_SALT = "korero-api-cursor"
TOKEN_KEY = "korero.api_token"  # noqa: S105 - the environ key the token row is kept under, not a secret


class TokenRejectedError(DomainError):
    """No token, a wrong or revoked one, or one whose owner is suspended."""

    status = 401
    code = "unauthenticated"


class ScopeError(PermissionDeniedError):
    code = "insufficient-scope"


class CursorError(InputError):
    status = 400
    code = "invalid-cursor"


class ApiInputError(InputError):
    """A parameter or body the schema refuses, with every field's messages."""

    def __init__(self, message: str, errors: dict[str, Any]) -> None:
        super().__init__(message)
        self.errors = errors

    def problem(self) -> dict[str, Any]:
        return {**super().problem(), "errors": self.errors}


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not value.strip():
        raise TokenRejectedError(_("Send the token as “Authorization: Bearer <token>”."))
    return value.strip()


def current_token() -> ApiToken | None:
    """The request's token (checked once per request), or None when it sent none; a bad one is refused."""
    # Kept on the request (not `g`, which outlives it where one app context serves several requests).
    if TOKEN_KEY in request.environ:
        return request.environ[TOKEN_KEY]  # type: ignore[no-any-return]
    raw = _bearer()
    token = None
    if raw is not None:
        token = tokens.find_token(current_session(), raw)
        if token is None:
            raise TokenRejectedError(_("This token is not valid: it may be mistyped, revoked or expired."))
        now = utcnow()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            token.last_used_at = now  # at most once a minute: reads stay cheap
    request.environ[TOKEN_KEY] = token
    return token


def check_token() -> None:
    """Refuse a wrong, revoked or malformed token on any API request (reads need none, but not a bad one)."""
    current_token()


def require_scope(scope: str) -> tuple[ApiToken, User]:
    """The token and its owner, if the request carries a token with `scope`."""
    token = current_token()
    if token is None:
        raise TokenRejectedError(_("This needs a personal access token. Make one on your account page."))
    if not token.allows(scope):
        raise ScopeError(_("This token may not do that: it needs the “%(scope)s” scope.", scope=scope))
    return token, token.user


def requires(scope: str) -> Callable[[F], F]:
    """Refuse the request before its body is read unless its token has `scope` (401 before 422)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            require_scope(scope)
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


def reader() -> Viewer:
    """Who reads: the token's owner if it has `staff:read` and a staff role, else the public."""
    token = current_token()
    if token is not None and token.allows(tokens.STAFF_READ) and token.user.sees_everything:
        return token.user
    return ANONYMOUS


def rate_key() -> str:
    """Each token has its own limits; requests without one share their address's."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return "token:" + hashlib.sha256(header[7:].strip().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return "ip:" + (get_remote_address() or "")


# --- cursors -----------------------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    from flask import current_app

    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CURSOR_SALT)


def encode_cursor(listing: str, position: Any) -> str:
    """An opaque, signed cursor for `listing` that resumes after `position`."""
    return str(_serializer().dumps([listing, position]))


def decode_cursor(listing: str, cursor: str | None) -> Any:
    """The position a cursor of `listing` resumes after; None for no cursor; 400 for anything forged or stale."""
    if not cursor:
        return None
    try:
        kind, position = _serializer().loads(cursor)
    except (BadSignature, ValueError, TypeError, UnicodeError, json.JSONDecodeError, binascii.Error):
        raise CursorError(
            _("This cursor is not valid. Start again from the first page."), field="cursor"
        ) from None
    if kind != listing:
        raise CursorError(_("This cursor belongs to another list."), field="cursor")
    return position
