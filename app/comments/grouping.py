"""Campaign groups: a new top-level comment joins a group when another person sent the same letter.

`app.comments.campaigns` (pure) says whether two texts are one letter; this module decides which comments to
compare it with, cheaply by design: exact matches by fingerprint (indexed), near matches only against the
clause's groups and its recent ungrouped comments of similar length, then the whole version by MinHash band
keys (`app.analysis.campaigns`), so a letter sent on another clause, or after many others, is still found.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.analysis import campaigns as version_wide
from app.comments import campaigns
from app.comments.counts import recount_groups
from app.models import CampaignGroup, Comment, CommentState

# How many of a clause's groups, and of its recent ungrouped comments, a new comment is compared with (form
# letters arrive in bursts, and once two have met, later ones match the group's text).
CAMPAIGN_CANDIDATES = 200
RECENT_CANDIDATES = 50


def assign_campaign(session: Session, comment: Comment, normalised: str) -> None:
    """Put a top-level comment into its clause's campaign group, when another person sent the same letter."""
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
        match = _similar_comment(session, normalised, others)
    # Across the whole version (any clause), by MinHash band keys kept in the database: app.analysis.campaigns.
    keys = version_wide.keys_for(normalised)
    if match is None and group is None:
        match = version_wide.version_match(session, comment, keys)
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
        version_wide.remember(session, comment, keys)
        return
    comment.campaign_group_id = group.id
    session.flush()
    version_wide.remember(session, comment, keys)
    recount_groups(session, [group.id])


def regroup(session: Session, comment: Comment) -> None:
    """Work out an edited top-level comment's group again; the group it leaves is recounted."""
    if comment.parent_id is not None:
        return
    old_group = comment.campaign_group_id
    comment.campaign_group_id = None
    session.flush()
    assign_campaign(session, comment, campaigns.normalise(comment.body))
    if old_group is not None and old_group != comment.campaign_group_id:
        recount_groups(session, [old_group])


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


def _similar_comment(session: Session, normalised: str, others: list[Any]) -> Comment | None:
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
