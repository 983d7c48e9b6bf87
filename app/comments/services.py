"""Comment use cases that change data: post a comment or a reply, edit it, withdraw it.

Each takes the session first, flushes and never commits (the request boundary does), keeps the counts pages
show by delta, and raises the errors of `app.comments.errors`. What pages read is in `listing`, how it is shown
in `presenters`, who sees what in `visibility`.

Posting is queue-first: `accept_comment` / `accept_reply` do what the receipt needs (check, store the row with
`processed` false) and `settle_comment` does what can wait (campaign grouping, the kept counts, the search
document) as a job after the commit (`app.comments.jobs`). Settling is idempotent: it claims the row with a
conditional UPDATE, so a retried or doubled job does nothing the second time. `post_comment` / `post_reply` do both in one unit of work (imports,
the CLI, tests).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.analysis.indexing import reindex
from app.caching import comment_tags, touch
from app.comments import campaigns
from app.comments.counts import published_changed, refresh_counts
from app.comments.editing import require_editable, require_withdrawable
from app.comments.errors import CommentStateError, DuplicateCommentError, NotAuthorError
from app.comments.grouping import assign_campaign, regroup
from app.comments.inputs import QuoteInput, anchor_quote, clean_body, display_choice
from app.comments.listing import section_comments
from app.comments.periods import period_status, require_open
from app.comments.visibility import can_view_comment
from app.drafts.rendering import render_comment
from app.models import Clause, Comment, CommentState, DisplayAs, ModerationMode, User, Version, Viewer
from app.models.base import utcnow
from app.notify import events as notify_events

DUPLICATE_WINDOW = dt.timedelta(minutes=10)
# The use cases, and the names other packages (and their tests) import from here though they now live in the
# module named by their job: QuoteInput (inputs), period_status (periods), section_comments (listing),
# can_view_comment (visibility), refresh_counts (counts).
__all__ = [
    "QuoteInput",
    "accept_comment",
    "accept_reply",
    "can_view_comment",
    "edit_comment",
    "period_status",
    "post_comment",
    "post_reply",
    "refresh_counts",
    "section_comments",
    "settle_comment",
    "withdraw_comment",
]

EMPTY_FINGERPRINT = campaigns.fingerprint("")  # what a withdrawn comment keeps: its words are gone


# --- posting -----------------------------------------------------------------------------------------


def post_comment(
    session: Session,
    viewer: Viewer,
    clause: Clause,
    body: str | None,
    display_as: str | None = DisplayAs.NAME.value,
    quote: QuoteInput | None = None,
    now: dt.datetime | None = None,
) -> Comment:
    """Post a comment and settle it in the same unit of work (imports, the CLI, tests)."""
    comment = accept_comment(session, viewer, clause, body, display_as, quote, now=now)
    settle_comment(session, comment.id)
    return comment


def accept_comment(
    session: Session,
    viewer: Viewer,
    clause: Clause,
    body: str | None,
    display_as: str | None = DisplayAs.NAME.value,
    quote: QuoteInput | None = None,
    form_token: str | None = None,
    now: dt.datetime | None = None,
) -> Comment:
    """Store a comment on a clause (optionally on a passage of it) while the version takes comments.

    Only what the receipt needs; `settle_comment` does the rest. A `form_token` already used by this person
    returns the comment that token made (a retried POST never makes a second one).
    """
    now = now or utcnow()
    author = _account(viewer)
    version = session.get_one(Version, clause.version_id)
    require_open(version, now)
    text = clean_body(body)
    anchor = anchor_quote(clause, quote) if quote is not None else None
    digest = campaigns.fingerprint(text)
    earlier = _made_before(session, author, clause.id, digest, form_token, now)
    if earlier is not None:
        return earlier
    comment = _new_comment(author, version, clause.id, text, digest, display_as, now)
    if anchor is not None:
        comment.quote_exact = anchor.exact
        comment.quote_prefix = anchor.prefix
        comment.quote_suffix = anchor.suffix
        comment.quote_start = anchor.start
        comment.quote_end = anchor.end
    return _store(session, comment, author, form_token)


def settle_comment(session: Session, comment_id: int) -> bool:
    """The deferred work after a post: campaign grouping and the kept counts. Idempotent.

    Claims the row (`processed` false -> true, a conditional UPDATE that locks it), so a second run, or a
    withdrawal or moderation waiting on the row, sees it settled. Returns whether this call did the work.
    """
    claimed = session.execute(
        update(Comment)
        .where(Comment.id == comment_id, Comment.processed.is_(False))
        .values(processed=True)
        .returning(Comment.state, Comment.clause_id, Comment.parent_id),
        execution_options={"synchronize_session": False},
    ).first()
    if claimed is None:
        return False
    comment = session.get_one(Comment, comment_id)
    session.expire(comment, ["processed"])
    tags = comment_tags(comment)
    if comment.parent_id is None and comment.state != CommentState.WITHDRAWN.value:
        assign_campaign(session, comment, campaigns.normalise(comment.body))
        if comment.campaign_group_id is not None:
            # A group can span clauses (a letter found anywhere in the version): its other members' pages too.
            tags.append(f"policy:{comment.version.policy.slug}")
    if claimed.state == CommentState.PUBLISHED.value:
        # The group's member count moved as it joined; the clause's and the parent's move here.
        published_changed(session, claimed.clause_id, claimed.parent_id, None, comment_id, +1)
    # What settling changes adds to pages (counts, a group), through UPDATEs the page cache cannot place:
    # named here, or the commit would drop every page of the site with no stale copy allowed, once per comment.
    touch(session, *tags)
    session.flush()
    reindex(session, comment)  # its search document: the flush listener leaves unsettled comments to this
    notify_events.comment_posted(session, comment)  # the receipt, and a reply's note to its parent's author
    return True


def post_reply(
    session: Session,
    viewer: Viewer,
    parent: Comment,
    body: str | None,
    display_as: str | None = DisplayAs.NAME.value,
    version_id: int | None = None,
    clause_id: int | None = None,
    now: dt.datetime | None = None,
) -> Comment:
    """Post a reply and settle it in the same unit of work (imports, the CLI, tests)."""
    reply = accept_reply(session, viewer, parent, body, display_as, version_id, clause_id, now=now)
    settle_comment(session, reply.id)
    return reply


def accept_reply(
    session: Session,
    viewer: Viewer,
    parent: Comment,
    body: str | None,
    display_as: str | None = DisplayAs.NAME.value,
    version_id: int | None = None,
    clause_id: int | None = None,
    form_token: str | None = None,
    now: dt.datetime | None = None,
) -> Comment:
    """Store a reply to a top-level comment; the reply is on the parent's version and clause.

    `version_id` and `clause_id`, when a form sent them, must be the parent's.
    """
    now = now or utcnow()
    author = _account(viewer)
    if (version_id is not None and version_id != parent.version_id) or (
        clause_id is not None and clause_id != parent.clause_id
    ):
        raise CommentStateError(
            _("A reply must be on the same version and clause as the comment it answers.")
        )
    if parent.parent_id is not None:
        raise CommentStateError(
            _("You can reply to a comment, not to a reply. Reply to the comment it answers.")
        )
    if parent.state != CommentState.PUBLISHED.value or not parent.may_publish:
        raise CommentStateError(_("This comment does not take replies."))
    version = parent.version
    require_open(version, now)
    text = clean_body(body, reply=True)
    digest = campaigns.fingerprint(text)
    earlier = _made_before(session, author, parent.clause_id, digest, form_token, now)
    if earlier is not None:
        return earlier
    reply = _new_comment(author, version, parent.clause_id, text, digest, display_as, now)
    reply.parent_id = parent.id
    return _store(session, reply, author, form_token)


def _made_with(session: Session, author: User, form_token: str | None) -> Comment | None:
    if not form_token:
        return None
    return session.scalar(
        select(Comment).where(Comment.user_id == author.id, Comment.form_token == form_token)
    )


def _made_before(
    session: Session, author: User, clause_id: int, digest: str, form_token: str | None, now: dt.datetime
) -> Comment | None:
    """The comment this form token already made (a retried POST: return it), or None.

    Refuses the same words from the same person on the same clause within `DUPLICATE_WINDOW`. One statement
    for both checks, as every POST makes them (PostgreSQL answers it with a BitmapOr of the form-token and the
    recent-comments indexes).
    """
    same_words = and_(
        Comment.fingerprint_hash == digest,
        Comment.clause_id == clause_id,
        Comment.created_at >= now - DUPLICATE_WINDOW,
        Comment.state != CommentState.WITHDRAWN.value,
    )
    query = select(Comment).where(Comment.user_id == author.id, same_words).order_by(Comment.id)
    if form_token:  # the retried POST's own comment first
        retried = Comment.form_token == form_token
        query = (
            select(Comment)
            .where(Comment.user_id == author.id, or_(retried, same_words))
            .order_by(case((retried, 0), else_=1), Comment.id)
        )
    found = session.scalars(query.limit(1)).first()
    if found is None:
        return None
    if form_token and found.form_token == form_token:
        return found
    raise DuplicateCommentError(_("You already sent this comment."), found)


def _store(session: Session, comment: Comment, author: User, form_token: str | None) -> Comment:
    """Add a new comment, unsettled; two requests with one form token at once make one comment."""
    comment.form_token = form_token or None
    comment.processed = False
    if not form_token:
        session.add(comment)
        session.flush()
        return comment
    try:
        with session.begin_nested():
            session.add(comment)
    except IntegrityError:
        earlier = _made_with(session, author, form_token)
        if earlier is None:
            raise
        return earlier
    return comment


def _account(viewer: Viewer) -> User:
    """The signed-in account behind `viewer`: only people with an account post (views sign visitors in first)."""
    if not isinstance(viewer, User) or not viewer.is_authenticated:
        raise NotAuthorError(_("Sign in to comment."))
    return viewer


def _new_comment(
    author: User,
    version: Version,
    clause_id: int,
    text: str,
    digest: str,
    shown_as: str | None,
    now: dt.datetime,
) -> Comment:
    """Build (not add) a comment or reply; `_made_before` has checked it is not a repeat."""
    return Comment(
        user_id=author.id,
        version_id=version.id,
        clause_id=clause_id,
        body=text,
        body_html=render_comment(text),
        display_as=display_choice(shown_as),
        author_verified=author.is_verified,
        fingerprint_hash=digest,
        state=_initial_state(version),
        created_at=now,
    )


def _initial_state(version: Version) -> str:
    if version.policy.moderation == ModerationMode.PRE.value:
        return CommentState.HELD.value
    return CommentState.PUBLISHED.value


# --- editing and withdrawing -------------------------------------------------------------------------


def edit_comment(
    session: Session, viewer: Viewer, comment: Comment, body: str | None, now: dt.datetime | None = None
) -> Comment:
    """Change a comment's text within the edit window; its campaign group is worked out again."""
    now = now or utcnow()
    require_editable(viewer, comment, now)
    text = clean_body(body)
    if text == comment.body:
        return comment
    comment.body = text
    comment.body_html = render_comment(text)
    comment.fingerprint_hash = campaigns.fingerprint(text)
    comment.edited_at = now
    session.flush()
    regroup(session, comment)
    return comment


