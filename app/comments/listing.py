"""What comment pages read: a section's comments, a clause's, a thread, a campaign group, a receipt.

Read only: nothing here writes. Pages are keyset pages (newest or oldest first by id), and the queries a page
costs do not grow with the number of comments (see `_PAGE_TERM`). Results are view models from `presenters`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, TextClause, exists, func, or_, select, text
from sqlalchemy.orm import Session, joinedload

from app.comments.presenters import CommentList, CommentView, comment_view
from app.comments.tracking import find_by_tracking_number, spell_tracking_number
from app.comments.visibility import (
    PUBLIC_STATES,
    _is_staff,
    _user_id,
    can_view_receipt,
    listed,
    visible_states,
)
from app.models import CampaignGroup, Clause, Comment, DisplayAs, Response, Version, Viewer
from app.models.base import utcnow
from app.responses.services import card

SECTION_PAGE_SIZE = 5
CLAUSE_PAGE_SIZE = 20
THREAD_PAGE_SIZE = 20
CAMPAIGN_PAGE_SIZE = 20
REPLY_PREVIEW = 3
# SQLite refuses compound SELECTs of more than 500 terms; stay well below.
MAX_UNION_TERMS = 200

# One term per (clause, state): an index range scan on ix_comments_clause_state_id, read newest first, that
# stops after LIMIT rows. A published member of a campaign group is listed only if it is the group's
# representative (its earliest published member, kept on the group row: one primary-key probe, however large
# the campaign; see `counts.group_member_changed`). Written as SQL text so a page view costs microseconds to
# build, and the same text for the same number of clauses lets the drivers reuse prepared statements.
_PAGE_TERM = (
    "SELECT * FROM (SELECT c.id AS id, c.clause_id AS clause_id FROM comments AS c"
    " WHERE c.clause_id = :c{i} AND c.state = :s{j} AND c.parent_id IS NULL"
    " AND (c.campaign_group_id IS NULL OR c.state <> 'published' OR c.id = ("
    "SELECT g.representative_id FROM campaign_groups AS g WHERE g.id = c.campaign_group_id))"
    "{withheld}{before} ORDER BY c.id DESC LIMIT :lim) AS t{i}_{j}"
)
# For everyone but staff: leave out the comments their authors asked us not to publish (`visibility.listed`).
_WITHHELD = f" AND c.display_as <> '{DisplayAs.PRIVATE.value}'"


@functools.lru_cache(maxsize=256)
def _page_sql(clauses: int, states: int, with_before: bool, staff: bool) -> TextClause:
    before = " AND c.id < :before" if with_before else ""
    withheld = "" if staff else _WITHHELD
    terms = [
        _PAGE_TERM.format(i=i, j=j, before=before, withheld=withheld)
        for i in range(clauses)
        for j in range(states)
    ]
    return text(" UNION ALL ".join(terms))


def _page_ids(
    session: Session,
    viewer: Viewer | None,
    clause_ids: Sequence[int],
    limit: int,
    before: int | None = None,
) -> dict[int, list[int]]:
    """The newest `limit` top-level comment ids of each clause listed for `viewer`, older than `before`.

    The cost does not grow with the number of comments a clause has (see _PAGE_TERM).
    """
    states = visible_states(viewer)
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
        statement = _page_sql(len(chunk), len(ordered_states), before is not None, _is_staff(viewer))
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
    session: Session,
    viewer: Viewer | None,
    views: list[CommentView],
    accepting: bool,
    now: dt.datetime,
    limit: int,
) -> None:
    """Attach up to `limit` visible replies to each comment, oldest first, in one query."""
    parents = {view.comment.id: view for view in views if view.comment.parent_id is None}
    if not parents:
        return
    numbered = (
        select(
            Comment.id,
            func.row_number().over(partition_by=Comment.parent_id, order_by=Comment.id).label("n"),
        )
        .where(Comment.parent_id.in_(list(parents)), listed(viewer))
        .subquery()
    )
    ids = [row.id for row in session.execute(select(numbered.c.id).where(numbered.c.n <= limit + 1))]
    loaded = _load(session, ids)
    for reply in sorted(loaded.values(), key=lambda c: c.id):
        if reply.parent_id is None:
            continue  # only replies were selected
        parent = parents[reply.parent_id]
        if len(parent.replies) < limit:
            parent.replies.append(comment_view(viewer, reply, accepting, now))
        else:
            parent.more_replies = True


def _attach_responses(session: Session, views: Iterable[CommentView]) -> None:
    """Put the drafters' response beside each comment whose words are shown, in one query.

    A comment's own response, else its campaign group's (one answer to everyone who sent the same words).
    """
    shown = [view for view in views if view.body_html is not None]
    wanted_ids = {view.comment.id for view in shown}
    wanted_groups = {view.comment.campaign_group_id for view in shown if view.comment.campaign_group_id}
    if not wanted_ids:
        return
    condition: ColumnElement[bool] = Response.comment_id.in_(wanted_ids)
    if wanted_groups:
        condition = or_(condition, Response.campaign_group_id.in_(wanted_groups))
    rows = list(
        session.scalars(select(Response).where(condition).options(joinedload(Response.changed_in_version)))
    )
    own = {r.comment_id: r for r in rows if r.comment_id is not None}
    by_group = {r.campaign_group_id: r for r in rows if r.campaign_group_id is not None}
    for view in shown:
        group_id = view.comment.campaign_group_id
        found = own.get(view.comment.id) or (by_group.get(group_id) if group_id is not None else None)
        if found is not None:
            view.response = card(found)


def _with_replies(views: Iterable[CommentView]) -> list[CommentView]:
    out: list[CommentView] = []
    for view in views:
        out.append(view)
        out.extend(view.replies)
    return out


# --- a section's and a clause's comments --------------------------------------------------------------


def section_comments(
    session: Session,
    viewer: Viewer | None,
    version: Version,
    clauses: Sequence[Clause],
    now: dt.datetime | None = None,
) -> dict[int, CommentList]:
    """The first page of comments of each clause of a section, with reply previews, in three queries."""
    now = now or utcnow()
    accepting = version.accepts_comments_at(now)
    page = _page_ids(session, viewer, [c.id for c in clauses], SECTION_PAGE_SIZE + 1)
    loaded = _load(session, (i for ids in page.values() for i in ids))
    result: dict[int, CommentList] = {}
    all_views: list[CommentView] = []
    for clause_id, ids in page.items():
        shown = ids[:SECTION_PAGE_SIZE]
        views = [comment_view(viewer, loaded[i], accepting, now) for i in shown]
        all_views.extend(views)
        more = len(ids) > SECTION_PAGE_SIZE
        result[clause_id] = CommentList(views, shown[-1] if more and shown else None)
    _attach_replies(session, viewer, all_views, accepting, now, REPLY_PREVIEW)
    _attach_responses(session, _with_replies(all_views))
    return result


def clause_comments(
    session: Session,
    viewer: Viewer | None,
    clause: Clause,
    before: int | None,
    now: dt.datetime | None = None,
) -> CommentList:
    """One keyset page (newest first) of a clause's comments, with reply previews."""
    now = now or utcnow()
    version = session.get_one(Version, clause.version_id)
    accepting = version.accepts_comments_at(now)
    ids = _page_ids(session, viewer, [clause.id], CLAUSE_PAGE_SIZE + 1, before)[clause.id]
    shown = ids[:CLAUSE_PAGE_SIZE]
    loaded = _load(session, shown)
    views = [comment_view(viewer, loaded[i], accepting, now) for i in shown]
    _attach_replies(session, viewer, views, accepting, now, REPLY_PREVIEW)
    _attach_responses(session, _with_replies(views))
    return CommentList(views, shown[-1] if len(ids) > CLAUSE_PAGE_SIZE and shown else None)


