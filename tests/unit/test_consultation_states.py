"""The state of a consultation from its versions' periods and the clock (app/consultations/states.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.consultations.states import (
    NZ,
    Moment,
    State,
    VersionFacts,
    VersionHistory,
    days_left,
    moments,
    next_nz_midnight,
    summarise,
)

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # 3 pm on 1 December in New Zealand (NZDT, +13)
DAY = dt.timedelta(days=1)


def v(position=1, opens=None, closes=None, final=False, left_open=False) -> VersionFacts:
    return VersionFacts(position, final, opens, closes, left_open)


@pytest.mark.parametrize(
    ("versions", "state", "index"),
    [
        ([v(1, NOW - DAY, NOW + DAY)], State.OPEN, 0),
        ([v(1, NOW + DAY, NOW + 9 * DAY)], State.UPCOMING, 0),
        ([v(1, NOW - 9 * DAY, NOW - DAY)], State.CLOSED, None),
        ([v(1)], State.CLOSED, None),  # published without a period
        ([v(1, NOW - 9 * DAY, NOW - DAY), v(2, final=True)], State.CONCLUDED, 1),
        # a superseded version's period no longer counts, unless it was left open on purpose
        ([v(1, NOW - DAY, NOW + DAY), v(2)], State.CLOSED, None),
        ([v(1, NOW - DAY, NOW + DAY, left_open=True), v(2)], State.OPEN, 0),
        ([v(1, NOW - DAY, NOW + DAY, left_open=True), v(2, final=True)], State.OPEN, 0),
        ([v(1, NOW - 9 * DAY, NOW - DAY), v(2, NOW + DAY, NOW + 5 * DAY)], State.UPCOMING, 1),
    ],
)
def test_the_state_follows_the_current_versions_period(versions, state, index):
    summary = summarise(versions, NOW)
    assert summary is not None
    assert summary.state is state
    picked = {
        State.OPEN: summary.open_index,
        State.UPCOMING: summary.upcoming_index,
        State.CONCLUDED: summary.final_index,
        State.CLOSED: None,
    }[state]
    assert picked == index


def test_a_consultation_with_nothing_public_has_no_state():
    assert summarise([], NOW) is None


def test_the_period_is_half_open():
    assert summarise([v(1, NOW, NOW + DAY)], NOW).state is State.OPEN
    assert summarise([v(1, NOW - DAY, NOW)], NOW).state is State.CLOSED


def test_days_left_counts_new_zealand_calendar_days():
    # 3 pm on 1 December NZ; 10:59 pm the same NZ day is "today", 00:30 the next NZ day is "tomorrow",
    # although both are on 1 December in UTC.
    assert days_left(dt.datetime(2026, 12, 1, 9, 59, tzinfo=dt.UTC), NOW) == 0
    assert days_left(dt.datetime(2026, 12, 1, 11, 30, tzinfo=dt.UTC), NOW) == 1
    assert days_left(NOW + 12 * DAY, NOW) == 12


def test_the_countdown_changes_at_new_zealand_midnight():
    midnight = next_nz_midnight(NOW)
    assert midnight.astimezone(NZ).time() == dt.time(0, 0)
    assert midnight.astimezone(NZ).date() == dt.date(2026, 12, 2)
    assert midnight == dt.datetime(2026, 12, 1, 11, 0, tzinfo=dt.UTC)


# --- moments, for the consultations feed ---------------------------------------------------------------

PUBLISHED = NOW - 10 * DAY


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        # published before its period: the opening and the closing are moments of their own
        (
            VersionHistory(v(1, NOW - 5 * DAY, NOW - DAY), PUBLISHED),
            [("published", PUBLISHED), ("opened", NOW - 5 * DAY), ("closed", NOW - DAY)],
        ),
        # still open: no closing yet; it appears once the clock passes the close
        (
            VersionHistory(v(1, NOW - DAY, NOW + DAY), PUBLISHED),
            [("published", PUBLISHED), ("opened", NOW - DAY)],
        ),
        # not open yet: only the publication
        (VersionHistory(v(1, NOW + DAY, NOW + 9 * DAY), PUBLISHED), [("published", PUBLISHED)]),
        # published into a running period: the publication is the opening
        (
            VersionHistory(v(1, NOW - 20 * DAY, NOW - DAY), PUBLISHED),
            [("published", PUBLISHED), ("closed", NOW - DAY)],
        ),
        # superseded while open: it closed when the next version was published
        (
            VersionHistory(v(1, NOW - 9 * DAY, NOW + DAY), PUBLISHED, next_published=NOW - 2 * DAY),
            [("published", PUBLISHED), ("opened", NOW - 9 * DAY), ("closed", NOW - 2 * DAY)],
        ),
        # ... unless it was left open on purpose
        (
            VersionHistory(
                v(1, NOW - 9 * DAY, NOW + DAY, left_open=True), PUBLISHED, next_published=NOW - DAY
            ),
            [("published", PUBLISHED), ("opened", NOW - 9 * DAY)],
        ),
        # superseded before it ever opened: no opening, no closing
        (
            VersionHistory(v(1, NOW - 3 * DAY, NOW + DAY), PUBLISHED, next_published=NOW - 4 * DAY),
            [("published", PUBLISHED)],
        ),
        # a final version concludes the consultation when it is marked final
        (
            VersionHistory(v(3, final=True), PUBLISHED, final=NOW - DAY),
            [("published", PUBLISHED), ("concluded", NOW - DAY)],
        ),
    ],
)
def test_a_versions_moments_follow_the_clock(history, expected):
    assert [(m.value, at) for m, at in moments(history, NOW)] == expected


def test_a_moment_appears_when_the_clock_passes_it_with_its_own_time():
    history = VersionHistory(v(1, NOW + DAY, NOW + 9 * DAY), PUBLISHED)
    before = moments(history, NOW)
    after = moments(history, NOW + 2 * DAY)
    assert Moment.OPENED not in {m for m, _at in before}
    assert after[-1] == (Moment.OPENED, NOW + DAY)  # dated when it opened, not when it was noticed
