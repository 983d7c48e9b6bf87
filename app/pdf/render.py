"""Render HTML to PDF with WeasyPrint, safely, and keep the results in an on-disk cache.

- `render_pdf` is the bare conversion: the locked `AssetFetcher`, PDF/UA (tagged) output, and no embedded
  files whatever the HTML says. It runs inside a sandboxed worker process, never in a web worker.
- `RenderPool` keeps a few long-lived worker processes (`python -m app.pdf.worker`: WeasyPrint already
  imported, an address-space limit set with RLIMIT_AS) and gives each job a wall-clock deadline: a job that overruns or dies takes only its
  worker with it, which is killed and replaced. Keeping the workers warm is what lets a cold render cost about
  what WeasyPrint alone costs, instead of a process start and an import per PDF.
- `RenditionCache` stores PDFs under instance/renditions/ by key; files are written to a temporary name and
  moved into place with os.replace, so a reader sees a whole PDF or none.

No Flask here: the views, jobs and the CLI pass the configuration in.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from app.pdf.fetcher import ASSET_BASE, AssetFetcher

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent

PDF_VARIANT = "pdf/ua-1"


class RenderError(RuntimeError):
    """A rendition could not be made; the message is safe to log, not to show."""


class RenderTimeout(RenderError):
    """A render overran its deadline; its worker was killed."""


@dataclass(frozen=True)
class RenderLimits:
    """How long one render may take and how much memory its worker may map."""

    timeout: float = 60.0
    memory_mb: int = 2048
    max_jobs_per_worker: int = 25


@dataclass(frozen=True)
class RenderStats:
    """What a render cost, as measured in its worker."""

    seconds: float
    size: int
    refused_urls: tuple[str, ...]


# --- the conversion itself (runs in the worker process) --------------------------------------------------


class _RefuseEverything(AssetFetcher):
    """Swapped in once layout is done, so writing the PDF fetches nothing at all (no attachments)."""

    def fetch(self, url: str, headers: object = None) -> Any:
        raise ValueError("nothing is fetched while writing the PDF")


def render_pdf(html: str, stylesheets: Sequence[str] = ()) -> tuple[bytes, tuple[str, ...]]:
    """Convert `html` (plus stylesheet texts) to tagged PDF bytes; return them and the URLs refused."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fetcher = AssetFetcher()
    fonts = FontConfiguration()
    document = HTML(string=html, base_url=ASSET_BASE, url_fetcher=fetcher)
    sheets = [
        CSS(string=text, base_url=ASSET_BASE, url_fetcher=fetcher, font_config=fonts) for text in stylesheets
    ]
    rendered = document.render(font_config=fonts, stylesheets=sheets, pdf_variant=PDF_VARIANT)
    # Defence in depth: <link rel="attachment"> and <a rel="attachment"> would embed files in the PDF.
    rendered.metadata.attachments = []
    for page in rendered.pages:
        page.links = [link for link in page.links if link[0] != "attachment"]
    rendered.url_fetcher = _RefuseEverything()
    return rendered.write_pdf(pdf_variant=PDF_VARIANT), tuple(fetcher.refused)


# --- the pool of worker processes (runs in the web, job or CLI process) ----------------------------------


class _Worker:
    """One sandboxed render process (`python -m app.pdf.worker`) and the parent's end of its socket."""

    def __init__(self, limits: RenderLimits) -> None:
        parent, child = socket.socketpair()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
        }
        # A fresh interpreter, not fork(): the web process has threads and open database connections.
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "app.pdf.worker", str(child.fileno()), str(limits.memory_mb)],
            pass_fds=(child.fileno(),),
            env=env,
            cwd=str(PROJECT_ROOT),
            stdin=subprocess.DEVNULL,
        )
        child.close()
        self.conn = Connection(parent.detach())
        self.jobs = 0
        self.ready = False

    def wait_ready(self, timeout: float) -> None:
        if self.ready:
            return
        if not self.conn.poll(timeout):
            raise RenderTimeout("the render worker did not start in time")
        try:
            status, _ = self.conn.recv()
        except (EOFError, OSError) as error:
            raise RenderError("the render worker failed to start") from error
        if status != "ready":
            raise RenderError("the render worker failed to start")
        self.ready = True

    def run(self, html: str, stylesheets: Sequence[str], target: Path, timeout: float) -> RenderStats:
        deadline = time.monotonic() + timeout
        self.wait_ready(timeout)
        self.jobs += 1
        self.conn.send((html, list(stylesheets), str(target)))
        if not self.conn.poll(max(0.0, deadline - time.monotonic())):
            raise RenderTimeout(f"the render took longer than {timeout:g} s")
        try:
            status, payload = self.conn.recv()
        except (EOFError, OSError) as error:
            raise RenderError(f"the render worker died (exit code {self.process.poll()})") from error
        if status != "ok":
            raise RenderError(str(payload))
        return payload  # type: ignore[no-any-return]

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


