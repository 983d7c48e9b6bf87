"""Consultation states in words: the hub's groups, each policy's lead line, a version's banner.

Dates and times are New Zealand ones (Flask-Babel's default time zone is Pacific/Auckland). A page that says
"closes in N days" changes at New Zealand midnight without any commit: it tells the page cache so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import format_date, format_time, ngettext
from flask_babel import gettext as _

from app.caching import expire_page_at
from app.consultations.states import State, Summary, VersionFacts, days_left, next_nz_midnight, summarise
from app.models import Policy, Version
from app.models.base import utcnow


def state_label(state: State) -> str:
    labels = {
        State.OPEN: _("Open for comment"),
        State.UPCOMING: _("Upcoming"),
        State.CLOSED: _("Closed — awaiting the outcome"),
        State.CONCLUDED: _("Concluded"),
    }
    return labels[state]


def state_heading(state: State) -> str:
    """The hub's heading over each group."""
    headings = {
        State.OPEN: _("Open for comment"),
        State.UPCOMING: _("Upcoming"),
        State.CLOSED: _("Closed, awaiting the outcome"),
        State.CONCLUDED: _("Concluded"),
    }
    return headings[state]


def facts(version: Version) -> VersionFacts:
    return VersionFacts(
        position=version.position,
        is_final=version.is_final,
        opens=version.comments_open_at,
        closes=version.comments_close_at,
        open_when_superseded=version.open_when_superseded,
    )


def moment(value: dt.datetime) -> str:
    """An exact time in words: "5:00 pm on Friday 18 December 2026"."""
    return _(
        "%(time)s on %(day)s", time=format_time(value, "h:mm a"), day=format_date(value, "EEEE d MMMM y")
    )


def closes_in(closes: dt.datetime, now: dt.datetime) -> str:
    """ "Closes today", "closes tomorrow", "closes in 12 days": changes at New Zealand midnight."""
    expire_page_at(next_nz_midnight(now))
    days = days_left(closes, now)
    if days <= 0:
        return _("Closes today")
    if days == 1:
        return _("Closes tomorrow")
    return ngettext("Closes in %(num)d day", "Closes in %(num)d days", days)


def opens_in(opens: dt.datetime, now: dt.datetime) -> str:
    expire_page_at(next_nz_midnight(now))
    days = days_left(opens, now)
    if days <= 0:
        return _("Opens today")
    if days == 1:
        return _("Opens tomorrow")
    return ngettext("Opens in %(num)d day", "Opens in %(num)d days", days)


@dataclass(frozen=True)
class StateLine:
    """What a consultation's state says: its label, its sentence, the version it is about."""

    state: State
    label: str
    countdown: str  # "Closes in 12 days" (open), "Opens in 3 days" (upcoming), "" otherwise
    sentence: str  # the exact time, in New Zealand time, or what the reader can do now
    version: (
        Version | None
    )  # open: the version to comment on; upcoming: the one opening; concluded: the outcome


def consultation_line(policy: Policy, now: dt.datetime | None = None) -> StateLine | None:
    """The state of a consultation as the hub and its page show it; None while nothing of it is public."""
    now = now or utcnow()
    public = [v for v in policy.versions if v.is_public]
    summary: Summary | None = summarise([facts(v) for v in public], now)
    if summary is None:
        return None
    state = summary.state
    if state is State.OPEN and summary.open_index is not None:
        version = public[summary.open_index]
        closes = version.comments_close_at or now  # an open version has a period
        return StateLine(
            state,
            state_label(state),
            closes_in(closes, now),
            _("Comments close at %(moment)s (New Zealand time).", moment=moment(closes)),
            version,
        )
    if state is State.UPCOMING and summary.upcoming_index is not None:
        version = public[summary.upcoming_index]
        opens = version.comments_open_at or now  # an upcoming version has a period
        return StateLine(
            state,
            state_label(state),
            opens_in(opens, now),
            _("Comments open at %(moment)s (New Zealand time).", moment=moment(opens)),
            version,
        )
    if state is State.CONCLUDED and summary.final_index is not None:
        final = public[summary.final_index]
        return StateLine(
            state, state_label(state), "", _("This consultation has concluded. Read the outcome:"), final
        )
    latest = public[-1]
    closed = [
        v.comments_close_at for v in public if v.comments_close_at is not None and v.comments_close_at <= now
    ]
    sentence = (
        _(
            "Comments closed at %(moment)s (New Zealand time). The team is considering what people said.",
            moment=moment(max(closed)),
        )
        if closed
        else _("This consultation is not taking comments.")
    )
    return StateLine(state, state_label(state), "", sentence, latest)


@dataclass(frozen=True)
class VersionBanner:
    """What the top of a version's pages says about it: superseded (and by what), or its period."""

    superseded_by: Version | None
    takes_comments: bool
    sentence: str


def version_banner(version: Version, now: dt.datetime | None = None) -> VersionBanner:
    now = now or utcnow()
    current = version.superseded_by
    takes = version.accepts_comments_at(now)
    if takes and version.comments_close_at is not None:
        sentence = (
            closes_in(version.comments_close_at, now)
            + " — "
            + _("comments close at %(moment)s (New Zealand time).", moment=moment(version.comments_close_at))
        )
    elif current is None and version.comments_open_at is not None and version.comments_open_at > now:
        sentence = (
            opens_in(version.comments_open_at, now)
            + " — "
            + _("comments open at %(moment)s (New Zealand time).", moment=moment(version.comments_open_at))
        )
    else:
        sentence = ""
    return VersionBanner(current, takes, sentence)
