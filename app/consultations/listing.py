"""The hub's read queries: every consultation with its state, grouped and filtered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.consultations.presenters import StateLine, consultation_line, state_heading
from app.consultations.states import STATES, State
from app.models import Policy
from app.models.base import utcnow


@dataclass(frozen=True)
class HubEntry:
    policy: Policy
    line: StateLine


@dataclass(frozen=True)
class HubGroup:
    state: State
    heading: str
    entries: list[HubEntry]


@dataclass
class Hub:
    """What the home page shows: groups by state (only the chosen one when filtered), counts for the filter."""

    groups: list[HubGroup]
    counts: dict[State, int]
    chosen: State | None
    in_preparation: list[Policy] = field(default_factory=list)  # drafters only: nothing public yet

    @property
    def open_count(self) -> int:
        return self.counts.get(State.OPEN, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def parse_state(value: str | None) -> State | None:
    """The state a filter asks for (?state=open), or None for every state (also for anything unknown)."""
    try:
        return State(value) if value else None
    except ValueError:
        return None


def hub(session: Session, chosen: State | None, include_working: bool, now: dt.datetime | None = None) -> Hub:
    """Every consultation by state: open (closing soonest first), upcoming (opening soonest), closed, concluded."""
    now = now or utcnow()
    policies = session.scalars(select(Policy).order_by(Policy.title).options(selectinload(Policy.versions)))
    by_state: dict[State, list[HubEntry]] = {state: [] for state in STATES}
    preparing = []
    for policy in policies:
        line = consultation_line(policy, now)
        if line is None:
            preparing.append(policy)
            continue
        by_state[line.state].append(HubEntry(policy, line))
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    by_state[State.OPEN].sort(
        key=lambda e: (e.line.version.comments_close_at if e.line.version else None) or far
    )
    by_state[State.UPCOMING].sort(
        key=lambda e: (e.line.version.comments_open_at if e.line.version else None) or far
    )
    groups = [
        HubGroup(state, state_heading(state), by_state[state])
        for state in STATES
        if (chosen is None or state is chosen)
    ]
    return Hub(
        groups=groups,
        counts={state: len(entries) for state, entries in by_state.items()},
        chosen=chosen,
        in_preparation=preparing if include_working else [],
    )
