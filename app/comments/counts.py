"""The counts pages show, kept in the rows: a clause's published comments, a comment's published replies, a
campaign group's published members.

A use case changes a count by delta in the same transaction as the row it adds or withdraws; `refresh_counts`
recounts by scanning, for changes of state in bulk (moderation) and repairs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from app.models import CampaignGroup, Clause, Comment, CommentState


def bump_clause(session: Session, clause_id: int, delta: int) -> None:
    """Change a clause's kept comment count by `delta`."""
    session.execute(
        update(Clause).where(Clause.id == clause_id).values(comment_count=Clause.comment_count + delta)
    )
    clause = session.identity_map.get(session.identity_key(Clause, clause_id))
    if clause is not None:
        session.expire(clause, ["comment_count"])


def bump_replies(session: Session, parent: Comment | int, delta: int) -> None:
    """Change a comment's kept reply count by `delta` (never below zero)."""
    parent_id = parent if isinstance(parent, int) else parent.id
    session.execute(
        update(Comment)
        .where(Comment.id == parent_id, Comment.reply_count + delta >= 0)
        .values(reply_count=Comment.reply_count + delta)
    )
    loaded = session.identity_map.get(session.identity_key(Comment, parent_id))
    if loaded is not None:
        session.expire(loaded, ["reply_count"])


def published_members() -> Any:
    """A correlated count of a campaign group's published members (for UPDATE ... SET member_count)."""
    counted = aliased(Comment)
    return (
        select(func.count(counted.id))
        .where(counted.campaign_group_id == CampaignGroup.id, counted.state == CommentState.PUBLISHED.value)
        .scalar_subquery()
    )


def recount_groups(session: Session, group_ids: Iterable[int]) -> None:
    """Recount the members of these campaign groups (a group is small: a count per change is cheap)."""
    ids = sorted(set(group_ids))
    session.execute(
        update(CampaignGroup).where(CampaignGroup.id.in_(ids)).values(member_count=published_members()),
        execution_options={"synchronize_session": False},
    )
    for group_id in ids:
        group = session.identity_map.get(session.identity_key(CampaignGroup, group_id))
        if group is not None:
            session.expire(group, ["member_count"])


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
        .values(member_count=published_members()),
        execution_options={"synchronize_session": False},
    )
    session.expire_all()
