"""Staff correct campaign grouping: take members out of a group, or merge two groups that are one campaign.

The kept values stay right by delta, as everywhere else (`app.comments.counts`): a member taken out counts out
of its group by one `group_member_changed`; a merge adds the source's kept count to the target's and takes the
smaller of the two kept representatives, without reading the members to count them. Locks are taken in the
order grouping and moderation use — the comments first, then the group rows (by id) — so a split or merge
never deadlocks with a hide, a restore or a letter joining at the same moment.

A comment taken out is `campaign_locked`: grouping leaves it alone from then on, so the next letter does not put
it back. A merged group stays as a row that names the group it went into (`merged_into_id`), so a letter that
finds it by its text joins the right group (`grouping.lock_group`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from app.analysis.indexing import reindex
from app.caching import touch
from app.comments import campaigns
from app.comments.counts import group_member_changed
from app.exceptions import ConflictError, InputError, NotFoundError
from app.models import (
    AuditEvent,
    CampaignBandKey,
    CampaignGroup,
    Comment,
    CommentState,
    Policy,
    Response,
    SearchDocument,
    User,
    Version,
    audit,
)

MAX_SPLIT = 500  # members taken out in one request
MEMBERS_SHOWN = 200


class CampaignEditError(InputError):
    """A split or merge that cannot be done; the message is safe to show."""

    code = "campaign-edit-refused"


def group_of_version(session: Session, version: Version, group_id: int | None) -> CampaignGroup:
    """A live (not merged away) campaign group of `version`, or a clear error."""
    group = session.get(CampaignGroup, group_id) if group_id is not None else None
    if group is None or group.version_id != version.id:
        raise NotFoundError(_("That campaign group is not in this version."), "group")
    if group.merged_into_id is not None:
        raise ConflictError(
            _("That campaign group was merged into group %(id)d.", id=group.merged_into_id), "group"
        )
    return group


def members(session: Session, group: CampaignGroup, limit: int = MEMBERS_SHOWN) -> list[Comment]:
    """The first members of a group by id (ix_comments_group_state_id serves the order)."""
    return list(
        session.scalars(
            select(Comment)
            .where(Comment.campaign_group_id == group.id)
            .options(selectinload(Comment.clause))
            .order_by(Comment.id)
            .limit(limit)
        )
    )


def member_total(session: Session, group: CampaignGroup) -> int:
    """Every member, published or not (for staff pages; the kept count is of published members only)."""
    return session.scalar(select(func.count()).where(Comment.campaign_group_id == group.id)) or 0


def _policy_tags(session: Session, version_id: int) -> tuple[str, str]:
    slug = session.scalar(
        select(Policy.slug).join(Version, Version.policy_id == Policy.id).where(Version.id == version_id)
    )
    return f"comments:{slug}", f"policy:{slug}"


def split_members(
    session: Session, actor: User, version: Version, group: CampaignGroup, comment_ids: list[int]
) -> int:
    """Take comments out of `group`: each stands on its own and is not grouped again. Returns how many left."""
    taken = _take_out(session, group, comment_ids, into=None)
    audit(session, actor, "campaign.split", "campaign_group", group.id, comments=taken, count=len(taken))
    touch(session, *_policy_tags(session, version.id), hard=True)
    session.flush()
    return len(taken)


def split_into_new_group(
    session: Session, actor: User, version: Version, group: CampaignGroup, comment_ids: list[int]
) -> CampaignGroup:
    """Make some members of `group` a campaign group of their own (one group found where there are two).

    The new group is a staff decision like a split: its members are `campaign_locked`, so grouping never moves
    them, and it has no exact-text key (the old group keeps its text's). Its text is its first member's, so a
    later letter that reads like it may still join it. Both groups' kept values change by delta.
    """
    wanted = _wanted(comment_ids)
    if len(wanted) < 2:
        raise CampaignEditError(_("Choose at least two comments to make a new group of."), "member")
    first = session.scalar(
        select(Comment.body).where(Comment.id == wanted[0], Comment.campaign_group_id == group.id)
    )
    # The new row first: nobody else can lock it yet, so it adds no step to the comments-then-groups order.
    new_group = CampaignGroup(
        version_id=version.id,
        clause_id=group.clause_id,
        fingerprint=campaigns.normalise(first if first is not None else group.fingerprint),
        fingerprint_hash=None,
        member_count=0,
    )
    session.add(new_group)
    session.flush()
    taken = _take_out(session, group, wanted, into=new_group)
    if len(taken) < 2:
        raise ConflictError(
            _("Fewer than two of those comments are still in this group; look at the group again."), "member"
        )
    # The first one asked for had left meanwhile: the new group reads as its first member instead.
    if taken[0] != wanted[0]:
        body = session.scalar(select(Comment.body).where(Comment.id == taken[0]))
        new_group.fingerprint = campaigns.normalise(body or group.fingerprint)
    audit(
        session,
        actor,
        "campaign.split_new",
        "campaign_group",
        new_group.id,
        source=group.id,
        comments=taken,
        count=len(taken),
    )
    touch(session, *_policy_tags(session, version.id), hard=True)
    session.flush()
    session.expire(new_group)
    return new_group


def _wanted(comment_ids: list[int]) -> list[int]:
    wanted = sorted(set(comment_ids))
    if not wanted:
        raise CampaignEditError(_("Choose at least one comment to take out of the group."), "member")
    if len(wanted) > MAX_SPLIT:
        raise CampaignEditError(_("Take out at most %(most)d comments at a time.", most=MAX_SPLIT), "member")
    return wanted


def _take_out(
    session: Session, group: CampaignGroup, comment_ids: list[int], into: CampaignGroup | None
) -> list[int]:
    """Move members of `group` out (on their own, or `into` a new group), locked from grouping; their ids."""
    wanted = _wanted(comment_ids)
    # The comments first, by id, as moderation locks a comment before its group; then each leaves by a
    # conditional UPDATE (a member already gone — split, edited away — is skipped, and counted out only once).
    session.execute(select(Comment.id).where(Comment.id.in_(wanted)).order_by(Comment.id).with_for_update())
    taken: list[int] = []
    for comment_id in wanted:
        left = session.execute(
            update(Comment)
            .where(Comment.id == comment_id, Comment.campaign_group_id == group.id)
            .values(campaign_group_id=into.id if into is not None else None, campaign_locked=True)
            .returning(Comment.state),
            execution_options={"synchronize_session": False},
        ).first()
        if left is None:
            continue
        taken.append(comment_id)
        if left.state == CommentState.PUBLISHED.value:
            # The old group (locked before the new one, which no one else can see yet) counts it out first.
            group_member_changed(session, group.id, comment_id, -1)
            if into is not None:
                group_member_changed(session, into.id, comment_id, +1)
        # Its band keys go too: no later letter finds it as a candidate.
        session.execute(delete(CampaignBandKey).where(CampaignBandKey.comment_id == comment_id))
        loaded = session.identity_map.get(session.identity_key(Comment, comment_id))
        if loaded is not None:
            session.expire(loaded, ["campaign_group_id", "campaign_group", "campaign_locked"])
        reindex(session, loaded if loaded is not None else session.get_one(Comment, comment_id))
    if not taken:
        raise ConflictError(_("None of those comments is in this group any more."), "member")
    return taken


def merge_groups(
    session: Session,
    actor: User,
    version: Version,
    source: CampaignGroup,
    target: CampaignGroup,
    keep_response_id: int | None = None,
) -> int:
    """Move every member of `source` into `target` (one campaign found as two). Returns the members moved.

    When both groups have a response, `keep_response_id` names the one the merged group keeps: every member
    then shows it. The other is set aside, not deleted: it stays on the merged-away group's row, which no
    member points at any more, so no page shows it, and the audit event records what it said.
    """
    if source.id == target.id:
        raise CampaignEditError(_("Choose another group to merge with."), "into")
    if source.version_id != version.id or target.version_id != version.id:
        raise CampaignEditError(_("Both groups must be of this version."), "into")
    # Members first (by id), then both group rows in id order: the order hides and joins take.
    session.execute(
        select(Comment.id)
        .where(Comment.campaign_group_id.in_((source.id, target.id)))
        .order_by(Comment.id)
        .with_for_update()
    )
    locked = {
        row.id: row
        for row in session.execute(
            select(
                CampaignGroup.id,
                CampaignGroup.member_count,
                CampaignGroup.representative_id,
                CampaignGroup.merged_into_id,
            )
            .where(CampaignGroup.id.in_((source.id, target.id)))
            .order_by(CampaignGroup.id)
            .with_for_update()
        )
    }
    if len(locked) != 2 or any(row.merged_into_id is not None for row in locked.values()):
        raise ConflictError(_("One of those groups was merged meanwhile; look at the groups again."), "into")
    # The responses last (after the groups), so a drafter answering either group waits for the merge.
    responses = {
        r.campaign_group_id: r
        for r in session.scalars(
            select(Response)
            .where(Response.campaign_group_id.in_((source.id, target.id)))
            .order_by(Response.id)
            .with_for_update()
        )
    }
    kept_response = _response_to_keep(responses, source, target, keep_response_id)
    moved = session.execute(
        update(Comment)
        .where(Comment.campaign_group_id == source.id)
        .values(campaign_group_id=target.id)
        .returning(Comment.id),
        execution_options={"synchronize_session": False},
    ).all()
    session.execute(
        update(SearchDocument)
        .where(SearchDocument.campaign_group_id == source.id)
        .values(campaign_group_id=target.id),
        execution_options={"synchronize_session": False},
    )
    kept_source, kept_target = locked[source.id], locked[target.id]
    representatives = [r for r in (kept_source.representative_id, kept_target.representative_id) if r]
    session.execute(
        update(CampaignGroup)
        .where(CampaignGroup.id == target.id)
        .values(
            member_count=CampaignGroup.member_count + kept_source.member_count,
            representative_id=min(representatives) if representatives else None,
        ),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(CampaignGroup)
        .where(CampaignGroup.id == source.id)
        .values(member_count=0, representative_id=None, merged_into_id=target.id),
        execution_options={"synchronize_session": False},
    )
    set_aside = _move_responses(session, responses, source, target, kept_response)
    for group in (source, target):
        session.expire(group)
    for (comment_id,) in moved:
        loaded = session.identity_map.get(session.identity_key(Comment, comment_id))
        if loaded is not None:
            session.expire(loaded, ["campaign_group_id", "campaign_group"])
    audit(
        session,
        actor,
        "campaign.merge",
        "campaign_group",
        target.id,
        source=source.id,
        moved=len(moved),
        published_moved=kept_source.member_count,
        kept_response=kept_response.id if kept_response is not None else None,
        set_aside_response=set_aside,
    )
    touch(session, *_policy_tags(session, version.id), hard=True)
    session.flush()
    return len(moved)


def responses_of(session: Session, *groups: CampaignGroup) -> dict[int, Response]:
    """The response of each group that has one, by group id (to choose which one a merge keeps)."""
    ids = [g.id for g in groups]
    return {
        r.campaign_group_id: r
        for r in session.scalars(select(Response).where(Response.campaign_group_id.in_(ids)))
        if r.campaign_group_id is not None
    }


def _response_to_keep(
    responses: dict[int | None, Response],
    source: CampaignGroup,
    target: CampaignGroup,
    keep_response_id: int | None,
) -> Response | None:
    """The response the merged group keeps: the only one, or the one staff chose when both have one."""
    if keep_response_id is not None and keep_response_id not in {r.id for r in responses.values()}:
        raise ConflictError(
            _("The groups' responses changed since you chose; look at the groups again."), "keep"
        )
    if len(responses) < 2:
        return next(iter(responses.values()), None)
    if keep_response_id is None:
        raise CampaignEditError(
            _("Both groups have a response: choose the one the merged group keeps."), "keep"
        )
    return next(r for r in responses.values() if r.id == keep_response_id)


def _move_responses(
    session: Session,
    responses: dict[int | None, Response],
    source: CampaignGroup,
    target: CampaignGroup,
    kept: Response | None,
) -> dict[str, object] | None:
    """Put the kept response on `target`; set the other aside on `source`. What was set aside, for the audit."""
    if kept is None or kept.campaign_group_id == target.id:
        other = responses.get(source.id) if kept is not None and len(responses) == 2 else None
        return _described(other)  # the target's stays; the source's (if any) stays on the merged-away row
    other = responses.get(target.id)
    if other is None:  # the source's one response goes with its members
        session.execute(
            update(Response).where(Response.id == kept.id).values(campaign_group_id=target.id),
            execution_options={"synchronize_session": False},
        )
        session.expire(kept)
        return None
    # Swap the two: each group has at most one response (a unique key checked row by row), so the target's
    # leaves first and comes back, with the same id and words, on the merged-away row.
    row = dict(session.execute(select(Response.__table__).where(Response.id == other.id)).mappings().one())
    session.execute(
        delete(Response).where(Response.id == other.id), execution_options={"synchronize_session": False}
    )
    session.expunge(other)
    session.execute(
        update(Response).where(Response.id == kept.id).values(campaign_group_id=target.id),
        execution_options={"synchronize_session": False},
    )
    session.execute(insert(Response).values(**{**row, "campaign_group_id": source.id}))
    session.expire(kept)
    return _described(row)


def _described(response: Response | dict[str, object] | None) -> dict[str, object] | None:
    if response is None:
        return None
    get = response.get if isinstance(response, dict) else lambda name: getattr(response, name)
    return {"id": get("id"), "outcome": get("outcome"), "text": get("text"), "author": get("author_id")}


MERGE_DEPTH = 50  # merges followed back from a group (each merge is a staff action: a chain is short)


@dataclass(frozen=True)
class SetAside:
    """A response a merge set aside: what it said, the group it was left on, who merged and when."""

    response: Response
    old_group_id: int
    set_aside_by: User | None
    set_aside_at: dt.datetime | None


def merged_away(session: Session, group: CampaignGroup) -> list[int]:
    """The ids of the groups merged into `group`, directly or through groups merged into it, oldest first."""
    found: list[int] = []
    frontier = [group.id]
    for _depth in range(MERGE_DEPTH):
        frontier = list(
            session.scalars(
                select(CampaignGroup.id)
                .where(CampaignGroup.merged_into_id.in_(frontier))
                .order_by(CampaignGroup.id)
            )
        )
        if not frontier:
            break
        found += frontier
    return sorted(found)


def set_aside_responses(session: Session, group: CampaignGroup) -> list[SetAside]:
    """The responses set aside by the merges that made `group`, for staff only: no public page shows them.

    A set-aside response stays on its merged-away group's row; who set it aside and when are read from the
    merge's audit event, which names it (`set_aside_response`).
    """
    old = merged_away(session, group)
    if not old:
        return []
    responses = list(
        session.scalars(select(Response).where(Response.campaign_group_id.in_(old)).order_by(Response.id))
    )
    if not responses:
        return []
    merges: dict[int, AuditEvent] = {}
    for event in session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action == "campaign.merge",
            AuditEvent.target_type == "campaign_group",
            AuditEvent.target_id.in_([group.id, *old]),
        )
        .order_by(AuditEvent.id)
    ):
        described = (event.details or {}).get("set_aside_response")
        if isinstance(described, dict) and isinstance(described.get("id"), int):
            merges[described["id"]] = event
    found = []
    for response in responses:
        merge = merges.get(response.id)
        found.append(
            SetAside(
                response=response,
                old_group_id=int(response.campaign_group_id or 0),
                set_aside_by=merge.actor if merge is not None else None,
                set_aside_at=merge.created_at if merge is not None else None,
            )
        )
    return found


def version_groups(session: Session, version: Version, limit: int = 200) -> list[CampaignGroup]:
    """The version's live campaign groups, largest first (by the kept count: no members are read)."""
    return list(
        session.scalars(
            select(CampaignGroup)
            .where(CampaignGroup.version_id == version.id, CampaignGroup.merged_into_id.is_(None))
            .order_by(CampaignGroup.member_count.desc(), CampaignGroup.id)
            .limit(limit)
        )
    )
