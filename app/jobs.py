"""The one job runner: work recorded on a row, run off the request on RQ or a worker thread, and swept when lost.

A `RowJob` is a kind of background job whose state lives on a database row (a table import's `ImportRun`, a
suggested-themes `ThemeRun`). The service records the row and calls `start(session, run_id)`; where the job runs
is the app's setting named by `RowJob.setting`:

- `rq` (the default when REDIS_URL is set): enqueued on RQ once the request commits (`rq worker <queue>`), one
  job id per run so a doubled enqueue is one job; the worker makes an app of its own;
- `thread` (the default without Redis): once the request commits, on a one-thread pool in this process (runs of
  one kind queue behind each other), with an app context;
- `inline` (tests): in the caller's own session and transaction, right away.

The job's own steps open their units of work (`app.boundary.unit_of_work`), committing progress as they go when
they want the page to see it; if they raise, the failure is recorded on the row in a new unit of work, so it is
never lost in a thread. Each kind keeps only its steps.

A thread-mode job dies with its process (a deploy, a crash), leaving its row queued or running for ever. The steps
beat a heartbeat (`heartbeat(row)`: the row's `heartbeat_at`, committed with the progress); `sweep` marks failed
every unfinished row whose last beat (or creation) is older than JOBS_STALE_AFTER seconds, with the kind's own
message. It runs when a run's page is read, before a new run of a kind that allows one at a time, and from
`flask jobs sweep` (after a restart, or from cron).

PDF renders (app/pdf/jobs.py) keep no row and share only `rq_queue`: a thread render's pending marker is ignored
once it is older than twice the render timeout, and an RQ render's state is RQ's own, so none can be stuck.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.boundary import after_commit, unit_of_work
from app.models.base import utcnow

if TYPE_CHECKING:
    from rq import Queue

log = logging.getLogger(__name__)
QUEUED, RUNNING, FAILED = "queued", "running", "failed"
STALE_AFTER = 15 * 60  # seconds without a heartbeat before an unfinished run counts as lost
JOBS: dict[str, RowJob] = {}


class RunRow(Protocol):
    """What the runner needs of a job's row."""

    id: Any
    status: Any
    error: Any
    created_at: Any
    finished_at: Any
    heartbeat_at: Any


def rq_queue(redis_url: str, name: str) -> Queue:
    """The RQ queue `name` on the Redis at `redis_url` (its connection is `queue.connection`)."""
    from redis import Redis
    from rq import Queue

    return Queue(name, connection=Redis.from_url(redis_url))


def heartbeat(row: RunRow) -> None:
    """Say the job of `row` is alive (committed with the progress the job commits anyway)."""
    row.heartbeat_at = utcnow()


@dataclass(eq=False)
class RowJob:
    """A kind of job on a row: how it is started, run, recorded as failed, and swept when lost."""

    name: str  # the thread's name and the RQ job id's prefix: korero-<name>-<run id>
    setting: str  # the app setting that picks "inline", "rq" or "thread"
    queue: str  # the RQ queue its worker listens on
    model: type[Any]  # the row's model (with id, status, error, created_at, finished_at, heartbeat_at)
    steps: Callable[[int], object]  # the job, in an app context; opens its own units of work
    inline: Callable[[Session, int], object]  # the same job in the caller's session and transaction
    fail: Callable[[Any, str], None]  # record `message` on the row (and drop what it no longer needs)
    crashed: Callable[[BaseException], str]  # the message a row gets when its steps raise
    lost: Callable[[], str]  # the message a row gets when the sweeper finds it lost
    timeout: int = 3600  # RQ's limit on one job, in seconds
    _executor: ThreadPoolExecutor | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        JOBS[self.name] = self  # the RQ worker finds the job by its name

    def init_app(self, app: Flask) -> None:
        default = "inline" if app.testing else ("rq" if app.config.get("REDIS_URL") else "thread")
        app.config.setdefault(self.setting, default)
        app.config.setdefault("JOBS_STALE_AFTER", STALE_AFTER)

    def start(self, session: Session, run_id: int) -> None:
        """Run the job of this (flushed) row: now when inline, else once the current transaction commits."""
        mode = current_app.config.get(self.setting, "thread")
        if mode == "inline":
            self.inline(session, run_id)
        elif mode == "rq":
            url = current_app.config["REDIS_URL"]
            after_commit(lambda: self.enqueue(url, run_id))
        else:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            after_commit(lambda: self.pool().submit(self.run, app, run_id))

    def pool(self) -> ThreadPoolExecutor:
        if self._executor is None:  # one worker thread per kind and process: runs queue behind each other
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"korero-{self.name}")
        return self._executor

    def enqueue(self, redis_url: str, run_id: int) -> None:
        rq_queue(redis_url, self.queue).enqueue_call(
            rq_job, args=(self.name, run_id), job_id=f"korero-{self.name}-{run_id}", timeout=self.timeout
        )

    def run(self, app: Flask, run_id: int) -> None:
        """The thread (and RQ) job: the steps in an app context; a failure is recorded on the row."""
        with app.app_context():
            try:
                self.steps(run_id)
            except Exception as error:  # a failed job is recorded on its row, not lost in a thread
                log.exception("%s job %s failed", self.name, run_id)
                with unit_of_work() as session:
                    row = session.get_one(self.model, run_id)
                    self.fail(row, self.crashed(error))
                    row.status, row.finished_at = FAILED, utcnow()

    def sweep(
        self, session: Session, run_ids: Iterable[int] | None = None, after: float | None = None
    ) -> list[Any]:
        """Mark failed every unfinished row (of those given) with no heartbeat for `after` seconds; flush.

        `after` is JOBS_STALE_AFTER unless given.
        Returns the rows marked. The unfinished rows are few (one job at a time per kind and process), so their
        ages are compared here rather than in SQL, where SQLite keeps times as text.
        """
        query = select(self.model).where(self.model.status.in_([QUEUED, RUNNING]))
        if run_ids is not None:
            query = query.where(self.model.id.in_(list(run_ids)))
        limit = utcnow() - dt.timedelta(seconds=stale_after() if after is None else after)
        swept = []
        for row in session.scalars(query):
            if (row.heartbeat_at or row.created_at) < limit:
                log.warning("%s job %s had no heartbeat since %s: marked failed", self.name, row.id, limit)
                self.fail(row, self.lost())
                row.status, row.finished_at = FAILED, utcnow()
                swept.append(row)
        session.flush()
        return swept


def rq_job(name: str, run_id: int) -> None:
    """The RQ job (`rq worker <queue>`): an app of its own (the worker process has none), then the steps."""
    from app import create_app

    app = create_app()
    JOBS[name].run(app, run_id)


def stale_after() -> float:
    """Seconds without a heartbeat before an unfinished run counts as lost (JOBS_STALE_AFTER)."""
    return float(current_app.config.get("JOBS_STALE_AFTER", STALE_AFTER))


def sweep_all(session: Session, after: float | None = None) -> list[tuple[RowJob, Any]]:
    """Sweep every kind of row job (`flask jobs sweep`)."""
    return [(job, row) for job in JOBS.values() for row in job.sweep(session, after=after)]
