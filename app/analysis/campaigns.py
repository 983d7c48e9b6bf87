"""Campaigns across a whole version: a new comment finds form letters on any clause by MinHash band keys.

The comment's band keys (`app.analysis.lsh`) are looked up in `campaign_band_keys` by one indexed probe per band,
each capped at PER_BAND rows, so the cost per comment stays the same at 10,000 or 1,000,000 comments; each candidate is
then confirmed by `app.analysis.lsh.same_letter` (the clause rule, or enough shared shingles for a letter edited more). Keys are kept for ungrouped
comments and for the first KEYED_MEMBERS members of each group (later members add nothing a group's earlier
letters do not already match), so a key's postings do not grow with a campaign's size.
"""

from __future__ import annotations

import functools
from collections import Counter

from sqlalchemy import TextClause, delete, insert, or_, select, text
from sqlalchemy.orm import Session

from app.analysis.lsh import band_keys, same_letter
from app.comments import campaigns
from app.models import CampaignBandKey, CampaignGroup, Comment, CommentState

PER_BAND = 10
CANDIDATES = 20
KEYED_MEMBERS = 10


def version_match(session: Session, comment: Comment, keys: list[str]) -> Comment | None:
    """Another person's comment anywhere in the version that is the same letter, found by band keys."""
    if not keys:
        return None
    # One small indexed probe per band, newest first: the rows read never exceed BANDS * PER_BAND, however many
    # comments share a key (a popular sentence, a huge campaign). The statement is text made once per band count:
    # built as twenty ORM subqueries it cost more Python per comment than the database spent answering it.
    params: dict[str, object] = {"version": comment.version_id, "me": comment.id, "per_band": PER_BAND}
    params.update({f"b{n}": key for n, key in enumerate(keys)})
    rows = list(session.scalars(_probes(len(keys)), params))
    if not rows:
        return None
    ranked = [cid for cid, _n in Counter(rows).most_common(CANDIDATES)]
    candidates = session.execute(
        select(Comment.id, Comment.body).where(
            Comment.id.in_(ranked),
            Comment.parent_id.is_(None),
            Comment.state != CommentState.WITHDRAWN.value,
            Comment.campaign_locked.is_(False),
            or_(Comment.user_id.is_(None), Comment.user_id != comment.user_id),
        )
    ).all()
    by_id = {row.id: row.body for row in candidates}
    letter = campaigns.Letter.of(campaigns.normalise(comment.body))
    for cid in ranked:
        if cid in by_id and same_letter(letter, campaigns.Letter.of(campaigns.normalise(by_id[cid]))):
            return session.get(Comment, cid)
    return None


@functools.cache
def _probes(count: int) -> TextClause:
    """UNION ALL of `count` band probes, each served by ix (version_id, band, id) and capped at :per_band rows.

    Only bound parameters carry values; the text varies by the probe's number alone.
    """
    return text(" UNION ALL ".join(_PROBE.format(n=n) for n in range(count)))


_PROBE = (
    "SELECT comment_id FROM (SELECT comment_id FROM campaign_band_keys WHERE version_id = :version"
    " AND band = :b{n} AND comment_id != :me ORDER BY id DESC LIMIT :per_band) AS probe_{n}"
)


def remember(session: Session, comment: Comment, keys: list[str]) -> None:
    """Keep the comment's keys (replacing any it had), unless its group already has enough keyed letters."""
    session.execute(delete(CampaignBandKey).where(CampaignBandKey.comment_id == comment.id))
    if not keys or comment.parent_id is not None or comment.campaign_locked:
        return
    if comment.campaign_group_id is not None:
        group = session.get(CampaignGroup, comment.campaign_group_id)
        if group is not None and group.member_count >= KEYED_MEMBERS:
            return  # the group's first letters already carry its keys: a campaign's postings stop growing
    session.execute(
        insert(CampaignBandKey),
        [{"version_id": comment.version_id, "comment_id": comment.id, "band": key} for key in keys],
    )


def keys_for(normalised: str) -> list[str]:
    return band_keys(normalised)
