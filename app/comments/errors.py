"""What a comment action can refuse, each a subclass of one of `app.exceptions`' roots.

The messages are translated where they are raised; `app.errors` shows every one of them in one place (the form
again for what was typed, else the error's own page), after rolling the request's transaction back.
"""

from __future__ import annotations

from typing import ClassVar

from app.exceptions import ConflictError, InputError, PermissionDeniedError, UnavailableError
from app.models import Comment


class CommentInputError(InputError):
    """What was typed cannot be accepted; `field` names the form field to show the message at."""

    code = "comment-invalid"

    def __init__(self, message: str, field: str = "body") -> None:
        super().__init__(message, field)


class CommentingClosedError(ConflictError):
    """The version does not accept comments now (closed, not yet open, or never)."""

    code = "commenting-closed"


class DuplicateCommentError(ConflictError):
    """The same person sent the same text on the same clause a moment ago: `first` is the one kept."""

    code = "duplicate-comment"
    template: ClassVar[str] = "comments/refused.html"

    def __init__(self, message: str, first: Comment) -> None:
        super().__init__(message)
        self.first = first


class NotAuthorError(PermissionDeniedError):
    """Only a comment's author may do this."""

    code = "not-author"


class EditWindowClosedError(ConflictError):
    """Comments can be edited for a short while only."""

    code = "edit-window-closed"


class CommentStateError(ConflictError):
    """The comment is in a state that does not allow this (withdrawn, hidden, a reply to a reply)."""

    code = "comment-state"


class WritersBusyError(UnavailableError):
    """Too many people are sending comments to this process at once: nothing was stored, send it again soon.

    `reason` says why the writer got no turn: "queue-full" (too many already waiting) or "wait-over".
    """

    code = "comment-writers-busy"

    def __init__(self, message: str, retry_after: int, reason: str) -> None:
        super().__init__(message, retry_after)
        self.reason = reason
