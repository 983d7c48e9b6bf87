"""Flask-Login's user loader: the cookie carries a session token that logging out everywhere rotates."""

from __future__ import annotations

from sqlalchemy import select

from app.boundary import current_session
from app.extensions import login_manager
from app.models import User


@login_manager.user_loader
def load_user(token: str) -> User | None:
    user = current_session().scalar(select(User).where(User.session_token == token))
    if user is None or not user.is_active:
        return None
    return user