class RenderPool:
    """A few warm, memory-limited render processes; each job gets a deadline and a fresh worker if it fails."""

    def __init__(self, size: int = 2, limits: RenderLimits | None = None) -> None:
        self.size = max(1, size)
        self.limits = limits or RenderLimits()
        self._idle: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(self.size):
            self._idle.put(None)  # a slot; its worker starts on first use
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._closed = False

    def warm(self) -> None:
        """Start every worker now (the CLI and the benchmarks call this; the web app starts them lazily)."""
        slots: list[_Worker | None] = [self._idle.get() for _ in range(self.size)]
        try:
            for index, slot in enumerate(slots):
                worker = slot or self._spawn()
                slots[index] = worker
                try:
                    worker.wait_ready(self.limits.timeout)
                except RenderError:
                    self._retire(worker)
                    slots[index] = None
                    raise
        finally:
            for slot in slots:
                self._idle.put(slot)

    def _spawn(self) -> _Worker:
        worker = _Worker(self.limits)
        with self._lock:
            self._workers.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
        worker.stop()

    @contextlib.contextmanager
    def _checkout(self) -> Iterator[_Worker]:
        if self._closed:
            raise RenderError("the render pool is closed")
        try:
            slot = self._idle.get(timeout=self.limits.timeout)
        except queue.Empty:
            raise RenderTimeout("every render worker is busy") from None
        worker: _Worker | None = slot if slot is not None and slot.alive else None
        if slot is not None and worker is None:
            self._retire(slot)
        try:
            worker = worker or self._spawn()
            yield worker
        except BaseException:
            if worker is not None:
                self._retire(worker)
            worker = None
            raise
        finally:
            if worker is not None and worker.jobs >= self.limits.max_jobs_per_worker:
                self._retire(worker)  # WeasyPrint keeps caches; recycle before they grow large
                worker = None
            self._idle.put(worker)

    def render_to(self, html: str, stylesheets: Sequence[str], target: Path) -> RenderStats:
        """Render into the new file `target` (which must not exist) in a worker; raise RenderError on failure."""
        with self._checkout() as worker:
            return worker.run(html, stylesheets, target, self.limits.timeout)

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        with self._lock:
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            worker.stop()


# --- the on-disk cache ------------------------------------------------------------------------------------


class RenditionCache:
    """PDFs on disk by key: `<root>/<key[:2]>/<key>.pdf`, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp = self.root / ".tmp"

    def path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError("a rendition key is a hex digest")
        return self.root / key[:2] / f"{key}.pdf"

    def get(self, key: str) -> Path | None:
        """The cached PDF for `key`, if there is one."""
        path = self.path(key)
        return path if path.is_file() else None

    def store(self, key: str, pool: RenderPool, html: str, stylesheets: Sequence[str]) -> RenderStats:
        """Render into a temporary file and move it into place; on any failure leave nothing behind."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = self.tmp / f"{key}.{uuid.uuid4().hex}.part"
        try:
            stats = pool.render_to(html, stylesheets, temp)
            os.replace(temp, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        return stats

    def sweep(self, older_than: float = 3600.0) -> int:
        """Delete temporary files a crashed process left behind; return how many."""
        removed = 0
        if not self.tmp.is_dir():
            return 0
        cutoff = time.time() - older_than
        for leftover in self.tmp.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
        return removed
