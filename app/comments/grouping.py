"""Campaign groups: a new top-level comment joins a group when another person sent the same letter.

`app.comments.campaigns` (pure) says whether two texts are one letter; this module decides which comments to
compare it with, cheaply by design: exact matches by fingerprint (indexed), near matches only against the
clause's groups and its recent ungrouped comments of similar length, then the whole version by MinHash band
keys (`app.analysis.campaigns`), so a letter sent on another clause, or after many others, is still found.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.analysis import campaigns as version_wide
from app.analysis.indexing import reindex
from app.comments import campaigns
from app.comments.counts import group_member_changed
from app.models import CampaignGroup, Comment, CommentState, DisplayAs
from app.models.base import utcnow

# How many of a clause's groups, and of its recent ungrouped comments, a new comment is compared with (form
# letters arrive in bursts, and once two have met, later ones match the group's text).
CAMPAIGN_CANDIDATES = 200
RECENT_CANDIDATES = 50


def assign_campaign(session: Session, comment: Comment, normalised: str) -> None:
    """Put a top-level comment into its clause's campaign group, when another person sent the same letter.

    Safe to run twice and at once for many letters: a group is one row per clause and exact text (an insert
    that meets its twin uses it), a comment joins only while it has no group (a conditional UPDATE), and the
    group's count and representative change by delta under the group row's lock (`counts.group_member_changed`).
    """
    if comment.parent_id is not None or not normalised or comment.campaign_group_id is not None:
        return
    if comment.campaign_locked:
        return  # staff took it out of a group by hand: that decision stands (app.comments.campaign_edits)
    if not comment.may_publish:
        # A group is shown through its representative: one its author asked us not to publish never joins one.
        return
    others = [
        Comment.display_as != DisplayAs.PRIVATE.value,
        Comment.clause_id == comment.clause_id,
        Comment.id != comment.id,
        Comment.parent_id.is_(None),
        Comment.state != CommentState.WITHDRAWN.value,
        Comment.campaign_locked.is_(False),
        or_(Comment.user_id.is_(None), Comment.user_id != comment.user_id),
    ]
    # ix_comments_clause_fingerprint_id: the first such comment, without walking the primary key.
    match: Any = session.execute(
        select(Comment.id, Comment.campaign_group_id, Comment.fingerprint_hash, Comment.body)
        .where(
            Comment.clause_id == comment.clause_id,
            Comment.fingerprint_hash == comment.fingerprint_hash,
            *others,
        )
        .order_by(Comment.id)
        .limit(1)
    ).first()
    group_id: int | None = None
    if match is None:
        group_id = _similar_group(session, comment, normalised)
    if match is None and group_id is None:
        match = _similar_comment(session, normalised, others)
    # Across the whole version (any clause), by MinHash band keys kept in the database: app.analysis.campaigns.
    keys = version_wide.keys_for(normalised)
    if match is None and group_id is None:
        match = version_wide.version_match(session, comment, keys)
    if match is not None:
        group_id = match.campaign_group_id
        if group_id is None:
            group_id = _group_for(session, comment, campaigns.normalise(match.body), match.fingerprint_hash)
            _join(session, group_id, match.id)
    version_wide.remember(session, comment, keys)
    if group_id is None:
        return
    _join(session, group_id, comment.id)


def _group_for(session: Session, comment: Comment, fingerprint: str, digest: str) -> int:
    """The clause's group for this exact text, made now unless it exists (or another transaction makes it)."""
    values = {
        "version_id": comment.version_id,
        "clause_id": comment.clause_id,
        "fingerprint": fingerprint,
        "fingerprint_hash": digest,
        "member_count": 0,
        "created_at": utcnow(),
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(CampaignGroup)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["clause_id", "fingerprint_hash"])
    )
    return session.scalars(
        select(CampaignGroup.id).where(
            CampaignGroup.clause_id == comment.clause_id, CampaignGroup.fingerprint_hash == digest
        )
    ).one()


# How many "merged into" links a joiner follows (a group merged into one later merged again, and so on).
MAX_MERGE_HOPS = 16


