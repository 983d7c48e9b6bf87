"""Comment use cases: who sees what, posting, replying, editing, withdrawing, counts, campaign groups.

Services take the session first, flush and never commit, and raise CommentError subclasses whose messages
are safe to show. Listing functions return view models (CommentView) so templates only show.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from babel.dates import format_datetime
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import TextClause, exists, func, or_, select, text, update
from sqlalchemy.orm import Session, aliased, joinedload

from app.comments import campaigns
from app.comments.visibility import (  # noqa: F401 - re-exported while callers move to visibility
    ALL_STATES,
    PUBLIC_STATES,
    _is_staff,
    _user_id,
    can_view_comment,
    can_view_receipt,
    shows_body,
    visible_states,
)
from app.diffing.anchoring import Anchor, locate_quote
from app.drafts.parsing import NZ
from app.drafts.rendering import render_comment
from app.models import CampaignGroup, Clause, Comment, CommentState, DisplayAs, ModerationMode, User, Version
from app.models.base import utcnow

MAX_BODY_CHARS = 10_000
MAX_QUOTE_CHARS = 5_000
MAX_CONTEXT_CHARS = 200
EDIT_WINDOW = dt.timedelta(minutes=15)
DUPLICATE_WINDOW = dt.timedelta(minutes=10)
SECTION_PAGE_SIZE = 5
CLAUSE_PAGE_SIZE = 20
THREAD_PAGE_SIZE = 20
CAMPAIGN_PAGE_SIZE = 20
REPLY_PREVIEW = 3
# How many of a clause's groups, and of its recent ungrouped comments, a new comment is compared with (cheap
# by design: form letters arrive in bursts, and once two have met, later ones match the group's text).
CAMPAIGN_CANDIDATES = 200
RECENT_CANDIDATES = 50
# SQLite refuses compound SELECTs of more than 500 terms; stay well below.
MAX_UNION_TERMS = 200

ANONYMOUS_LABEL = "Anonymous member of the public"
_EMPTY_HASH = campaigns.fingerprint("")


# --- errors ------------------------------------------------------------------------------------------


class CommentError(Exception):
    """A comment action that cannot be done; the message is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CommentInputError(CommentError):
    """What was typed cannot be accepted; `field` names the form field to show the message at."""

    def __init__(self, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.field = field


class CommentingClosedError(CommentError):
    """The version does not accept comments now (closed, not yet open, or never)."""


class DuplicateCommentError(CommentError):
    """The same person sent the same text on the same clause a moment ago."""

    def __init__(self, message: str, first: Comment) -> None:
        super().__init__(message)
        self.first = first


class NotAuthorError(CommentError):
    """Only a comment's author may do this."""


class EditWindowClosedError(CommentError):
    """Comments can be edited for a short while only."""


class CommentStateError(CommentError):
    """The comment is in a state that does not allow this (withdrawn, hidden, a reply to a reply)."""


# --- visibility --------------------------------------------------------------------------------------


# --- the comment period ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodStatus:
    """Whether a version takes comments now, and the sentence that says so."""

    is_open: bool
    message: str


def _nz_day(moment: dt.datetime) -> str:
    return str(format_date(moment.astimezone(NZ).date(), "d MMMM y"))


def period_status(version: Version, now: dt.datetime | None = None) -> PeriodStatus:
    """Describe the version's comment period at `now` in one plain sentence."""
    now = now or utcnow()
    opens, closes = version.comments_open_at, version.comments_close_at
    if version.accepts_comments_at(now) and closes is not None:
        return PeriodStatus(True, _("Comments are open until %(day)s.", day=_nz_day(closes)))
    if not version.is_public or opens is None or closes is None:
        return PeriodStatus(False, _("This version does not take comments."))
    if now < opens:
        return PeriodStatus(
            False, _("Comments on this version are not yet open. They open on %(day)s.", day=_nz_day(opens))
        )
    return PeriodStatus(False, _("Comments on this version closed on %(day)s.", day=_nz_day(closes)))


def require_open(version: Version, now: dt.datetime) -> None:
    """Raise CommentingClosedError unless the version takes comments at `now`."""
    status = period_status(version, now)
    if not status.is_open:
        raise CommentingClosedError(status.message)


# --- input -------------------------------------------------------------------------------------------


def clean_body(raw: str | None) -> str:
    """Check and tidy a comment's text: not empty, not too long, no unreadable or control characters."""
    text = (raw or "").replace("\r\n", "\n").replace("\r", "\n")
    bad = _bad_character(text)
    if bad == "replacement":
        raise CommentInputError(
            _(
                "Your comment contains characters that could not be read (it is not valid UTF-8). Retype or paste it again as plain text."
            )
        )
    if bad == "control":
        raise CommentInputError(
            _("Your comment contains invisible control characters. Remove them, or retype it as plain text.")
        )
    text = text.strip()
    if not text:
        raise CommentInputError(_("Enter your comment."))
    if len(text) > MAX_BODY_CHARS:
        raise CommentInputError(
            _(
                "Your comment is %(count)s characters long. Shorten it to %(limit)s characters or fewer.",
                count=f"{len(text):,}",
                limit=f"{MAX_BODY_CHARS:,}",
            )
        )
    return text


def _bad_character(text: str) -> str | None:
    for ch in text:
        if ch in "\n\t":
            continue
        if ch == "\ufffd":
            return "replacement"  # what the request parser makes of bytes that are not UTF-8
        category = unicodedata.category(ch)
        if category == "Cs":
            return "replacement"  # a lone surrogate: not encodable, PostgreSQL would refuse it
        if category == "Cc":
            return "control"
    return None


@dataclass(frozen=True)
class QuoteInput:
    """A passage as the form sent it: the exact words, their context and where they started."""

    exact: str
    prefix: str = ""
    suffix: str = ""
    start: int | None = None

    @classmethod
    def from_form(
        cls, exact: str | None, prefix: str | None, suffix: str | None, start: str | None
    ) -> QuoteInput | None:
        """Build from raw form strings; None when no passage was chosen. Bad hints are ignored."""
        exact = (exact or "").replace("\r\n", "\n").strip()
        if not exact:
            return None
        hint: int | None = None
        if start and start.strip().isdigit() and len(start.strip()) < 9:
            hint = int(start.strip())
        # Browsers send every form value's line breaks as CRLF (hidden fields too), so undo that here as well.
        return cls(
            exact=exact,
            prefix=(prefix or "").replace("\r\n", "\n")[-MAX_CONTEXT_CHARS:],
            suffix=(suffix or "").replace("\r\n", "\n")[:MAX_CONTEXT_CHARS],
            start=hint,
        )


def anchor_quote(clause: Clause, quote: QuoteInput) -> Anchor:
    """Find the quoted passage in the clause's text; raise CommentInputError if it is not there."""
    if _bad_character(quote.exact + quote.prefix + quote.suffix) is not None:
        raise CommentInputError(
            _("The passage contains characters that could not be read."), field="quote_exact"
        )
    if len(quote.exact) > MAX_QUOTE_CHARS:
        raise CommentInputError(_("That passage is too long to be from this clause."), field="quote_exact")
    anchor = locate_quote(clause.text, quote.exact, quote.prefix, quote.suffix, quote.start)
    if anchor is None:
        raise CommentInputError(
            _(
                "We could not find that passage in clause %(number)s. Copy the words exactly as they appear in the clause, or leave the box empty to comment on the whole clause.",
                number=clause.number,
            ),
            field="quote_exact",
        )
    return anchor


def _display_as(value: str | None) -> str:
    if value not in {d.value for d in DisplayAs}:
        raise CommentInputError(_("Choose how your name is shown."), field="display_as")
    return str(value)


# --- posting -----------------------------------------------------------------------------------------


def post_comment(
    session: Session,
    user: User,
    clause: Clause,
    body: str | None,
    display_as: str | None = DisplayAs.NAME.value,
    quote: QuoteInput | None = None,
    now: dt.datetime | None = None,
) -> Comment:
    """Post a comment on a clause (optionally on a passage of it) while the version takes comments."""
    now = now or utcnow()
    version = session.get_one(Version, clause.version_id)
    require_open(version, now)
    text = clean_body(body)
    anchor = anchor_quote(clause, quote) if quote is not None else None
    comment = _new_comment(session, user, version, clause.id, text, display_as, now)
    if anchor is not None:
        comment.quote_exact = anchor.exact
        comment.quote_prefix = anchor.prefix
        comment.quote_suffix = anchor.suffix
        comment.quote_start = anchor.start
        comment.quote_end = anchor.end
    session.add(comment)
    session.flush()
    _assign_campaign(session, comment, campaigns.normalise(text))
    if comment.state == CommentState.PUBLISHED.value:
        _bump_clause(session, clause.id, +1)
    return comment


def _new_comment(
    session: Session,
    user: User,
    version: Version,
    clause_id: int,
    text: str,
    display_as: str | None,
    now: dt.datetime,
) -> Comment:
    """Build (not add) a comment or reply, refusing the same text from the same person within minutes."""
    digest = campaigns.fingerprint(text)
    _refuse_duplicate(session, user, clause_id, digest, now)
    return Comment(
        user_id=user.id,
        version_id=version.id,
        clause_id=clause_id,
        body=text,
        body_html=render_comment(text),
        display_as=_display_as(display_as),
        author_verified=user.is_verified,
        fingerprint_hash=digest,
        state=_initial_state(version),
        created_at=now,
    )


def post_reply(
    session: Session,
    user: User,
    parent: Comment,
    body: str | None,
    display_as: str | None = DisplayAs.NAME.value,
    version_id: int | None = None,
    clause_id: int | None = None,
    now: dt.datetime | None = None,
) -> Comment:
    """Reply to a top-level comment; the reply is on the parent's version and clause.

    `version_id` and `clause_id`, when a form sent them, must be the parent's.
    """
    now = now or utcnow()
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
    if parent.state not in {CommentState.PUBLISHED.value}:
        raise CommentStateError(_("This comment does not take replies."))
    version = parent.version
    require_open(version, now)
    text = clean_body(body)
    reply = _new_comment(session, user, version, parent.clause_id, text, display_as, now)
    reply.parent_id = parent.id
    session.add(reply)
    session.flush()
    if reply.state == CommentState.PUBLISHED.value:
        _bump_clause(session, parent.clause_id, +1)
        session.execute(
            update(Comment).where(Comment.id == parent.id).values(reply_count=Comment.reply_count + 1)
        )
        session.expire(parent, ["reply_count"])
    return reply


def _initial_state(version: Version) -> str:
    if version.policy.moderation == ModerationMode.PRE.value:
        return CommentState.HELD.value
    return CommentState.PUBLISHED.value


def _refuse_duplicate(session: Session, user: User, clause_id: int, digest: str, now: dt.datetime) -> None:
    first = session.scalar(
        select(Comment)
        .where(
            Comment.fingerprint_hash == digest,
            Comment.user_id == user.id,
            Comment.clause_id == clause_id,
            Comment.created_at >= now - DUPLICATE_WINDOW,
            Comment.state != CommentState.WITHDRAWN.value,
        )
        .order_by(Comment.id)
        .limit(1)
    )
    if first is not None:
        raise DuplicateCommentError(_("You already sent this comment."), first)


def _bump_clause(session: Session, clause_id: int, delta: int) -> None:
    session.execute(
        update(Clause).where(Clause.id == clause_id).values(comment_count=Clause.comment_count + delta)
    )
    clause = session.identity_map.get(session.identity_key(Clause, clause_id))
    if clause is not None:
        session.expire(clause, ["comment_count"])


# --- editing and withdrawing -------------------------------------------------------------------------


def can_edit(user: Any, comment: Comment, now: dt.datetime | None = None) -> bool:
    """Whether `user` may still edit `comment` (its author, within the edit window, not withdrawn or hidden)."""
    now = now or utcnow()
    return (
        comment.user_id is not None
        and comment.user_id == _user_id(user)
        and comment.state in {CommentState.PUBLISHED.value, CommentState.HELD.value}
        and now - comment.created_at <= EDIT_WINDOW
    )


def _require_author(user: User, comment: Comment) -> None:
    if comment.user_id is None or comment.user_id != user.id:
        raise NotAuthorError(_("Only the person who wrote this comment can change it."))


def edit_comment(
    session: Session, user: User, comment: Comment, body: str | None, now: dt.datetime | None = None
) -> Comment:
    """Change a comment's text within the edit window; its campaign group is worked out again."""
    now = now or utcnow()
    _require_author(user, comment)
    if comment.state not in {CommentState.PUBLISHED.value, CommentState.HELD.value}:
        raise CommentStateError(_("This comment can no longer be edited."))
    if now - comment.created_at > EDIT_WINDOW:
        raise EditWindowClosedError(
            _("You can edit a comment for 15 minutes after sending it. You can still withdraw it.")
        )
    text = clean_body(body)
    if text == comment.body:
        return comment
    comment.body = text
    comment.body_html = render_comment(text)
    comment.fingerprint_hash = campaigns.fingerprint(text)
    comment.edited_at = now
    session.flush()
    if comment.parent_id is None:
        old_group = comment.campaign_group_id
        comment.campaign_group_id = None
        session.flush()
        _assign_campaign(session, comment, campaigns.normalise(text))
        if old_group is not None and old_group != comment.campaign_group_id:
            _recount_groups(session, [old_group])
    return comment


def withdraw_comment(
    session: Session, user: User, comment: Comment, now: dt.datetime | None = None
) -> Comment:
    """Withdraw a comment: its words go, a tombstone and its replies stay."""
    now = now or utcnow()
    _require_author(user, comment)
    if comment.state == CommentState.WITHDRAWN.value:
        raise CommentStateError(_("You have already withdrawn this comment."))
    was_published = comment.state == CommentState.PUBLISHED.value
    comment.state = CommentState.WITHDRAWN.value
    comment.body = ""
    comment.body_html = ""
    comment.fingerprint_hash = _EMPTY_HASH
    comment.withdrawn_at = now
    session.flush()
    if was_published:
        _bump_clause(session, comment.clause_id, -1)
        if comment.parent_id is not None:
            session.execute(
                update(Comment)
                .where(Comment.id == comment.parent_id, Comment.reply_count > 0)
                .values(reply_count=Comment.reply_count - 1)
            )
    if comment.campaign_group_id is not None:
        _recount_groups(session, [comment.campaign_group_id])
    return comment


# --- kept counts -------------------------------------------------------------------------------------


def refresh_counts(session: Session, clause_ids: Iterable[int]) -> None:
    """Recount the clauses' comments, their comments' replies and their campaign groups' members.

    Call after anything changes comment states in bulk (moderation: hide, restore, approve).
    Counts are of published comments: held, hidden and withdrawn ones are not counted.
    """
    ids = sorted(set(clause_ids))
    if not ids:
        return
    published = CommentState.PUBLISHED.value
    counted = aliased(Comment)
    session.execute(
        update(Clause)
        .where(Clause.id.in_(ids))
        .values(
            comment_count=select(func.count(counted.id))
            .where(counted.clause_id == Clause.id, counted.state == published)
            .scalar_subquery()
        ),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(Comment)
        .where(Comment.clause_id.in_(ids), Comment.parent_id.is_(None))
        .values(
            reply_count=select(func.count(counted.id))
            .where(counted.parent_id == Comment.id, counted.state == published)
            .scalar_subquery()
        ),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(CampaignGroup)
        .where(CampaignGroup.clause_id.in_(ids))
        .values(member_count=_published_members()),
        execution_options={"synchronize_session": False},
    )
    session.expire_all()


def _published_members() -> Any:
    """A correlated count of a campaign group's published members (for UPDATE ... SET member_count)."""
    counted = aliased(Comment)
    return (
        select(func.count(counted.id))
        .where(counted.campaign_group_id == CampaignGroup.id, counted.state == CommentState.PUBLISHED.value)
        .scalar_subquery()
    )


def _recount_groups(session: Session, group_ids: Iterable[int]) -> None:
    ids = sorted(set(group_ids))
    session.execute(
        update(CampaignGroup).where(CampaignGroup.id.in_(ids)).values(member_count=_published_members()),
        execution_options={"synchronize_session": False},
    )
    for group_id in ids:
        group = session.identity_map.get(session.identity_key(CampaignGroup, group_id))
        if group is not None:
            session.expire(group, ["member_count"])


# --- campaign groups ---------------------------------------------------------------------------------


def _assign_campaign(session: Session, comment: Comment, normalised: str) -> None:
    """Put a new top-level comment into its clause's campaign group, when another person sent the same letter.

    Exact matches are found by fingerprint (indexed); near matches by comparing with the clause's groups and
    its recent ungrouped comments of similar length only.
    """
    if comment.parent_id is not None or not normalised:
        return
    others = [
        Comment.clause_id == comment.clause_id,
        Comment.id != comment.id,
        Comment.parent_id.is_(None),
        Comment.state != CommentState.WITHDRAWN.value,
        or_(Comment.user_id.is_(None), Comment.user_id != comment.user_id),
    ]
    match = session.scalar(
        select(Comment)
        .where(Comment.fingerprint_hash == comment.fingerprint_hash, *others)
        .order_by(Comment.id)
        .limit(1)
    )
    group: CampaignGroup | None = None
    if match is None:
        group = _similar_group(session, comment, normalised)
    if match is None and group is None:
        match = _similar_comment(session, comment, normalised, others)
    if match is not None:
        group = match.campaign_group
        if group is None:
            group = CampaignGroup(
                version_id=comment.version_id,
                clause_id=comment.clause_id,
                fingerprint=campaigns.normalise(match.body),
                member_count=0,
            )
            session.add(group)
            session.flush()
            match.campaign_group_id = group.id
    if group is None:
        return
    comment.campaign_group_id = group.id
    session.flush()
    _recount_groups(session, [group.id])


def _length_bounds(normalised: str) -> tuple[int, int]:
    length = len(normalised)
    return int(length * campaigns.LENGTH_RATIO * 0.8), int(length / campaigns.LENGTH_RATIO * 1.25) + 8


def _similar_group(session: Session, comment: Comment, normalised: str) -> CampaignGroup | None:
    if campaigns.word_count(normalised) < campaigns.NEAR_MIN_WORDS:
        return None
    low, high = _length_bounds(normalised)
    rows = session.execute(
        select(CampaignGroup.id, CampaignGroup.fingerprint)
        .where(
            CampaignGroup.clause_id == comment.clause_id,
            func.length(CampaignGroup.fingerprint).between(low, high),
        )
        .order_by(CampaignGroup.id.desc())
        .limit(CAMPAIGN_CANDIDATES)
    ).all()
    found = campaigns.best_match(normalised, ((row.id, row.fingerprint) for row in rows))
    return session.get(CampaignGroup, found) if found is not None else None


def _similar_comment(
    session: Session, comment: Comment, normalised: str, others: list[Any]
) -> Comment | None:
    if campaigns.word_count(normalised) < campaigns.NEAR_MIN_WORDS:
        return None
    # Raw lengths bound normalised ones loosely (punctuation and spaces go), so the window is wide.
    low, high = _length_bounds(normalised)
    rows = session.execute(
        select(Comment.id, Comment.body)
        .where(
            *others,
            Comment.campaign_group_id.is_(None),
            func.length(Comment.body).between(low, int(high * 1.5)),
        )
        .order_by(Comment.id.desc())
        .limit(RECENT_CANDIDATES)
    ).all()
    words = campaigns.word_count(normalised)
    # Raw word counts first: normalising a candidate costs more than splitting it.
    candidates = (
        (row.id, campaigns.normalise(row.body))
        for row in rows
        if campaigns.lengths_compatible(len(row.body.split()), words)
    )
    found = campaigns.best_match(normalised, candidates)
    return session.get(Comment, found) if found is not None else None


# --- finding -----------------------------------------------------------------------------------------

TRACKING_RE = re.compile(r"^[34679ACDEFGHJKMNPQRTUVWXY]{8}$")


def normalise_tracking_number(raw: str | None) -> str | None:
    """Read a tracking number as people type it (any case, spaces, with or without KR- and dashes)."""
    chars = "".join(ch for ch in (raw or "").upper() if ch.isascii() and ch.isalnum())
    chars = chars.removeprefix("KR")
    if not TRACKING_RE.match(chars):
        return None
    return f"KR-{chars[:4]}-{chars[4:]}"


def spell_tracking_number(number: str) -> str:
    """The tracking number as it is read aloud: one character at a time, groups apart."""
    return ", ".join(" ".join(group) for group in number.split("-"))


def find_by_tracking_number(session: Session, raw: str | None) -> Comment | None:
    """The comment with this tracking number, or None."""
    number = normalise_tracking_number(raw)
    if number is None:
        return None
    return session.scalar(
        select(Comment).where(Comment.tracking_number == number).options(joinedload(Comment.clause))
    )


def has_commented(session: Session, user: Any) -> bool:
    """Whether the user has ever commented (the privacy notice is shown before the first comment)."""
    user_id = _user_id(user)
    if user_id is None:
        return False
    return bool(session.scalar(select(exists().where(Comment.user_id == user_id))))


# --- what pages show ---------------------------------------------------------------------------------


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
    unverified: bool
    is_own: bool
    editable: bool
    can_reply: bool
    when: str = ""
    edited_when: str | None = None
    campaign_size: int = 0
    replies: list[CommentView] = field(default_factory=list)
    more_replies: bool = False


@dataclass
class CommentList:
    """A page of comments and the keyset link to the next (older) page."""

    items: list[CommentView]
    next_cursor: int | None


STATE_LABELS = {
    CommentState.HELD.value: "Waiting for a moderator",
    CommentState.HIDDEN.value: "Hidden by a moderator",
    CommentState.WITHDRAWN.value: "Withdrawn",
}


def when(moment: dt.datetime) -> str:
    """A moment as New Zealand local time, the way people read it: 29 March 2019, 4:05 pm."""
    return str(format_datetime(moment, "d MMMM y, h:mm a", tzinfo=NZ, locale=get_locale() or "en"))


def comment_view(user: Any, comment: Comment, accepting: bool, now: dt.datetime | None = None) -> CommentView:
    """Build what `user` sees of `comment`."""
    staff = _is_staff(user)
    own = comment.user_id is not None and comment.user_id == _user_id(user)
    body = shows_body(user, comment)
    tombstone = None
    if comment.state == CommentState.WITHDRAWN.value:
        tombstone = _("Withdrawn by its author.")
    elif comment.state == CommentState.HIDDEN.value:
        tombstone = _(
            "Removed by a moderator: %(reason)s", reason=comment.moderation_reason or _("no reason given")
        )
    author_name = comment.user.display_name if comment.user is not None else None
    if comment.display_as == DisplayAs.ANONYMOUS.value or author_name is None:
        author = _(ANONYMOUS_LABEL)
    else:
        author = author_name
    account = None
    if staff and comment.user is not None:
        account = f"{comment.user.display_name} <{comment.user.email}>"
    elif staff:
        account = _("deleted account")
    label = STATE_LABELS.get(comment.state)
    return CommentView(
        comment=comment,
        author=author if comment.state != CommentState.WITHDRAWN.value else _(ANONYMOUS_LABEL),
        account=account,
        body_html=comment.body_html if body else None,
        tombstone=tombstone,
        state=comment.state,
        state_label=_(label)
        if label and (staff or own or comment.state != CommentState.HELD.value)
        else None,
        unverified=not comment.author_verified,
        is_own=own,
        editable=can_edit(user, comment, now),
        can_reply=accepting and comment.parent_id is None and comment.state == CommentState.PUBLISHED.value,
        when=when(comment.created_at),
        edited_when=when(comment.edited_at) if comment.edited_at else None,
        campaign_size=(
            comment.campaign_group.member_count
            if comment.campaign_group is not None and comment.state == CommentState.PUBLISHED.value
            else 0
        ),
    )


# One term per (clause, state): an index range scan on ix_comments_clause_state_id, read newest first, that
# stops after LIMIT rows. A published member of a campaign group is listed only if it is the group's
# representative (its earliest published member). Written as SQL text so a page view costs microseconds to
# build, and the same text for the same number of clauses lets the drivers reuse prepared statements.
_PAGE_TERM = (
    "SELECT * FROM (SELECT c.id AS id, c.clause_id AS clause_id FROM comments AS c"
    " WHERE c.clause_id = :c{i} AND c.state = :s{j} AND c.parent_id IS NULL"
    " AND (c.campaign_group_id IS NULL OR c.state <> 'published' OR c.id = ("
    "SELECT min(m.id) FROM comments AS m WHERE m.campaign_group_id = c.campaign_group_id AND m.state = 'published'))"
    "{before} ORDER BY c.id DESC LIMIT :lim) AS t{i}_{j}"
)


@functools.lru_cache(maxsize=256)
def _page_sql(clauses: int, states: int, with_before: bool) -> TextClause:
    before = " AND c.id < :before" if with_before else ""
    terms = [_PAGE_TERM.format(i=i, j=j, before=before) for i in range(clauses) for j in range(states)]
    return text(" UNION ALL ".join(terms))


def _page_ids(
    session: Session, clause_ids: Sequence[int], states: set[str], limit: int, before: int | None = None
) -> dict[int, list[int]]:
    """The newest `limit` listed top-level comment ids of each clause, older than `before`.

    The cost does not grow with the number of comments a clause has (see _PAGE_TERM).
    """
    ordered_states = sorted(states)
    per_query = max(1, MAX_UNION_TERMS // len(ordered_states))
    found: dict[int, list[int]] = {clause_id: [] for clause_id in clause_ids}
    for start in range(0, len(clause_ids), per_query):
        chunk = list(clause_ids[start : start + per_query])
        params: dict[str, Any] = {"lim": limit}
        params.update({f"c{i}": clause_id for i, clause_id in enumerate(chunk)})
        params.update({f"s{j}": state for j, state in enumerate(ordered_states)})
        if before is not None:
            params["before"] = before
        statement = _page_sql(len(chunk), len(ordered_states), before is not None)
        for comment_id, clause_id in session.execute(statement, params):
            found[clause_id].append(comment_id)
    for clause_id, ids in found.items():
        found[clause_id] = sorted(ids, reverse=True)[:limit]
    return found


def _load(session: Session, ids: Iterable[int]) -> dict[int, Comment]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = session.scalars(
        select(Comment)
        .where(Comment.id.in_(wanted))
        .options(joinedload(Comment.user), joinedload(Comment.campaign_group))
    )
    return {row.id: row for row in rows}


def _attach_replies(
    session: Session, user: Any, views: list[CommentView], accepting: bool, now: dt.datetime, limit: int
) -> None:
    """Attach up to `limit` visible replies to each comment, oldest first, in one query."""
    parents = {view.comment.id: view for view in views if view.comment.parent_id is None}
    if not parents:
        return
    states = visible_states(user)
    numbered = (
        select(
            Comment.id,
            func.row_number().over(partition_by=Comment.parent_id, order_by=Comment.id).label("n"),
        )
        .where(Comment.parent_id.in_(list(parents)), Comment.state.in_(states))
        .subquery()
    )
    ids = [row.id for row in session.execute(select(numbered.c.id).where(numbered.c.n <= limit + 1))]
    loaded = _load(session, ids)
    for reply in sorted(loaded.values(), key=lambda c: c.id):
        parent = parents[reply.parent_id]  # type: ignore[index]
        if len(parent.replies) < limit:
            parent.replies.append(comment_view(user, reply, accepting, now))
        else:
            parent.more_replies = True


def section_comments(
    session: Session, user: Any, version: Version, clauses: Sequence[Clause], now: dt.datetime | None = None
) -> dict[int, CommentList]:
    """The first page of comments of each clause of a section, with reply previews, in three queries."""
    now = now or utcnow()
    accepting = version.accepts_comments_at(now)
    states = visible_states(user)
    with_comments = [c.id for c in clauses]
    page = _page_ids(session, with_comments, states, SECTION_PAGE_SIZE + 1)
    loaded = _load(session, (i for ids in page.values() for i in ids))
    result: dict[int, CommentList] = {}
    all_views: list[CommentView] = []
    for clause_id, ids in page.items():
        shown = ids[:SECTION_PAGE_SIZE]
        views = [comment_view(user, loaded[i], accepting, now) for i in shown]
        all_views.extend(views)
        more = len(ids) > SECTION_PAGE_SIZE
        result[clause_id] = CommentList(views, shown[-1] if more and shown else None)
    _attach_replies(session, user, all_views, accepting, now, REPLY_PREVIEW)
    return result


def clause_comments(
    session: Session, user: Any, clause: Clause, before: int | None, now: dt.datetime | None = None
) -> CommentList:
    """One keyset page (newest first) of a clause's comments, with reply previews."""
    now = now or utcnow()
    version = session.get_one(Version, clause.version_id)
    accepting = version.accepts_comments_at(now)
    ids = _page_ids(session, [clause.id], visible_states(user), CLAUSE_PAGE_SIZE + 1, before)[clause.id]
    shown = ids[:CLAUSE_PAGE_SIZE]
    loaded = _load(session, shown)
    views = [comment_view(user, loaded[i], accepting, now) for i in shown]
    _attach_replies(session, user, views, accepting, now, REPLY_PREVIEW)
    return CommentList(views, shown[-1] if len(ids) > CLAUSE_PAGE_SIZE and shown else None)


def thread(
    session: Session, user: Any, comment: Comment, after: int | None, now: dt.datetime | None = None
) -> tuple[CommentView, CommentList]:
    """A comment and one keyset page (oldest first) of its visible replies."""
    now = now or utcnow()
    accepting = comment.version.accepts_comments_at(now)
    query = (
        select(Comment)
        .where(Comment.parent_id == comment.id, Comment.state.in_(visible_states(user)))
        .options(joinedload(Comment.user))
        .order_by(Comment.id)
        .limit(THREAD_PAGE_SIZE + 1)
    )
    if after is not None:
        query = query.where(Comment.id > after)
    replies = list(session.scalars(query))
    shown = replies[:THREAD_PAGE_SIZE]
    items = [comment_view(user, reply, accepting, now) for reply in shown]
    cursor = shown[-1].id if len(replies) > THREAD_PAGE_SIZE else None
    return comment_view(user, comment, accepting, now), CommentList(items, cursor)


def campaign_members(
    session: Session, user: Any, group: CampaignGroup, after: int | None, now: dt.datetime | None = None
) -> CommentList:
    """One keyset page (oldest first) of a campaign group's individual comments the reader may see."""
    now = now or utcnow()
    version = session.get_one(Version, group.version_id)
    accepting = version.accepts_comments_at(now)
    query = (
        select(Comment)
        .where(Comment.campaign_group_id == group.id, Comment.state.in_(visible_states(user)))
        .options(joinedload(Comment.user), joinedload(Comment.campaign_group))
        .order_by(Comment.id)
        .limit(CAMPAIGN_PAGE_SIZE + 1)
    )
    if after is not None:
        query = query.where(Comment.id > after)
    rows = list(session.scalars(query))
    shown = rows[:CAMPAIGN_PAGE_SIZE]
    views = [comment_view(user, row, accepting, now) for row in shown]
    return CommentList(views, shown[-1].id if len(rows) > CAMPAIGN_PAGE_SIZE else None)


def representative_of(session: Session, group: CampaignGroup) -> Comment | None:
    """A campaign group's representative: its earliest published member."""
    return session.scalar(
        select(Comment)
        .where(Comment.campaign_group_id == group.id, Comment.state == CommentState.PUBLISHED.value)
        .order_by(Comment.id)
        .limit(1)
    )


def get_clause(session: Session, version: Version, key: str) -> Clause | None:
    """A clause of a version by key."""
    return session.scalar(select(Clause).where(Clause.version_id == version.id, Clause.key == key))


def clause_of(session: Session, comment: Comment) -> Clause:
    """The clause a comment is on (with its section)."""
    return session.scalars(
        select(Clause).where(Clause.id == comment.clause_id).options(joinedload(Clause.section))
    ).one()
