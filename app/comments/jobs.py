"""The deferred work after a comment is stored (campaign grouping, the kept counts): a job, run after the commit.

The comment POST stores the row and answers with the receipt (`services.accept_comment`); `schedule_settle` then
queues `services.settle_comment` for after the commit, so nothing is queued for a row that was never stored.
Where it runs (`COMMENT_JOBS`):

- `rq`: an RQ job on Redis (`rq worker korero-comments`; the default when REDIS_URL is set), one job id per
  comment (a doubled enqueue is one job) and retried with back-off if it fails or its worker dies;
- `thread`: a small thread pool in the web process (the default without Redis), retried a few times;
- `inline`: in the request, right after its commit (tests, and the fallback when Redis refuses the job).

Settling runs at a lower CPU priority than requests (`COMMENT_JOB_NICENESS`, a nice increment for the RQ
worker process or for each settle thread): when posts arrive faster than they can be settled, the pages and the
POSTs keep their share of the cores and the backlog (the `processed = false` rows) drains once the rush is over.

While the machine is saturated, settling also waits its turn (`wait_for_headroom`): a job holds back while
the kernel reports that runnable work waited for a CPU for more than `COMMENT_SETTLE_PRESSURE` per cent of the
last ten seconds (Linux pressure stall information, /proc/pressure/cpu; unset or 0 = never hold back), but never
beyond `COMMENT_SETTLE_MAX_DELAY` seconds after the comment was queued. Niceness alone only lowers the worker's
own share: the database work a settle asks for (about half of it) runs at normal priority in PostgreSQL, so on a
two-core box at 50 posts a second settling took the cores from the readers. Holding back means the counts and
the campaign grouping lag during the rush, never the comment itself: it is stored and acknowledged before any
of this, and its receipt says the page may take a few minutes to show it.

Settling is idempotent, so a retry or a doubled job changes nothing twice; a comment whose job was lost
altogether (its process died before it ran) is still `processed = false`, and `flask comments settle` (run it
from cron or after a restart) settles every such row.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.boundary import after_commit, unit_of_work
from app.models.base import utcnow

log = logging.getLogger(__name__)

RQ_QUEUE = "korero-comments"
ATTEMPTS = 3
SWEEP_BATCH = 500
UNPROCESSED = text("NOT comments.processed")
CPU_PRESSURE = Path("/proc/pressure/cpu")
HEADROOM_POLL = 0.5  # seconds between looks at the pressure while holding back
# The backlog is counted up to this many rows: enough to say "far behind", and a bounded walk of the partial
# index ix_comments_unprocessed however far behind settling falls.
BACKLOG_COUNT_LIMIT = 100_000


def schedule_settle(comment_id: int) -> None:
    """Settle this comment once the current transaction commits (in the request: after the receipt is safe)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    after_commit(lambda: dispatch(app, comment_id))


def dispatch(app: Flask, comment_id: int) -> None:
    mode = app.config.get("COMMENT_JOBS") or ("rq" if app.config.get("REDIS_URL") else "thread")
    if mode == "rq":
        try:
            _enqueue(app, comment_id)
            return
        except Exception:  # Redis down: the work is done here instead of being lost
            log.warning("comment %s: the job queue refused the job; settling it in the request", comment_id)
            mode = "inline"
    if mode == "thread":
        _pool(app).submit(_settle_in_turn, app, comment_id, time.time())
        return
    run_settle(app, comment_id)


def run_settle(app: Flask, comment_id: int, attempts: int = ATTEMPTS) -> bool:
    """Settle one comment in its own unit of work, retrying a failed attempt (a deadlock, a lost connection)."""
    from app.comments.services import settle_comment

    for attempt in range(1, attempts + 1):
        try:
            with app.app_context(), unit_of_work() as session:
                return settle_comment(session, comment_id)
        except Exception:
            if attempt == attempts:
                log.exception(
                    "comment %s: settling failed %d times; the sweeper will retry", comment_id, attempt
                )
                raise
            time.sleep(0.05 * 2**attempt)
    return False


def _settle_in_turn(app: Flask, comment_id: int, queued_at: float) -> bool:
    wait_for_headroom(app, queued_at)
    return run_settle(app, comment_id)


def cpu_pressure(source: Path = CPU_PRESSURE) -> float | None:
    """Per cent of the last ten seconds in which runnable work waited for a CPU ("some avg10"); None if unknown."""
    try:
        first = source.read_text(encoding="ascii").splitlines()[0]
    except (OSError, UnicodeDecodeError, IndexError):
        return None
    for field in first.split():
        name, _, value = field.partition("=")
        if name == "avg10":
            try:
                return float(value)
            except ValueError:
                return None
    return None


