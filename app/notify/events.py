"""What the other packages' use cases call when something happens that someone may want to hear of.

Each adds one row to the outbox in the caller's transaction and nothing else: whom to tell, in which language
and whether at all is decided by the queue worker (`app.notify.letters`), never in the request.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import Comment, NotificationKind, Response, User, Version
from app.notify.queue import enqueue


def comment_posted(session: Session, comment: Comment) -> None:
    """A receipt to the author; for a reply, a note to the author of the comment it answers."""
    enqueue(session, NotificationKind.RECEIPT.value, {"comment_id": comment.id}, user_id=comment.user_id)
    if comment.parent_id is not None:
        enqueue(session, NotificationKind.REPLY.value, {"comment_id": comment.id})


def response_recorded(session: Session, response: Response) -> None:
    enqueue(session, NotificationKind.RESPONSE.value, {"response_id": response.id})


def comment_moderated(session: Session, comment: Comment, action: str) -> None:
    enqueue(session, NotificationKind.MODERATION.value, {"comment_id": comment.id, "action": action})


def version_published(session: Session, version: Version) -> None:
    enqueue(
        session,
        NotificationKind.NEW_VERSION.value,
        {"version_id": version.id},
        dedupe_key=f"new_version:{version.id}",
    )


def account_mail(session: Session, user: User, kind: str) -> None:
    """Queue an account's own mail: "confirm_email" (its link) or "already_registered" (a warning)."""
    enqueue(session, kind, {"user_id": user.id})


def password_reset_requested(session: Session, email: str) -> None:
    """Queue a reset for `email` without looking it up: the same work whether or not it has an account."""
    enqueue(session, "password_reset", {"email": email})
