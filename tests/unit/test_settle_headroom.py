"""Deferred comment work holds back while the CPU is saturated, and never longer than its limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from app.comments.jobs import _queued_at, cpu_pressure, wait_for_headroom


class Clock:
    """A fake clock that `sleep` moves on, so no test waits."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _app(pressure_limit: float, max_delay: float = 300) -> Flask:
    app = Flask(__name__)
    app.config.update(COMMENT_SETTLE_PRESSURE=pressure_limit, COMMENT_SETTLE_MAX_DELAY=max_delay)
    return app


def test_it_holds_back_while_the_pressure_is_high_and_goes_when_it_falls() -> None:
    readings = iter([95.0, 88.0, 71.0, 12.0, 99.0])
    clock = Clock()
    waited = wait_for_headroom(_app(60), clock(), lambda: next(readings), clock, clock.sleep)
    assert clock.slept == [0.5, 0.5, 0.5]  # three high readings, then room
    assert waited == pytest.approx(1.5)
    assert next(readings) == 99.0  # it stopped looking once there was room


def test_it_never_holds_back_beyond_the_limit_after_the_comment_was_queued() -> None:
    clock = Clock()
    queued = clock() - 299.2  # queued almost five minutes ago
    waited = wait_for_headroom(_app(60, max_delay=300), queued, lambda: 100.0, clock, clock.sleep)
    assert clock() == pytest.approx(queued + 300)
    assert waited == pytest.approx(0.8)


@pytest.mark.parametrize("limit", [0, None])
def test_an_unset_limit_never_holds_back(limit: float | None) -> None:
    clock = Clock()
    assert wait_for_headroom(_app(limit), clock(), lambda: 100.0, clock, clock.sleep) == 0  # type: ignore[arg-type]
    assert clock.slept == []


def test_an_unknown_pressure_never_holds_back() -> None:
    clock = Clock()
    assert wait_for_headroom(_app(60), clock(), lambda: None, clock, clock.sleep) == 0
    assert clock.slept == []


def test_the_pressure_is_read_from_the_kernels_some_line(tmp_path: Path) -> None:
    source = tmp_path / "cpu"
    source.write_text(
        "some avg10=73.25 avg60=40.10 avg300=12.00 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
    )
    assert cpu_pressure(source) == 73.25


@pytest.mark.parametrize("text", ["", "some avg60=1.00 total=3\n", "some avg10=lots\n", "\xff\xfe"])
def test_an_unreadable_pressure_file_is_unknown(tmp_path: Path, text: str) -> None:
    source = tmp_path / "cpu"
    source.write_bytes(text.encode("latin-1"))
    assert cpu_pressure(source) is None
    assert cpu_pressure(tmp_path / "missing") is None


def test_a_jobs_queue_time_is_read_as_utc() -> None:
    import datetime as dt

    class Job:
        enqueued_at = dt.datetime(2026, 12, 2, 1, 0, 0)  # RQ's naive UTC

    assert _queued_at(Job()) == dt.datetime(2026, 12, 2, 1, 0, 0, tzinfo=dt.UTC).timestamp()
