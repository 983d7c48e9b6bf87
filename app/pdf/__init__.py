"""PDF renditions of versions, sections, redlines and comments reports (WeasyPrint, sandboxed, cached)."""

from __future__ import annotations

import atexit
from pathlib import Path

from flask import Flask

DEFAULTS = {
    "PDF_RENDER_PROCESSES": 2,  # warm sandboxed render processes per web process
    "PDF_RENDER_TIMEOUT": 60.0,  # seconds one render may take before its process is killed
    "PDF_RENDER_MEMORY_MB": 1536,  # address-space limit (RLIMIT_AS) of a render process
    "PDF_RENDER_MAX_JOBS": 25,  # renders before a render process is replaced (WeasyPrint keeps caches)
    "PDF_JOB_THREADS": 2,  # background threads when there is no Redis
    "PDF_USE_RQ": True,  # use RQ when REDIS_URL is set
    # HTML up to this size is rendered inside the request (a section: ~10 kB, the 30-page policy: ~150 kB).
    "PDF_INLINE_MAX_BYTES": 60_000,
    # Render every public version and redline in the background after a publish or `korero serve`,
    # so the first reader of a big PDF gets a file send, not a wait.
    "PDF_PRERENDER": True,
}


def init_app(app: Flask) -> None:
    """Configure the PDF machinery, register the blueprint and the `flask pdf` commands."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    app.config.setdefault("PDF_CACHE_DIR", str(Path(app.instance_path) / "renditions"))

    from app.pdf.cli import pdf_cli
    from app.pdf.jobs import Renditions
    from app.pdf.views import bp

    renditions = Renditions(app)
    app.extensions["korero-pdf"] = renditions
    atexit.register(renditions.close)
    app.register_blueprint(bp)
    app.cli.add_command(pdf_cli)


def prerender_after_commit(session: object, policy_slug: str | None = None) -> int:
    """Queue background renders of what is not cached yet (when PDF_PRERENDER is on); return how many."""
    from flask import current_app

    if not current_app.config.get("PDF_PRERENDER"):
        return 0
    from app.pdf.jobs import prerender

    try:
        return prerender(session, policy_slug)
    except Exception:  # a PDF queue problem must never undo or hide a publish: log it, render on demand
        current_app.logger.exception("could not queue PDF renders for %s", policy_slug or "all policies")
        return 0
