"""What a submission action can refuse, each a subclass of one of `app.exceptions`' roots."""

from __future__ import annotations

from typing import ClassVar

from app.comments.errors import CommentingClosedError
from app.exceptions import ConflictError, InputError, NotFoundError, PermissionDeniedError
from app.models import Submission


class SubmissionInputError(InputError):
    """What was typed or sent cannot be accepted; `field` names the form field to show the message at."""

    code = "submission-invalid"

    def __init__(self, message: str, field: str = "body") -> None:
        super().__init__(message, field)


class AttachmentRefusedError(SubmissionInputError):
    """An uploaded file is not one we keep (its type, size, or what is inside it)."""

    code = "attachment-refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, "attachments")


class SubmissionsClosedError(CommentingClosedError):
    """The version does not take submissions now (the same period as comments)."""

    code = "submissions-closed"


class DuplicateSubmissionError(ConflictError):
    """The same words from the same person are already in: `first` is the one kept."""

    code = "duplicate-submission"
    template: ClassVar[str] = "submissions/refused.html"

    def __init__(self, message: str, first: Submission) -> None:
        super().__init__(message)
        self.first = first


class NotSubmitterError(PermissionDeniedError):
    """Only the person a submission is credited to (or staff) may do this."""

    code = "not-submitter"


class SubmissionStateError(ConflictError):
    """The submission is in a state that does not allow this."""

    code = "submission-state"


class QuestionsInputError(InputError):
    """The questions a drafter wrote cannot be read."""

    code = "questions-invalid"

    def __init__(self, message: str, field: str = "questions") -> None:
        super().__init__(message, field)


class AttachmentNotFoundError(NotFoundError):
    code = "attachment-not-found"
