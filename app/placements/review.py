"""Drafters confirm or re-place the comments that re-anchoring could not place with confidence."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.diffing.anchoring import Anchor, locate_quote, make_anchor
from app.exceptions import InputError
from app.models import Clause, Comment, CommentPlacement, PlacementStatus, User, Version, audit


class PlacementError(InputError):
    """A re-placement that cannot be done; the message is safe to show (and translated)."""

    code = "placement-refused"


@dataclass(frozen=True)
class ReviewItem:
    """A placement that re-anchoring was not sure of, with what a drafter needs to decide."""

    placement: CommentPlacement
    comment: Comment
    original_clause: Clause
    clause_text: str | None  # the clause it was on, in this version (if it is still there)


def get_placement(session: Session, version: Version, placement_id: int) -> CommentPlacement | None:
    """A placement of a comment in `version` (None for another version's placement)."""
    placement = session.get(CommentPlacement, placement_id)
    return placement if placement is not None and placement.version_id == version.id else None


def placements_to_review(session: Session, version: Version) -> list[ReviewItem]:
    """Placements in `version` that need a drafter: re-anchoring could not place them with confidence."""
    rows = session.execute(
        select(CommentPlacement, Comment, Clause)
        .join(Comment, Comment.id == CommentPlacement.comment_id)
        .join(Clause, Clause.id == Comment.clause_id)
        .where(
            CommentPlacement.version_id == version.id,
            CommentPlacement.status == PlacementStatus.NEEDS_REVIEW.value,
            CommentPlacement.confirmed_by_id.is_(None),
        )
        .order_by(CommentPlacement.id)
    ).all()
    texts = dict(
        session.execute(select(Clause.key, Clause.text).where(Clause.version_id == version.id)).all()
    )
    return [
        ReviewItem(placement, comment, clause, texts.get(placement.clause_key or ""))
        for placement, comment, clause in rows
    ]


def replace_comment(
    session: Session,
    placement: CommentPlacement,
    actor: User,
    clause_key: str | None,
    quote: str,
) -> CommentPlacement:
    """Confirm or re-place a comment in a version by hand: a clause (and passage), or "the text was removed"."""
    if clause_key is None:
        placement.clause_key = None
        placement.status = PlacementStatus.ORPHANED.value
        placement.quote_exact = placement.quote_prefix = placement.quote_suffix = None
        placement.quote_start = placement.quote_end = None
    else:
        text = session.scalar(
            select(Clause.text).where(Clause.version_id == placement.version_id, Clause.key == clause_key)
        )
        if text is None:
            raise PlacementError(_("Choose a clause of this version."), field="clause_key")
        quote = " ".join((quote or "").split())
        anchor = None
        if quote:
            anchor = locate_quote(text, quote) or _locate_squashed(text, quote)
            if anchor is None:
                raise PlacementError(
                    _("That passage is not in the clause you chose. Copy it exactly, or leave it empty."),
                    field="quote",
                )
        comment = session.get(Comment, placement.comment_id)
        original = comment.quote_exact if comment is not None else None
        same_text = anchor is not None and original is not None and " ".join(original.split()) == quote
        if anchor is None and original is None:
            same_text = True  # a comment on the whole clause stays one
        previous_key = _previous_key(session, placement)
        if not same_text:
            status = PlacementStatus.TEXT_CHANGED.value
        elif previous_key != clause_key:
            status = PlacementStatus.MOVED.value
        else:
            status = PlacementStatus.UNCHANGED.value
        placement.clause_key = clause_key
        placement.status = status
        placement.quote_exact = anchor.exact if anchor else None
        placement.quote_prefix = anchor.prefix[-64:] if anchor else None
        placement.quote_suffix = anchor.suffix[:64] if anchor else None
        placement.quote_start = anchor.start if anchor else None
        placement.quote_end = anchor.end if anchor else None
    placement.confidence = 1.0
    placement.confirmed_by_id = actor.id
    audit(
        session,
        actor,
        "placement.confirm",
        "comment",
        placement.comment_id,
        version=placement.version_id,
        clause=placement.clause_key,
        status=placement.status,
    )
    session.flush()
    return placement


def _locate_squashed(text: str, quote: str) -> Anchor | None:
    """Find a quote typed with different spacing (line breaks, double spaces) in the clause text."""
    pattern = r"\s+".join(re.escape(word) for word in quote.split())
    match = re.search(pattern, text)
    return make_anchor(text, match.start(), match.end()) if match else None


def _previous_key(session: Session, placement: CommentPlacement) -> str | None:
    """The clause key the comment had in the version before this placement's."""
    version = session.get(Version, placement.version_id)
    comment = session.get(Comment, placement.comment_id)
    if version is None or comment is None:
        return None
    earlier = session.scalar(
        select(CommentPlacement.clause_key)
        .join(Version, Version.id == CommentPlacement.version_id)
        .where(CommentPlacement.comment_id == comment.id, Version.position < version.position)
        .order_by(Version.position.desc())
        .limit(1)
    )
    return earlier if earlier is not None else comment.clause.key