def withdraw_comment(
    session: Session, viewer: Viewer, comment: Comment, now: dt.datetime | None = None
) -> Comment:
    """Withdraw a comment: its words go, a tombstone and its replies stay."""
    now = now or utcnow()
    require_withdrawable(viewer, comment)
    if comment.state == CommentState.WITHDRAWN.value:
        raise CommentStateError(_("You have already withdrawn this comment."))
    # Conditional on the state read, and returning what the counts need as it is once the row is locked (a
    # settle job may have counted it meanwhile): a concurrent withdrawal or hide of the same comment finds no row.
    changed = session.execute(
        update(Comment)
        .where(Comment.id == comment.id, Comment.state == comment.state)
        .values(
            state=CommentState.WITHDRAWN.value,
            body="",
            body_html="",
            fingerprint_hash=EMPTY_FINGERPRINT,
            withdrawn_at=now,
        )
        .returning(Comment.processed, Comment.campaign_group_id),
        execution_options={"synchronize_session": False},
    ).first()
    was_published = comment.state == CommentState.PUBLISHED.value
    session.expire(comment)
    if changed is None:
        raise CommentStateError(_("You have already withdrawn this comment."))
    reindex(session, comment)  # its words leave the search index too (a Core UPDATE bypasses its listener)
    if was_published and changed.processed:
        published_changed(
            session, comment.clause_id, comment.parent_id, changed.campaign_group_id, comment.id, -1
        )
    return comment
