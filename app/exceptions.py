"""The one root of every domain error: what went wrong, which field it concerns, and the HTTP status.

Pure: no Flask, no database, so the pure domain (the draft parser, the diff engine) raises these too. Services
raise a subclass per feature; `app.errors` maps every one of them to a page (HTML) or a problem+json body (the
API) in one handler, after rolling the request's transaction back. Views never catch them one by one.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A use case refused: `message` is safe to show (already translated), `field` names the form field."""

    status: ClassVar[int] = 400
    #: A short machine-readable name for the API's problem+json `type`; subclasses set their own.
    code: ClassVar[str] = "refused"
    #: Whether what the use case wrote before refusing is kept (a failed sign-in still counts as an attempt).
    keeps_changes: ClassVar[bool] = False
    #: The page that shows this error when the view gave no form to show it on (`app.errors.redisplay`).
    template: ClassVar[str] = "errors/refused.html"
    #: The security log's name for this refusal (a failed sign-in, a dead link), or None when it is no event.
    security_event: ClassVar[str | None] = None
    #: Seconds after which sending the same request again may succeed (the `Retry-After` header), if known.
    retry_after: int | None = None

    def __init__(self, message: str, field: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.field = field
        if status is not None:
            self.status = status  # type: ignore[misc]  # an instance may narrow its class's default status

    def problem(self) -> dict[str, Any]:
        """The RFC 9457 problem details of this error (without `instance`, which the boundary adds)."""
        body: dict[str, Any] = {
            "type": f"https://korero.example/problems/{self.code}",
            "title": self.message,
            "status": self.status,
        }
        if self.field:
            body["field"] = self.field
        return body


class InputError(DomainError):
    """What was sent is empty, too long, malformed or not allowed."""

    status = 422
    code = "invalid-input"


class NotFoundError(DomainError):
    """The thing asked for does not exist, or the asker may not know it exists."""

    status = 404
    code = "not-found"


class PermissionDeniedError(DomainError):
    """The asker may see the thing but not do this to it."""

    status = 403
    code = "forbidden"


class ConflictError(DomainError):
    """The thing changed meanwhile, or is in a state that does not allow this (closed, locked, duplicate)."""

    status = 409
    code = "conflict"


class UnavailableError(DomainError):
    """Nothing was done because the site is too busy to do it now; the same request may succeed later."""

    status = 503
    code = "unavailable"

    def __init__(self, message: str, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field)
        self.retry_after = max(1, int(retry_after))
