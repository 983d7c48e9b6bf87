"""Publish with review: a drafter asks, a second drafter or admin reviews the compare and approves, then publish.

A policy's `publish_signoffs` says how many people sign a publication off: 1 (the drafter alone, after the
confirmation page) or 2 (the drafter who asks and one other drafter or admin who approves). An approval is for
the revision it saw: an edit afterwards voids it, so what is published is what was reviewed. Publishing itself
is `services.publish_version`; `publish_reviewed` is its gate.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.drafting import services
from app.drafting.services import DraftingError
from app.exceptions import PermissionDeniedError
from app.models import Policy, PublicationApproval, Role, User, Version, audit
from app.models.base import utcnow
from app.placements.carrying import CarryReport

SIGNOFF_CHOICES = (1, 2)


class ReviewRefusedError(DraftingError):
    """A publication step that this person cannot take now (their own request, too few approvals, …)."""

    status = 409
    code = "review-refused"


class SelfApprovalError(PermissionDeniedError, ReviewRefusedError):
    """The drafter who asked for publication cannot also approve it."""

    status = 403
    code = "self-approval"


@dataclass(frozen=True)
class ReviewState:
    """Where a working version stands on its way to publication."""

    signoffs: int
    requested: bool
    requested_by: User | None
    approvals: list[PublicationApproval]

    @property
    def needed(self) -> int:
        """How many approvals by others the policy asks for (0 when one person signs off)."""
        return self.signoffs - 1

    @property
    def missing(self) -> int:
        return max(0, self.needed - len(self.approvals))

    @property
    def ready(self) -> bool:
        return self.needed == 0 or (self.requested and self.missing == 0)

    def approved_by(self, user: User) -> bool:
        return any(a.user_id == user.id for a in self.approvals)


def review_state(session: Session, version: Version) -> ReviewState:
    """Who asked, who approved the current revision, and whether the version may be published now."""
    approvals = list(
        session.scalars(
            select(PublicationApproval)
            .where(
                PublicationApproval.version_id == version.id, PublicationApproval.revision == version.revision
            )
            .order_by(PublicationApproval.id)
        )
    )
    return ReviewState(
        signoffs=version.policy.publish_signoffs or 1,
        requested=version.publication_requested_at is not None,
        requested_by=version.publication_requested_by,
        approvals=approvals,
    )


def request_publication(session: Session, version: Version, actor: User) -> Version:
    """Ask for a working version to be published (it must be publishable as it stands)."""
    services.lock_version(session, version)
    services.ensure_working(version)
    errors = services.publish_errors(session, version)
    if errors:
        raise services.PublishRefusedError(
            _("This version cannot be published until these problems are fixed."), errors
        )
    if version.publication_requested_at is not None:
        raise ReviewRefusedError(_("Publication of this version has already been requested."))
    version.publication_requested_at = utcnow()
    version.publication_requested_by_id = actor.id
    audit(session, actor, "version.request_publication", "version", version.id, revision=version.revision)
    session.flush()
    return version


def withdraw_request(session: Session, version: Version, actor: User) -> Version:
    """Take a publication request back (its approvals go with it)."""
    services.lock_version(session, version)
    services.ensure_working(version)
    if version.publication_requested_at is None:
        raise ReviewRefusedError(_("Publication of this version has not been requested."))
    version.publication_requested_at = None
    version.publication_requested_by_id = None
    for approval in session.scalars(
        select(PublicationApproval).where(PublicationApproval.version_id == version.id)
    ):
        session.delete(approval)
    audit(session, actor, "version.withdraw_request", "version", version.id)
    session.flush()
    return version


def approve_publication(
    session: Session, version: Version, actor: User, revision: int
) -> PublicationApproval:
    """Approve the publication of the revision the reviewer saw; not one's own request, not twice."""
    services.lock_version(session, version)
    services.ensure_working(version)
    if not actor.has_role(Role.DRAFTER):
        raise PermissionDeniedError(_("Only drafters and admins review publications."))
    if version.publication_requested_at is None:
        raise ReviewRefusedError(_("Nobody has asked for this version to be published yet."))
    if version.publication_requested_by_id == actor.id:
        raise SelfApprovalError(
            _("You asked for this publication, so another drafter or an admin must approve it.")
        )
    if revision != version.revision:
        raise ReviewRefusedError(
            _("The version changed after you opened the review. Review the changes again before approving.")
        )
    state = review_state(session, version)
    if state.approved_by(actor):
        raise ReviewRefusedError(_("You have already approved this version."))
    approval = PublicationApproval(version_id=version.id, user_id=actor.id, revision=version.revision)
    session.add(approval)
    audit(session, actor, "version.approve_publication", "version", version.id, revision=version.revision)
    session.flush()
    return approval


def publish_reviewed(session: Session, version: Version, actor: User) -> CarryReport | None:
    """Publish a working version once the sign-offs its policy asks for are there."""
    services.lock_version(session, version)
    if version.status == "working":
        state = review_state(session, version)
        if not state.ready:
            if not state.requested:
                raise ReviewRefusedError(
                    _(
                        "This policy needs a second person to review a version before it is published. Ask for a review first."
                    )
                )
            raise ReviewRefusedError(
                _(
                    "This version still needs an approval by another drafter or an admin before it is published."
                )
            )
    return services.publish_version(session, version, actor)


def set_signoffs(session: Session, policy: Policy, signoffs: int, actor: User) -> Policy:
    """Set how many people sign a publication of this policy off (1 or 2)."""
    if signoffs not in SIGNOFF_CHOICES:
        raise DraftingError(_("Choose one or two people."), "signoffs")
    if policy.publish_signoffs == signoffs:
        return policy
    policy.publish_signoffs = signoffs
    audit(session, actor, "policy.publish_signoffs", "policy", policy.id, signoffs=signoffs)
    session.flush()
    return policy


def publication_summary(session: Session, version: Version) -> dict[str, object]:
    """What becomes public when this version is published: for the confirmation page."""
    document = services.parse_source(session, version, version.source_markdown)
    return {
        "sections": len(document.sections),
        "clauses": len(document.clauses),
        "words": document.word_count(),
        "parent": version.parent,
        "opens": version.comments_open_at,
        "closes": version.comments_close_at,
    }


__all__ = [
    "ReviewRefusedError",
    "ReviewState",
    "SelfApprovalError",
    "approve_publication",
    "publication_summary",
    "publish_reviewed",
    "request_publication",
    "review_state",
    "set_signoffs",
    "withdraw_request",
]