def has_commented(session: Session, viewer: Viewer | None) -> bool:
    """Whether the viewer has ever commented (the privacy notice is shown before the first comment)."""
    user_id = _user_id(viewer)
    if user_id is None:
        return False
    return bool(session.scalar(select(exists().where(Comment.user_id == user_id))))


def clause_of(session: Session, comment: Comment) -> Clause:
    """The clause a comment is on (with its section)."""
    return session.scalars(
        select(Clause).where(Clause.id == comment.clause_id).options(joinedload(Clause.section))
    ).one()


# --- a thread -----------------------------------------------------------------------------------------


def thread(
    session: Session,
    viewer: Viewer | None,
    comment: Comment,
    after: int | None,
    now: dt.datetime | None = None,
) -> tuple[CommentView, CommentList]:
    """A comment and one keyset page (oldest first) of its visible replies."""
    now = now or utcnow()
    accepting = comment.version.accepts_comments_at(now)
    query = (
        select(Comment)
        .where(Comment.parent_id == comment.id, listed(viewer))
        .options(joinedload(Comment.user))
        .order_by(Comment.id)
        .limit(THREAD_PAGE_SIZE + 1)
    )
    if after is not None:
        query = query.where(Comment.id > after)
    replies = list(session.scalars(query))
    shown = replies[:THREAD_PAGE_SIZE]
    items = [comment_view(viewer, reply, accepting, now) for reply in shown]
    cursor = shown[-1].id if len(replies) > THREAD_PAGE_SIZE else None
    head = comment_view(viewer, comment, accepting, now)
    _attach_responses(session, [head, *items])
    return head, CommentList(items, cursor)


