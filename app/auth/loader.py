"""Flask-Login's user loader: the cookie carries a session token that logging out everywhere rotates.

A signed-in session also ends by itself (ASVS 5.0 7.3): after IDLE_TIMEOUT without a request, and at the latest
MAX_SESSION_AGE after signing in. "Keep me signed in" is the remember-me cookie, which has its own 30 days and
starts a new session when the old one has ended.
"""

from __future__ import annotations

import time

from flask import Flask, session
from flask_login import user_logged_in
from sqlalchemy import select

from app.boundary import current_session
from app.extensions import login_manager
from app.models import User

IDLE_TIMEOUT = 12 * 3600
MAX_SESSION_AGE = 7 * 24 * 3600
_SEEN_EVERY = 60  # seconds: the last-seen stamp is rewritten at most this often, not on every request
SIGNED_IN_AT = "_signed_in_at"
SEEN_AT = "_seen_at"


def _session_is_current(now: int) -> bool:
    """Whether this session is within its idle and absolute limits; stamp it as seen. An ended one is cleared."""
    signed_in_at = session.get(SIGNED_IN_AT)
    seen_at = session.get(SEEN_AT)
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        # Just signed in (or restored from the remember-me cookie, which sets only the user id): start the clock.
        session[SIGNED_IN_AT] = session[SEEN_AT] = now
        return True
    if now - seen_at > IDLE_TIMEOUT or now - signed_in_at > MAX_SESSION_AGE:
        for key in (SIGNED_IN_AT, SEEN_AT, "_user_id", "_fresh", "_id"):
            session.pop(key, None)
        return False
    if now - seen_at > _SEEN_EVERY:
        session[SEEN_AT] = now
    return True


@user_logged_in.connect
def _start_the_clock(sender: Flask, **_: object) -> None:
    session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time())


@login_manager.user_loader
def load_user(token: str) -> User | None:
    if not _session_is_current(int(time.time())):
        return None
    user = current_session().scalar(select(User).where(User.session_token == token))
    if user is None or not user.is_active:
        return None
    return user
