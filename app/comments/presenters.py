"""How a comment is shown to one reader: its author's label, its state, its dates. Computed here, so templates
(and the PDFs) only show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from babel.dates import format_datetime
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.comments.editing import can_edit
from app.comments.visibility import _is_staff, _user_id, shows_body
from app.drafts.parsing import NZ
from app.models import Comment, CommentState, DisplayAs, Viewer
from app.submissions.visibility import shown_body_html

ANONYMOUS_LABEL = _l("Anonymous member of the public")
UNPUBLISHED_LABEL = _l("Not for publication: its author’s choice")

STATE_LABELS = {
    CommentState.HELD.value: _l("Waiting for a moderator"),
    CommentState.HIDDEN.value: _l("Hidden by a moderator"),
    CommentState.WITHDRAWN.value: _l("Withdrawn"),
}


def author_label(comment: Comment) -> str:
    """The name the public sees beside a comment, on the site and in PDFs alike.

    The author's display name, unless they chose to be anonymous, deleted their account, or withdrew it.
    """
    if (
        comment.state == CommentState.WITHDRAWN.value
        or comment.display_as == DisplayAs.ANONYMOUS.value
        or comment.user is None
    ):
        return str(ANONYMOUS_LABEL)
    return comment.user.display_name


def when(moment: dt.datetime) -> str:
    """A moment as New Zealand local time, the way people read it: 29 March 2019, 4:05 pm."""
    return str(format_datetime(moment, "d MMMM y, h:mm a", tzinfo=NZ, locale=get_locale() or "en"))


@dataclass
class CommentView:
    """One comment as a page shows it to one reader: computed here so templates only show."""

    comment: Comment
    author: str
    account: str | None  # the account behind the name, for drafters, reviewers and moderators
    body_html: str | None  # None: show the tombstone instead
    tombstone: str | None
    state: str
    state_label: str | None  # shown to staff and the author when not simply published
    consent_label: str | None  # "not for publication", when its author said so (only staff and they see it)
    unverified: bool
    is_own: bool
    editable: bool
    can_reply: bool
    when: str = ""
    edited_when: str | None = None
    campaign_size: int = 0
    replies: list[CommentView] = field(default_factory=list)
    more_replies: bool = False
    #: The drafters' response (an app.responses.services.ResponseCard), its own or its campaign group's.
    response: Any = None


@dataclass
class CommentList:
    """A page of comments and the keyset link to the next (older) page."""

    items: list[CommentView]
    next_cursor: int | None


def _tombstone(comment: Comment) -> str | None:
    if comment.state == CommentState.WITHDRAWN.value:
        return str(_("Withdrawn by its author."))
    if comment.state == CommentState.HIDDEN.value:
        reason = comment.moderation_reason or _("no reason given")
        return str(_("Removed by a moderator: %(reason)s", reason=reason))
    return None


def _account(viewer: Viewer | None, comment: Comment) -> str | None:
    if not _is_staff(viewer):
        return None
    if comment.user is None:
        return str(_("deleted account"))
    return f"{comment.user.display_name} <{comment.user.email}>"


def comment_view(
    viewer: Viewer | None, comment: Comment, accepting: bool, now: dt.datetime | None = None
) -> CommentView:
    """Build what `viewer` sees of `comment`; `accepting`: whether its version takes comments now."""
    own = comment.user_id is not None and comment.user_id == _user_id(viewer)
    label = STATE_LABELS.get(comment.state)
    show_label = label is not None and (_is_staff(viewer) or own or comment.state != CommentState.HELD.value)
    published = comment.state == CommentState.PUBLISHED.value
    return CommentView(
        comment=comment,
        author=author_label(comment),
        account=_account(viewer, comment),
        body_html=shown_body_html(viewer, comment) if shows_body(viewer, comment) else None,
        tombstone=_tombstone(comment),
        state=comment.state,
        state_label=str(label) if show_label else None,
        consent_label=None if comment.may_publish else str(UNPUBLISHED_LABEL),
        unverified=not comment.author_verified,
        is_own=own,
        editable=can_edit(viewer, comment, now),
        can_reply=accepting and comment.parent_id is None and published and comment.may_publish,
        when=when(comment.created_at),
        edited_when=when(comment.edited_at) if comment.edited_at else None,
        campaign_size=(
            comment.campaign_group.member_count if comment.campaign_group is not None and published else 0
        ),
    )


def public_labels(viewer: Viewer | None, comment: Comment) -> tuple[str, str | None, str | None]:
    """The author label, the account behind it (staff only) and the tombstone: what `comment_view` shows of
    the person and the state, without the page's dates and buttons (for the API and exports)."""
    return author_label(comment), _account(viewer, comment), _tombstone(comment)
