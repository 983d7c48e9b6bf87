"""The counts pages show, kept in the rows: a clause's published comments, a comment's published replies, a
campaign group's published members and its representative (earliest published member).

A use case changes a count by delta in the same transaction as the row it adds, withdraws, hides or restores
(`published_changed` for one comment's change of state); nothing on a page or a POST recounts. `refresh_counts`
recounts by scanning, for repairs only (`korero` CLI, tests that set states by hand).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import case, func, literal, or_, select, update
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


def group_member_changed(session: Session, group_id: int, comment_id: int, delta: int) -> None:
    """A published member joined (`delta` +1) or left / stopped being published (-1) campaign group `group_id`.

    One UPDATE of the group row (its row lock orders concurrent changes): the count moves by delta; the
    representative becomes the smaller id on a join, and on the representative's leaving the next earliest
    published member, found by one probe of ix_comments_group_state_id (never a scan of the members).
    """
    group: Any = CampaignGroup.__table__
    if delta > 0:
        representative: Any = case(
            (
                or_(group.c.representative_id.is_(None), group.c.representative_id > comment_id),
                literal(comment_id),
            ),
            else_=group.c.representative_id,
        )
    else:
        # Lock the group row first, in a statement of its own: the UPDATE below then reads the members as
        # they are once every earlier change to the group has committed (PostgreSQL's READ COMMITTED takes a
        # new snapshot per statement), so two representatives hidden at once never leave a hidden one shown.
        session.execute(select(group.c.id).where(group.c.id == group_id).with_for_update())
        member = aliased(Comment)
        next_one = (
            select(func.min(member.id))
            .where(
                member.campaign_group_id == group_id,
                member.state == CommentState.PUBLISHED.value,
                member.id != comment_id,
            )
            .scalar_subquery()
        )
        representative = case(
            (group.c.representative_id == comment_id, next_one), else_=group.c.representative_id
        )
    session.execute(
        update(group)
        .where(group.c.id == group_id)
        .values(member_count=group.c.member_count + delta, representative_id=representative)
    )
    loaded = session.identity_map.get(session.identity_key(CampaignGroup, group_id))
    if loaded is not None:
        session.expire(loaded, ["member_count", "representative_id"])


def published_changed(
    session: Session, clause_id: int, parent_id: int | None, group_id: int | None, comment_id: int, delta: int
) -> None:
    """A comment became published (`delta` +1) or stopped being published (-1): every kept count it is in.

    Rows are locked in one order everywhere (the comment, its group, its parent, the clause), so concurrent
    posts, settles and moderation never deadlock on PostgreSQL.
    """
    if group_id is not None:
        group_member_changed(session, group_id, comment_id, delta)
    if parent_id is not None:
        bump_replies(session, parent_id, delta)
    bump_clause(session, clause_id, delta)


def published_members() -> Any:
    """A correlated count of a campaign group's published members (for UPDATE ... SET member_count)."""
    counted = aliased(Comment)
    return (
        select(func.count(counted.id))
        .where(counted.campaign_group_id == CampaignGroup.id, counted.state == CommentState.PUBLISHED.value)
        .scalar_subquery()
    )


def recount_groups(session: Session, group_ids: Iterable[int]) -> None:
    """Recount the members and representatives of these campaign groups (repairs only: a campaign is large)."""
    ids = sorted(set(group_ids))
    session.execute(
        update(CampaignGroup)
        .where(CampaignGroup.id.in_(ids))
        .values(member_count=published_members(), representative_id=first_published_member()),
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
        .values(member_count=published_members(), representative_id=first_published_member()),
        execution_options={"synchronize_session": False},
    )
    session.expire_all()


def first_published_member() -> Any:
    """A correlated min(id) of a campaign group's published members (repairs only)."""
    counted = aliased(Comment)
    return (
        select(func.min(counted.id))
        .where(counted.campaign_group_id == CampaignGroup.id, counted.state == CommentState.PUBLISHED.value)
        .scalar_subquery()
    )