# --- campaign groups ----------------------------------------------------------------------------------


@dataclass
class CampaignPage:
    """A campaign group's page: the group, its clause, the member shown for all, and a page of members."""

    group: CampaignGroup
    clause: Clause
    representative: CommentView | None
    members: CommentList


def representative_of(session: Session, group: CampaignGroup) -> Comment | None:
    """A campaign group's representative: its earliest published member (kept on the group)."""
    if group.representative_id is None:
        return None
    return session.get(Comment, group.representative_id)


def campaign_members(
    session: Session,
    viewer: Viewer | None,
    group: CampaignGroup,
    after: int | None,
    now: dt.datetime | None = None,
) -> CommentList:
    """One keyset page (oldest first) of a campaign group's individual comments the reader may see."""
    now = now or utcnow()
    version = session.get_one(Version, group.version_id)
    accepting = version.accepts_comments_at(now)
    query = (
        select(Comment)
        .where(Comment.campaign_group_id == group.id, listed(viewer))
        .options(joinedload(Comment.user), joinedload(Comment.campaign_group))
        .order_by(Comment.id)
        .limit(CAMPAIGN_PAGE_SIZE + 1)
    )
    if after is not None:
        query = query.where(Comment.id > after)
    rows = list(session.scalars(query))
    shown = rows[:CAMPAIGN_PAGE_SIZE]
    views = [comment_view(viewer, row, accepting, now) for row in shown]
    return CommentList(views, shown[-1].id if len(rows) > CAMPAIGN_PAGE_SIZE else None)


def merged_into(session: Session, version: Version, group_id: int) -> int | None:
    """The group a campaign group of `version` was merged into by staff, if it was."""
    return session.scalar(
        select(CampaignGroup.merged_into_id).where(
            CampaignGroup.id == group_id, CampaignGroup.version_id == version.id
        )
    )


def campaign_page(
    session: Session, viewer: Viewer | None, version: Version, group_id: int, after: int | None
) -> CampaignPage | None:
    """A campaign group of a published version, if the viewer may see it: None for the public when it has
    no published member left (everything else about it is staff-only)."""
    group = session.get(CampaignGroup, group_id)
    if group is None or group.version_id != version.id or not version.is_public:
        return None
    representative = representative_of(session, group)
    if representative is None and not visible_states(viewer) - PUBLIC_STATES:
        return None
    return CampaignPage(
        group=group,
        clause=session.get_one(Clause, group.clause_id),
        representative=(comment_view(viewer, representative, False) if representative is not None else None),
        members=campaign_members(session, viewer, group, after),
    )


# --- receipts -----------------------------------------------------------------------------------------


@dataclass
class Receipt:
    """A comment's receipt: the comment as the reader sees it, where it is, what it answers, how to say it."""

    comment: Comment
    view: CommentView
    clause: Clause
    version: Version
    parent: Comment | None
    spoken: str


def receipt(session: Session, viewer: Viewer | None, tracking_number: str) -> Receipt | None:
    """The receipt of the comment with this tracking number, if the viewer may see it."""
    comment = find_by_tracking_number(session, tracking_number)
    if comment is None or not can_view_receipt(viewer, comment):
        return None
    return Receipt(
        comment=comment,
        view=comment_view(viewer, comment, comment.version.accepts_comments_at(utcnow())),
        clause=clause_of(session, comment),
        version=comment.version,
        parent=session.get(Comment, comment.parent_id) if comment.parent_id else None,
        spoken=spell_tracking_number(comment.tracking_number),
    )