def wait_for_headroom(
    app: Flask,
    queued_at: float,
    pressure: Callable[[], float | None] = cpu_pressure,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Hold deferred work back while the CPU is saturated, at most until `COMMENT_SETTLE_MAX_DELAY` seconds
    after `queued_at` (a Unix time); return the seconds held back. Where the pressure is unknown (not Linux, no
    PSI) or the limit is unset, it does not wait."""
    limit = float(app.config.get("COMMENT_SETTLE_PRESSURE") or 0)
    if limit <= 0:
        return 0.0
    deadline = queued_at + float(app.config.get("COMMENT_SETTLE_MAX_DELAY", 300))
    started = clock()
    while clock() < deadline:
        level = pressure()
        if level is None or level < limit:
            break
        sleep(min(HEADROOM_POLL, max(0.0, deadline - clock())))
    return clock() - started


def settle_pending(app: Flask, limit: int = SWEEP_BATCH) -> int:
    """Settle comments whose job was lost (oldest first); return how many this call settled."""
    from app.models import Comment

    with app.app_context(), unit_of_work() as session:
        ids = list(
            session.scalars(
                # Written as ix_comments_unprocessed's condition is, so both databases use it ("IS false" on
                # PostgreSQL and "= 0" on SQLite do not: a scan of every comment, about a second at 1,000,000).
                select(Comment.id).where(UNPROCESSED).order_by(Comment.id).limit(limit)
            )
        )
    return sum(1 for comment_id in ids if run_settle(app, comment_id))


@dataclass(frozen=True)
class Backlog:
    """The comments stored but not yet settled: how many (up to the limit) and when the oldest was sent."""

    count: int
    limit: int
    oldest_at: dt.datetime | None

    @property
    def capped(self) -> bool:
        """Whether there are at least `limit` (the count stopped there)."""
        return self.count >= self.limit

    def oldest_age(self, now: dt.datetime | None = None) -> float:
        """Seconds since the oldest unsettled comment was sent; 0 when there is none."""
        if self.oldest_at is None:
            return 0.0
        # The column's type (app.models.base) already gives an aware UTC time on both databases.
        return max(0.0, ((now or utcnow()) - self.oldest_at).total_seconds())


def backlog(session: Session, limit: int = BACKLOG_COUNT_LIMIT) -> Backlog:
    """The settle backlog, cheaply: two walks of ix_comments_unprocessed, the count stopping at `limit`."""
    from app.models import Comment

    pending = select(Comment.id).where(UNPROCESSED).limit(limit).subquery()
    count = session.scalar(select(func.count()).select_from(pending)) or 0
    # The lowest id is the oldest post (ids are handed out as comments are stored; the sweeper goes in this order).
    oldest = session.scalar(select(Comment.created_at).where(UNPROCESSED).order_by(Comment.id).limit(1))
    return Backlog(count=int(count), limit=limit, oldest_at=oldest)


def yield_cpu(increment: int, thread: bool = False) -> int:
    """Lower this process's (or, on Linux, only this thread's) CPU priority by `increment`; the new niceness.

    Best effort: where the system refuses (or has no per-thread priorities), the work runs at normal priority.
    """
    increment = max(0, min(int(increment), 19))
    try:
        if thread and hasattr(os, "setpriority") and hasattr(threading, "get_native_id"):
            target = threading.get_native_id()  # Linux: a thread is its own scheduling entity
            niceness = os.getpriority(os.PRIO_PROCESS, target) + increment
            os.setpriority(os.PRIO_PROCESS, target, min(niceness, 19))
            return os.getpriority(os.PRIO_PROCESS, target)
        return os.nice(increment) if increment else os.nice(0)
    except (OSError, AttributeError):
        log.info("could not lower the priority of deferred comment work; it runs at normal priority")
        return 0


def _pool(app: Flask) -> ThreadPoolExecutor:
    pool = app.extensions.get("korero_comment_jobs")
    if pool is None:
        increment = int(app.config.get("COMMENT_JOB_NICENESS", 0))
        pool = app.extensions["korero_comment_jobs"] = ThreadPoolExecutor(
            max_workers=int(app.config.get("COMMENT_JOB_THREADS", 2)),
            thread_name_prefix="korero-settle",
            initializer=yield_cpu,
            initargs=(increment, True),
        )
    return pool  # type: ignore[no-any-return]


def _enqueue(app: Flask, comment_id: int) -> None:
    from redis import Redis
    from rq import Queue, Retry

    connection = app.extensions.get("korero_comment_redis")
    if connection is None:
        connection = app.extensions["korero_comment_redis"] = Redis.from_url(
            app.config["REDIS_URL"], socket_timeout=1.0, socket_connect_timeout=1.0
        )
    Queue(RQ_QUEUE, connection=connection).enqueue_call(
        rq_settle,
        args=(comment_id,),
        job_id=f"korero-settle-{comment_id}",
        retry=Retry(max=5, interval=[1, 5, 15, 60, 300]),
        # Room for holding back while the machine is saturated, and for the settle itself.
        timeout=int(float(app.config.get("COMMENT_SETTLE_MAX_DELAY", 300))) + 180,
        result_ttl=60,
        failure_ttl=24 * 3600,
        description=f"settle comment {comment_id}",
    )


_worker_app: Flask | None = None


def rq_settle(comment_id: int) -> dict[str, Any]:
    """The RQ job: settle one comment with this worker's app (made once per worker process), in its turn."""
    from rq import get_current_job

    global _worker_app  # noqa: PLW0603 - one app per RQ worker process
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
        yield_cpu(int(_worker_app.config.get("COMMENT_JOB_NICENESS", 0)))  # once per worker process
    held_back = wait_for_headroom(_worker_app, _queued_at(get_current_job()))
    done = run_settle(_worker_app, comment_id, attempts=1)
    return {"settled": done, "held_back_seconds": round(held_back, 1)}


def _queued_at(job: Any) -> float:
    """When an RQ job was queued, as a Unix time (RQ keeps naive UTC datetimes); now if it is not known."""
    queued = getattr(job, "enqueued_at", None)
    if queued is None:
        return time.time()
    return float(queued.replace(tzinfo=queued.tzinfo or dt.UTC).timestamp())
