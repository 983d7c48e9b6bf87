"""Read queries for engagement events: a consultation's events and a version's, for their public pages."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from app.models import EngagementEvent, EventKind, Policy, Submission, Version, VersionStatus
from app.submissions.visibility import is_public

KIND_LABELS = {
    EventKind.HUI.value: _l("Hui"),
    EventKind.WORKSHOP.value: _l("Workshop"),
    EventKind.PUBLIC_MEETING.value: _l("Public meeting"),
    EventKind.OTHER.value: _l("Other event"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@dataclass(frozen=True)
class EventRow:
    """One event as a page lists it: the summary only when the public may read it (the one visibility rule)."""

    event: EngagementEvent
    kind: str
    summary: Submission | None  # shown publicly (published, its consent allows, on a public version)
    has_summary: bool


def _rows(events: list[EngagementEvent], staff: bool = False) -> list[EventRow]:
    return [
        EventRow(
            event=e,
            kind=kind_label(e.kind),
            summary=e.summary if e.summary is not None and (staff or is_public(e.summary)) else None,
            has_summary=e.summary is not None,
        )
        for e in events
    ]


def _query() -> Select[EngagementEvent]:
    return (
        select(EngagementEvent)
        .join(Version, Version.id == EngagementEvent.version_id)
        .options(
            selectinload(EngagementEvent.summary).selectinload(Submission.version),
            selectinload(EngagementEvent.version),
        )
        .order_by(EngagementEvent.held_on.desc(), EngagementEvent.id.desc())
    )


def policy_events(session: Session, policy: Policy) -> list[EventRow]:
    """Every event held on a published version of `policy`, latest first."""
    return _rows(
        list(
            session.scalars(
                _query().where(Version.policy_id == policy.id, Version.status != VersionStatus.WORKING.value)
            )
        )
    )


def version_events(session: Session, version: Version, staff: bool = False) -> list[EventRow]:
    """The events held on `version`, latest first (staff: with every summary, whatever its state)."""
    if not version.is_public:
        return []
    return _rows(list(session.scalars(_query().where(EngagementEvent.version_id == version.id))), staff)
