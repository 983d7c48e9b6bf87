"""Follow a comment through versions: where it sits in each, and the comments carried onto a version's clauses."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.comments.visibility import publicly_shown
from app.diffing.listing import previous_public
from app.models import (
    Clause,
    Comment,
    CommentPlacement,
    PlacementStatus,
    Version,
    VersionStatus,
)

STATUS_LABELS: dict[str, LazyString] = {
    PlacementStatus.ORIGINAL.value: _l("original"),
    PlacementStatus.UNCHANGED.value: _l("unchanged"),
    PlacementStatus.MOVED.value: _l("moved"),
    PlacementStatus.TEXT_CHANGED.value: _l("text changed"),
    PlacementStatus.ORPHANED.value: _l("text removed"),
    PlacementStatus.NEEDS_REVIEW.value: _l("being checked"),
}


@dataclass(frozen=True)
class PlacementStep:
    """Where a comment sits in one version, and what happened to its text there."""

    version: Version
    status: str
    clause_key: str | None
    clause_number: str | None
    quote: str | None
    confidence: float
    previous: Version | None  # the version before this step: the diff to look at
    confirmed: bool = False

    @property
    def label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def diff_anchor(self) -> str | None:
        return f"diff-{self.clause_key}" if self.clause_key else None


def placement_history(session: Session, comment: Comment) -> list[PlacementStep]:
    """A comment's place in the version it was made on, then in every later version it was carried into."""
    rows = session.execute(
        select(CommentPlacement, Version)
        .join(Version, Version.id == CommentPlacement.version_id)
        .where(CommentPlacement.comment_id == comment.id, Version.status != VersionStatus.WORKING.value)
        .order_by(Version.position)
    ).all()
    wanted = {(comment.version_id, comment.clause.key)} | {
        (p.version_id, p.clause_key) for p, _v in rows if p.clause_key
    }
    numbers = {
        (version_id, key): number
        for version_id, key, number in session.execute(
            select(Clause.version_id, Clause.key, Clause.number).where(
                Clause.version_id.in_({v for v, _k in wanted}), Clause.key.in_({k for _v, k in wanted})
            )
        )
    }
    steps = [
        PlacementStep(
            version=comment.version,
            status=PlacementStatus.ORIGINAL.value,
            clause_key=comment.clause.key,
            clause_number=numbers.get((comment.version_id, comment.clause.key)),
            quote=comment.quote_exact,
            confidence=1.0,
            previous=None,
        )
    ]
    for placement, version in rows:
        steps.append(
            PlacementStep(
                version=version,
                status=placement.status,
                clause_key=placement.clause_key,
                clause_number=numbers.get((version.id, placement.clause_key))
                if placement.clause_key
                else None,
                quote=placement.quote_exact,
                confidence=placement.confidence,
                previous=steps[-1].version,
                confirmed=placement.confirmed_by_id is not None,
            )
        )
    return steps


@dataclass(frozen=True)
class CarriedComment:
    """A comment made on an earlier version, as it shows under a clause of a later one."""

    comment: Comment
    status: str
    quote: str | None
    previous: Version | None

    @property
    def label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))


def carried_comments(
    session: Session, version: Version, clause_keys: list[str] | None = None
) -> dict[str, list[CarriedComment]]:
    """Published comments carried into `version` (optionally onto some clauses), by clause key."""
    query = (
        select(CommentPlacement, Comment)
        .join(Comment, Comment.id == CommentPlacement.comment_id)
        .where(
            CommentPlacement.version_id == version.id,
            CommentPlacement.clause_key.is_not(None),
            publicly_shown(),
        )
        .order_by(Comment.id)
    )
    if clause_keys is not None:
        query = query.where(CommentPlacement.clause_key.in_(clause_keys))
    rows = session.execute(query).all()
    previous = previous_public(session, version)
    out: dict[str, list[CarriedComment]] = {}
    for placement, comment in rows:
        out.setdefault(placement.clause_key or "", []).append(
            CarriedComment(comment, placement.status, placement.quote_exact, previous)
        )
    return out
