"""The state of a consultation from its versions' periods and the clock (app/consultations/states.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.consultations.states import NZ, State, VersionFacts, days_left, next_nz_midnight, summarise

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
