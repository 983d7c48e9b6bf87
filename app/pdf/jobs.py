"""Make renditions: inside the request when cheap, otherwise in the background.

Background work goes to RQ on Redis when REDIS_URL is set (run `rq worker korero-pdf`), otherwise to a small
thread pool in the web process. Either way the render itself happens in a sandboxed worker process
(render.RenderPool), so a web thread only waits on a pipe. The request builds the HTML (it needs the
database); the job only renders and stores it, so it needs neither the database nor a request.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from flask import Flask, current_app

from app.jobs import rq_queue
from app.pdf.render import RenderError, RenderLimits, RenderPool, RenderStats, RenditionCache

log = logging.getLogger(__name__)

JobState = Literal["pending", "failed"] | None
RQ_QUEUE = "korero-pdf"


class ThreadJobs:
    """Background renders on a thread pool, remembered by key so a repeat request does not start another."""

    def __init__(self, renditions: Renditions, threads: int) -> None:
        self.renditions = renditions
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="korero-pdf")
        self.running: dict[str, Future[RenderStats]] = {}
        self.failed: dict[str, str] = {}
        self.lock = threading.Lock()

    def _marker(self, key: str) -> Path:
        # Seen by every web process sharing the cache, so a refresh that lands on another one waits too.
        return self.renditions.cache.tmp / f"{key}.pending"

    def submit(self, key: str, html: str, stylesheets: Sequence[str]) -> None:
        with self.lock:
            if key in self.running:
                return
            self.failed.pop(key, None)
            self.renditions.cache.tmp.mkdir(parents=True, exist_ok=True)
            self._marker(key).write_text(str(os.getpid()))
            future = self.executor.submit(self.renditions.render_now, key, html, stylesheets)
            self.running[key] = future
        future.add_done_callback(lambda done: self._finished(key, done))

    def _finished(self, key: str, future: Future[RenderStats]) -> None:
        error = future.exception()
        with self.lock:
            self.running.pop(key, None)
            if error is not None:
                self.failed[key] = str(error)
            with contextlib.suppress(FileNotFoundError):
                self._marker(key).unlink()

    def state(self, key: str) -> JobState:
        """Pending, failed (reported once, then forgotten so the next request tries again), or unknown."""
        with self.lock:
            if key in self.running:
                return "pending"
            if self.failed.pop(key, None) is not None:
                return "failed"
        marker = self._marker(key)
        with contextlib.suppress(FileNotFoundError):
            # Another process is rendering it, unless its marker is older than any render may take.
            if time.time() - marker.stat().st_mtime < 2 * self.renditions.pool.limits.timeout:
                return "pending"
        return None

    def wait(self, timeout: float | None = None) -> None:
        """Wait for every running job (tests and the CLI)."""
        with self.lock:
            futures = list(self.running.values())
        for future in futures:
            with contextlib.suppress(RenderError):  # already logged; its state says failed
                future.result(timeout)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


class RQJobs:
    """Background renders on RQ: one job per key, so repeat requests while it runs do not pile up."""

    def __init__(self, renditions: Renditions, redis_url: str) -> None:
        self.renditions = renditions
        self.queue = rq_queue(redis_url, RQ_QUEUE)
        self.connection = self.queue.connection

    @staticmethod
    def job_id(key: str) -> str:
        return f"korero-pdf-{key}"

    def submit(self, key: str, html: str, stylesheets: Sequence[str]) -> None:
        if self.state(key) == "pending":
            return
        limits = self.renditions.pool.limits
        self.queue.enqueue_call(
            rq_render,
            args=(
                str(self.renditions.cache.root),
                key,
                html,
                list(stylesheets),
                limits.timeout,
                limits.memory_mb,
            ),
            job_id=self.job_id(key),
            timeout=int(limits.timeout * 2) + 30,
            result_ttl=600,
            failure_ttl=600,
            description=f"render PDF {key[:12]}",
        )

    def state(self, key: str) -> JobState:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus

        try:
            job = Job.fetch(self.job_id(key), connection=self.connection)
        except NoSuchJobError:
            return None
        status = job.get_status(refresh=True)
        if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            job.delete()  # report the failure once; the next request tries again
            return "failed"
        if status == JobStatus.FINISHED:
            return None
        return "pending"

    def wait(self, timeout: float | None = None) -> None:
        return None

    def close(self) -> None:
        self.connection.close()


_rq_pool: RenderPool | None = None


def rq_render(
    cache_root: str, key: str, html: str, stylesheets: list[str], timeout: float, memory_mb: int
) -> dict[str, Any]:
    """The RQ job: render into the cache with this worker's own sandboxed pool."""
    global _rq_pool  # noqa: PLW0603 - one warm render process per RQ worker process
    if _rq_pool is None:
        _rq_pool = RenderPool(1, RenderLimits(timeout=timeout, memory_mb=memory_mb))
        atexit.register(_rq_pool.close)
    cache = RenditionCache(Path(cache_root))
    if cache.get(key) is None:
        stats = cache.store(key, _rq_pool, html, stylesheets)
        return {"seconds": stats.seconds, "size": stats.size}
    return {"cached": True}


class Renditions:
    """The app's PDF machinery: the disk cache, the sandboxed render pool and the background jobs."""

    def __init__(self, app: Flask) -> None:
        config = app.config
        self.cache = RenditionCache(Path(config["PDF_CACHE_DIR"]))
        self.pool = RenderPool(
            config["PDF_RENDER_PROCESSES"],
            RenderLimits(
                timeout=config["PDF_RENDER_TIMEOUT"],
                memory_mb=config["PDF_RENDER_MEMORY_MB"],
                max_jobs_per_worker=config["PDF_RENDER_MAX_JOBS"],
            ),
        )
        self.inline_max = config["PDF_INLINE_MAX_BYTES"]
        self.jobs: ThreadJobs | RQJobs
        if config.get("REDIS_URL") and config["PDF_USE_RQ"]:
            self.jobs = RQJobs(self, config["REDIS_URL"])
        else:
            self.jobs = ThreadJobs(self, config["PDF_JOB_THREADS"])
        self.cache.sweep()

    def render_now(self, key: str, html: str, stylesheets: Sequence[str]) -> RenderStats:
        """Render into the cache here and now (in a sandboxed worker); log and re-raise any failure."""
        started = time.perf_counter()
        try:
            stats = self.cache.store(key, self.pool, html, stylesheets)
        except RenderError:
            log.exception("PDF rendition %s failed after %.1f s", key[:12], time.perf_counter() - started)
            raise
        if stats.refused_urls:
            log.warning("PDF rendition %s: refused to fetch %s", key[:12], ", ".join(stats.refused_urls[:5]))
        log.info("PDF rendition %s: %d bytes in %.2f s", key[:12], stats.size, stats.seconds)
        return stats

    def close(self) -> None:
        self.jobs.close()
        self.pool.close()


def get_renditions() -> Renditions:
    """The current app's Renditions (created by app.pdf.init_app)."""
    return current_app.extensions["korero-pdf"]  # type: ignore[no-any-return]


def prerender(session: Any, policy_slug: str | None = None) -> int:
    """Queue background renders of every public version and redline not yet cached; return how many."""
    from app.pdf import services

    renditions = get_renditions()
    queued = 0
    for rendition in services.planned_renditions(session, policy_slug):
        if renditions.cache.get(rendition.key) is None:
            renditions.jobs.submit(rendition.key, rendition.build(), services.stylesheets())
            queued += 1
    return queued