def lock_group(session: Session, group_id: int) -> int:
    """Lock a group row for a change of members; if staff merged it into another, lock and use that one.

    A letter can find a merged group by its text, or be on its way to it while the merge commits; following
    `merged_into_id` under the lock sends it where the merge sent the others. Nobody but joiners locks a merged
    group (it cannot be merged again), so holding it while locking the one it names cannot deadlock.
    """
    for _hop in range(MAX_MERGE_HOPS):
        row = session.execute(
            select(CampaignGroup.merged_into_id).where(CampaignGroup.id == group_id).with_for_update()
        ).first()
        if row is None or row.merged_into_id is None:
            return group_id
        group_id = row.merged_into_id
    return group_id


def _join(session: Session, group_id: int, comment_id: int) -> None:
    """Make `comment_id` a member of `group_id` if it has no group yet; count it once if it is published."""
    # The group row first, so every joiner of one group takes the locks in one order (no deadlock).
    group_id = lock_group(session, group_id)
    joined = session.execute(
        update(Comment)
        .where(
            Comment.id == comment_id,
            Comment.campaign_group_id.is_(None),
            Comment.campaign_locked.is_(False),
        )
        .values(campaign_group_id=group_id)
        .returning(Comment.state),
        execution_options={"synchronize_session": False},
    ).first()
    loaded = session.identity_map.get(session.identity_key(Comment, comment_id))
    if loaded is not None:
        session.expire(loaded, ["campaign_group_id", "campaign_group"])
    if joined is not None:
        reindex(session, loaded if loaded is not None else session.get_one(Comment, comment_id))
    if joined is not None and joined.state == CommentState.PUBLISHED.value:
        group_member_changed(session, group_id, comment_id, +1)


def regroup(session: Session, comment: Comment) -> None:
    """Work out an edited top-level comment's group again; the group it leaves counts it out."""
    if comment.parent_id is not None:
        return
    session.flush()
    old_group = comment.campaign_group_id
    if old_group is not None:
        # Conditional, like every change of members: a split that took the comment out already counted it out.
        left = session.execute(
            update(Comment)
            .where(Comment.id == comment.id, Comment.campaign_group_id == old_group)
            .values(campaign_group_id=None)
            .returning(Comment.state),
            execution_options={"synchronize_session": False},
        ).first()
        session.expire(comment, ["campaign_group_id", "campaign_group"])
        if left is not None and left.state == CommentState.PUBLISHED.value:
            group_member_changed(session, old_group, comment.id, -1)
        reindex(session, comment)
    assign_campaign(session, comment, campaigns.normalise(comment.body))


def _length_bounds(normalised: str) -> tuple[int, int]:
    length = len(normalised)
    return int(length * campaigns.LENGTH_RATIO * 0.8), int(length / campaigns.LENGTH_RATIO * 1.25) + 8


def _similar_group(session: Session, comment: Comment, normalised: str) -> int | None:
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
    return campaigns.best_match(normalised, ((row.id, row.fingerprint) for row in rows))


def _similar_comment(session: Session, normalised: str, others: list[Any]) -> Row[Any] | None:
    if campaigns.word_count(normalised) < campaigns.NEAR_MIN_WORDS:
        return None
    # Raw lengths bound normalised ones loosely (punctuation and spaces go), so the window is wide.
    low, high = _length_bounds(normalised)
    # ix_comments_ungrouped (partial: ungrouped top-level comments of a clause, by id), read newest first. The
    # length window is applied here, not in SQL: with it there, PostgreSQL guessed it rare and walked the primary
    # key backwards instead, through thousands of other clauses' rows on the busiest clause (39 ms at 1,000,000).
    rows = session.execute(
        select(Comment.id, Comment.campaign_group_id, Comment.fingerprint_hash, Comment.body)
        .where(*others, Comment.campaign_group_id.is_(None))
        .order_by(Comment.id.desc())
        .limit(RECENT_CANDIDATES)
    ).all()
    words = campaigns.word_count(normalised)
    # Raw word counts first: normalising a candidate costs more than splitting it.
    candidates = (
        (row.id, campaigns.normalise(row.body))
        for row in rows
        if low <= len(row.body) <= high * 1.5 and campaigns.lengths_compatible(len(row.body.split()), words)
    )
    found = campaigns.best_match(normalised, candidates)
    chosen: Any = next((row for row in rows if row.id == found), None) if found is not None else None
    return chosen
