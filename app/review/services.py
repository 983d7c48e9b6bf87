"""Counts for the review overview, in a fixed number of grouped queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.models import Comment, CommentPlacement, CommentReport, PlacementStatus, Policy, Submission, Version


@dataclass
class VersionReview:
    """One public version with what a reviewer needs to know about its comments."""

    version: Version
    previous: Version | None
    by_state: Counter[str] = field(default_factory=Counter)
    open_reports: int = 0
    needs_review: int = 0
    replies: int = 0
    submissions: Counter[str] = field(default_factory=Counter)  # whole-version submissions by state

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


@dataclass
class PolicyReview:
    policy: Policy
    versions: list[VersionReview]


def review_overview(session: Session) -> list[PolicyReview]:
    """Every policy's public versions with comment counts by state, open reports and uncertain placements."""
    policies = list(session.scalars(select(Policy).order_by(Policy.title)))
    versions = list(
        session.scalars(select(Version).where(Version.status != "working").order_by(Version.position))
    )
    # Counted as the staff comments report (app.pdf.services.build_comments_report) counts them: comments are
    # top-level comments made on the version or carried forward into it; replies are counted on their own.
    states: dict[int, Counter[str]] = {}
    for version_id, state, count in session.execute(
        select(Comment.version_id, Comment.state, func.count())
        .where(Comment.parent_id.is_(None))
        .group_by(Comment.version_id, Comment.state)
    ):
        states.setdefault(version_id, Counter())[state] += count
    for version_id, state, count in session.execute(
        select(CommentPlacement.version_id, Comment.state, func.count())
        .join(Comment, Comment.id == CommentPlacement.comment_id)
        .where(Comment.parent_id.is_(None), Comment.version_id != CommentPlacement.version_id)
        .group_by(CommentPlacement.version_id, Comment.state)
    ):
        states.setdefault(version_id, Counter())[state] += count
    replies: Counter[int] = Counter()
    parent = aliased(Comment)
    for version_id, count in session.execute(
        select(Comment.version_id, func.count())
        .where(Comment.parent_id.is_not(None))
        .group_by(Comment.version_id)
    ):
        replies[version_id] += count
    for version_id, count in session.execute(  # replies to comments carried into a later version
        select(CommentPlacement.version_id, func.count())
        .join(parent, parent.id == CommentPlacement.comment_id)
        .join(Comment, Comment.parent_id == parent.id)
        .where(parent.version_id != CommentPlacement.version_id)
        .group_by(CommentPlacement.version_id)
    ):
        replies[version_id] += count
    reports = dict(
        session.execute(
            select(Comment.version_id, func.count())
            .join(CommentReport, CommentReport.comment_id == Comment.id)
            .where(CommentReport.resolved_at.is_(None))
            .group_by(Comment.version_id)
        ).all()
    )
    uncertain = dict(
        session.execute(
            select(CommentPlacement.version_id, func.count())
            .where(CommentPlacement.status == PlacementStatus.NEEDS_REVIEW.value)
            .where(CommentPlacement.confirmed_by_id.is_(None))
            .group_by(CommentPlacement.version_id)
        ).all()
    )
    sent: dict[int, Counter[str]] = {}
    for version_id, state, count in session.execute(
        select(Submission.version_id, Submission.state, func.count())
        .where(Submission.state != "draft")
        .group_by(Submission.version_id, Submission.state)
    ):
        sent.setdefault(version_id, Counter())[state] = count
    overview = []
    for policy in policies:
        chain = [v for v in versions if v.policy_id == policy.id]
        rows = [
            VersionReview(
                version=v,
                previous=chain[i - 1] if i else None,
                by_state=states.get(v.id, Counter()),
                open_reports=reports.get(v.id, 0),
                needs_review=uncertain.get(v.id, 0),
                replies=replies[v.id],
                submissions=sent.get(v.id, Counter()),
            )
            for i, v in enumerate(chain)
        ]
        overview.append(PolicyReview(policy=policy, versions=rows))
    return overview
