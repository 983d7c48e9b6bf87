"""Who is drafting: the signed-in drafter, as the `User` the drafting, response and placement services record."""

from __future__ import annotations

from flask import abort

from app.access import viewer
from app.models import User


def current_drafter() -> User:
    """The signed-in account behind a `drafter_required` view (403 if there is none, which the decorator prevents)."""
    user = viewer()
    if not isinstance(user, User):
        abort(403)
    return user
