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

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from app.analysis.indexing import reindex
from app.caching import touch
from app.comments.counts import group_member_changed
from app.exceptions import ConflictError, InputError, NotFoundError
from app.models import (
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
    wanted = sorted(set(comment_ids))
    if not wanted:
        raise CampaignEditError(_("Choose at least one comment to take out of the group."), "member")
    if len(wanted) > MAX_SPLIT:
        raise CampaignEditError(_("Take out at most %(most)d comments at a time.", most=MAX_SPLIT), "member")
    # The comments first, by id, as moderation locks a comment before its group; then each leaves by a
    # conditional UPDATE (a member already gone — split, edited away — is skipped, and counted out only once).
    session.execute(select(Comment.id).where(Comment.id.in_(wanted)).order_by(Comment.id).with_for_update())
    taken: list[int] = []
    for comment_id in wanted:
        left = session.execute(
            update(Comment)
            .where(Comment.id == comment_id, Comment.campaign_group_id == group.id)
            .values(campaign_group_id=None, campaign_locked=True)
            .returning(Comment.state),
            execution_options={"synchronize_session": False},
        ).first()
        if left is None:
            continue
        taken.append(comment_id)
        if left.state == CommentState.PUBLISHED.value:
            group_member_changed(session, group.id, comment_id, -1)
        # Its band keys go too: no later letter finds it as a candidate.
        session.execute(delete(CampaignBandKey).where(CampaignBandKey.comment_id == comment_id))
        loaded = session.identity_map.get(session.identity_key(Comment, comment_id))
        if loaded is not None:
            session.expire(loaded, ["campaign_group_id", "campaign_group", "campaign_locked"])
        reindex(session, loaded if loaded is not None else session.get_one(Comment, comment_id))
    if not taken:
        raise ConflictError(_("None of those comments is in this group any more."), "member")
    audit(session, actor, "campaign.split", "campaign_group", group.id, comments=taken, count=len(taken))
    touch(session, *_policy_tags(session, version.id), hard=True)
    session.flush()
    return len(taken)


def merge_groups(
    session: Session, actor: User, version: Version, source: CampaignGroup, target: CampaignGroup
) -> int:
    """Move every member of `source` into `target` (one campaign found as two). Returns the members moved."""
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
    answered = set(
        session.scalars(
            select(Response.campaign_group_id).where(Response.campaign_group_id.in_((source.id, target.id)))
        )
    )
    if answered == {source.id, target.id}:
        raise CampaignEditError(
            _(
                "Both groups have a response: merging would lose one. Keep the response you want on one "
                "group and merge the other only when it has none."
            ),
            "into",
        )
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
    if source.id in answered:  # the one response goes with its members
        session.execute(
            update(Response)
            .where(Response.campaign_group_id == source.id)
            .values(campaign_group_id=target.id),
            execution_options={"synchronize_session": False},
        )
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
    )
    touch(session, *_policy_tags(session, version.id), hard=True)
    session.flush()
    return len(moved)


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
