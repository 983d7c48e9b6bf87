"""The one visibility rule for contributions: who is shown a comment's words, its tombstone, or nothing.

The public sees published comments and the tombstones of withdrawn and hidden ones; drafters, reviewers and
moderators also see held comments and the words of hidden ones; authors always see their own. A comment whose
author answered "do not publish" (`DisplayAs.PRIVATE`) is, for the public, not there at all: no words, no
tombstone, no receipt; it is still counted in the public totals, and staff and its author read it as any other.
Every public listing, feed, export and PDF filters with `listed` / `publicly_shown` (the same rule in SQL).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_

from app.models import Comment, CommentState, DisplayAs, Viewer

ALL_STATES = frozenset(s.value for s in CommentState)
PUBLIC_STATES = frozenset(
    {CommentState.PUBLISHED.value, CommentState.WITHDRAWN.value, CommentState.HIDDEN.value}
)


def _is_staff(user: Viewer | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.sees_everything)


def _user_id(user: Viewer | None) -> int | None:
    """The signed-in account's id, or None for a visitor (`Viewer` promises no id: visitors have none)."""
    if user is None or not user.is_authenticated:
        return None
    user_id = getattr(user, "id", None)
    return int(user_id) if user_id is not None else None


def visible_states(user: Viewer | None) -> set[str]:
    """The comment states whose rows `user` is shown: bodies or tombstones.

    The public sees published comments and the tombstones of withdrawn and hidden ones; drafters,
    reviewers and moderators also see held comments, and the bodies of hidden ones.
    """
    return set(ALL_STATES) if _is_staff(user) else set(PUBLIC_STATES)


def _is_own(user: Viewer | None, comment: Comment) -> bool:
    return comment.user_id is not None and comment.user_id == _user_id(user)


def withheld(user: Viewer | None, comment: Comment) -> bool:
    """Whether its author's "do not publish" keeps `comment` from `user` (anyone but staff and the author)."""
    return not comment.may_publish and not _is_staff(user) and not _is_own(user, comment)


def listed(user: Viewer | None) -> ColumnElement[bool]:
    """SQL: the comments `user` is shown in lists (bodies or tombstones): `visible_states`, less the ones their
    authors asked us not to publish unless `user` is staff. Lists show nobody their own held or private ones;
    the receipt does."""
    states = Comment.state.in_(sorted(visible_states(user)))
    if _is_staff(user):
        return states
    return and_(states, Comment.display_as != DisplayAs.PRIVATE.value)


def publicly_shown() -> ColumnElement[bool]:
    """SQL: the comments whose words the public is shown: published, and their authors agreed to publish."""
    return and_(Comment.state == CommentState.PUBLISHED.value, Comment.display_as != DisplayAs.PRIVATE.value)


def can_view_comment(user: Viewer | None, comment: Comment) -> bool:
    """Whether `user` may see `comment` at all (its body or its tombstone)."""
    if not comment.version.is_public and not _is_staff(user):
        return False
    if withheld(user, comment):
        return False
    if comment.state in visible_states(user):
        return True
    return comment.user_id is not None and comment.user_id == _user_id(user)


def shows_body(user: Viewer | None, comment: Comment) -> bool:
    """Whether `user` is shown the comment's words (not just a tombstone)."""
    if comment.state == CommentState.WITHDRAWN.value or withheld(user, comment):
        return False
    if comment.state == CommentState.PUBLISHED.value or _is_staff(user):
        return True
    return comment.user_id is not None and comment.user_id == _user_id(user)


def can_view_receipt(user: Viewer | None, comment: Comment) -> bool:
    """Receipts are public for published comments; the others only their author and staff may see."""
    if comment.state == CommentState.PUBLISHED.value and comment.may_publish and comment.version.is_public:
        return True
    return _is_staff(user) or (comment.user_id is not None and comment.user_id == _user_id(user))
