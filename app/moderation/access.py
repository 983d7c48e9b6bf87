"""Who may open a page: anonymous visitors go to sign in, signed-in people without the role get 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import abort, redirect, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.extensions import login_manager
from app.i18n import safe_next

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


def login_redirect() -> ResponseReturnValue:
    """Send an anonymous visitor to the sign-in page, to come back here afterwards."""
    if login_manager.login_view:
        return login_manager.unauthorized()
    target = safe_next(request.full_path.rstrip("?"))
    return redirect("/login?" + urlencode({"next": target}))


def roles_required(*roles: str) -> Callable[[F], F]:
    """Let in signed-in, active accounts holding any of `roles` (admins hold every role)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if not current_user.is_authenticated:
                return login_redirect()
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


signed_in_required = roles_required()
