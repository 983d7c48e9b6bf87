"""Who may still change a comment: only its author may edit or withdraw it, and edit it only for a while."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from app.comments.errors import CommentStateError, EditWindowClosedError, NotAuthorError
from app.models import Comment, CommentState, Viewer
from app.models.base import utcnow

EDIT_WINDOW = dt.timedelta(minutes=15)
EDITABLE_STATES = frozenset({CommentState.PUBLISHED.value, CommentState.HELD.value})


def is_author(viewer: Viewer | None, comment: Comment) -> bool:
    """Whether `viewer` is the signed-in account that wrote `comment`."""
    return (
        viewer is not None
        and viewer.is_authenticated
        and comment.user_id is not None
        and comment.user_id == getattr(viewer, "id", None)
    )


def can_edit(viewer: Viewer | None, comment: Comment, now: dt.datetime | None = None) -> bool:
    """Whether `viewer` may still edit `comment` (its author, within the edit window, not withdrawn or hidden)."""
    now = now or utcnow()
    return (
        is_author(viewer, comment)
        and comment.state in EDITABLE_STATES
        and now - comment.created_at <= EDIT_WINDOW
    )


def require_editable(viewer: Viewer, comment: Comment, now: dt.datetime | None = None) -> None:
    """Refuse unless `viewer` may edit `comment` now: the edit page refuses early, as saving would."""
    now = now or utcnow()
    if not is_author(viewer, comment):
        raise NotAuthorError(_("Only the person who wrote this comment can change it."))
    if comment.state not in EDITABLE_STATES:
        raise CommentStateError(_("This comment can no longer be edited."))
    if now - comment.created_at > EDIT_WINDOW:
        raise EditWindowClosedError(
            _("You can edit a comment for 15 minutes after sending it. You can still withdraw it.")
        )


def require_withdrawable(viewer: Viewer, comment: Comment) -> None:
    """Refuse unless `viewer` wrote `comment` (and so may withdraw it)."""
    if not is_author(viewer, comment):
        raise NotAuthorError(_("Only the person who wrote this comment can withdraw it."))
