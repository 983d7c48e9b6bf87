"""Flask-Login's user loader: the cookie carries a session token that logging out everywhere rotates."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request_started
from sqlalchemy import select

from app.extensions import db, login_manager
from app.models import User


@login_manager.user_loader
def load_user(token: str) -> User | None:
    user = db.session.scalar(select(User).where(User.session_token == token))
    if user is None or not user.is_active:
        return None
    return user


@request_started.connect
def forget_cached_user(sender: Flask, **_: Any) -> None:
    """Load the user afresh for every request.

    Flask-Login caches the user on `g`, which lives as long as the app context; when one app context serves
    several requests (tests, or code that pushes a context around requests), a stale user would otherwise
    outlive a sign-out or a rotated session token.
    """
    g.pop("_login_user", None)
