"""The state of a consultation and of each version, from its comment periods and the clock.

Pure domain code: no Flask, no database. A consultation (a policy) is *open* while a current version takes
comments, *upcoming* while one will, *concluded* once it has a final version (the outcome), and otherwise
*closed* (awaiting the outcome). A version is *superseded* once a later version is public; it then takes no
comments unless its drafters left its period open on purpose.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

NZ = ZoneInfo("Pacific/Auckland")


class State(enum.StrEnum):
    OPEN = "open"
    UPCOMING = "upcoming"
    CLOSED = "closed"
    CONCLUDED = "concluded"


# The hub lists states in this order; a filter names one of them.
STATES = (State.OPEN, State.UPCOMING, State.CLOSED, State.CONCLUDED)


@dataclass(frozen=True)
class VersionFacts:
    """What the state of a public version depends on."""

    position: int
    is_final: bool
    opens: dt.datetime | None
    closes: dt.datetime | None
    open_when_superseded: bool = False


def in_period(facts: VersionFacts, now: dt.datetime) -> bool:
    return facts.opens is not None and facts.closes is not None and facts.opens <= now < facts.closes


def takes_comments(facts: VersionFacts, superseded: bool, now: dt.datetime) -> bool:
    """Whether a public version takes comments at `now`."""
    return in_period(facts, now) and (facts.open_when_superseded or not superseded)


@dataclass(frozen=True)
class Summary:
    """A consultation's state and the versions that decide it (indexes into the versions given)."""

    state: State
    open_index: int | None = None  # the version taking comments (the newest one, if several)
    upcoming_index: int | None = None  # the version whose period opens next
    final_index: int | None = None  # the outcome


def summarise(versions: Sequence[VersionFacts], now: dt.datetime) -> Summary | None:
    """The state of a consultation from its public versions (oldest first); None when none is public."""
    if not versions:
        return None
    newest = max(v.position for v in versions)
    open_index: int | None = None
    upcoming_index: int | None = None
    final_index: int | None = None
    upcoming_opens: dt.datetime | None = None
    for index, facts in enumerate(versions):
        current = facts.position == newest
        if takes_comments(facts, not current, now):
            open_index = index
        opens = facts.opens
        if (
            opens is not None
            and opens > now
            and (current or facts.open_when_superseded)
            and (upcoming_opens is None or opens < upcoming_opens)
        ):
            upcoming_index, upcoming_opens = index, opens
        if facts.is_final:
            final_index = index
    if open_index is not None:
        return Summary(State.OPEN, open_index, upcoming_index, final_index)
    if upcoming_index is not None:
        return Summary(State.UPCOMING, None, upcoming_index, final_index)
    if final_index is not None:
        return Summary(State.CONCLUDED, None, None, final_index)
    return Summary(State.CLOSED)


def days_left(closes: dt.datetime, now: dt.datetime) -> int:
    """Calendar days in New Zealand from `now` to `closes`: 0 when it closes today, 1 tomorrow."""
    return (closes.astimezone(NZ).date() - now.astimezone(NZ).date()).days


def next_nz_midnight(now: dt.datetime) -> dt.datetime:
    """The next midnight in New Zealand after `now`, in UTC: when "closes in N days" changes its N."""
    tomorrow = now.astimezone(NZ).date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time.min, tzinfo=NZ).astimezone(dt.UTC)


class Moment(enum.StrEnum):
    """What happened to a version's consultation, as a feed announces it."""

    PUBLISHED = "published"
    OPENED = "opened"
    CLOSED = "closed"
    CONCLUDED = "concluded"


@dataclass(frozen=True)
class VersionHistory:
    """What a version's moments depend on: its facts, when it was published and marked final, and when the
    next public version of its policy was published (which ends its period unless it stays open)."""

    facts: VersionFacts
    published: dt.datetime
    final: dt.datetime | None = None
    next_published: dt.datetime | None = None


def moments(history: VersionHistory, now: dt.datetime) -> list[tuple[Moment, dt.datetime]]:
    """The moments of one version up to `now`, oldest first, each at the time it happened by the clock.

    A period opens when it starts (published into a period already running, the publication is its opening:
    no second moment); it closes at its end, or earlier when a later version superseded it (unless it was left
    open). A moment still in the future is not listed: it appears once the clock passes it, with that time, so a
    feed reader sees it as new then.
    """
    facts = history.facts
    found = [(Moment.PUBLISHED, history.published)]
    if facts.opens is not None and facts.closes is not None:
        opened = max(facts.opens, history.published)
        closed = facts.closes
        if history.next_published is not None and not facts.open_when_superseded:
            closed = min(closed, history.next_published)
        if opened < closed:
            if facts.opens > history.published:
                found.append((Moment.OPENED, opened))
            found.append((Moment.CLOSED, closed))
    if facts.is_final and history.final is not None:
        found.append((Moment.CONCLUDED, max(history.final, history.published)))
    return sorted((m for m in found if m[1] <= now), key=lambda m: m[1])
