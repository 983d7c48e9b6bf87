"""Deferred comment work yields the CPU to requests: its threads (and RQ worker processes) run at a lower priority."""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.comments.jobs import yield_cpu

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="per-thread priorities are Linux's"
)


def _own_niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@linux_only
def test_a_settle_thread_lowers_only_its_own_priority() -> None:
    before = _own_niceness()
    with ThreadPoolExecutor(max_workers=1, initializer=yield_cpu, initargs=(5, True)) as pool:
        inside = pool.submit(_own_niceness).result()
    assert inside == min(before + 5, 19)
    assert _own_niceness() == before  # the request threads keep theirs


@linux_only
def test_the_increment_is_capped_at_the_lowest_priority() -> None:
    with ThreadPoolExecutor(max_workers=1, initializer=yield_cpu, initargs=(99, True)) as pool:
        assert pool.submit(_own_niceness).result() == 19


@linux_only
def test_no_increment_leaves_the_priority_alone() -> None:
    before = _own_niceness()
    with ThreadPoolExecutor(max_workers=1, initializer=yield_cpu, initargs=(0, True)) as pool:
        assert pool.submit(_own_niceness).result() == before
