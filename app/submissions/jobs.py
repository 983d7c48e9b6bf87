"""Extract big attachments' text off the request path, in a worker thread with its own unit of work.

A small pool (one thread by default) so a burst of large files queues instead of taking the web process's
CPU; anything still pending (the process stopped first) is done by `flask submissions extract`.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app
from sqlalchemy import select

log = logging.getLogger(__name__)
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool  # noqa: PLW0603 - one pool per process, made on first use
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="korero-extract")
    return _pool


def extract_later(attachment_ids: list[int]) -> None:
    """Queue text extraction of these attachments (called after the commit that stored them)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("SUBMISSIONS_EXTRACT_SYNC"):
        _run(app, attachment_ids)  # tests and the benchmark: the same code, without the thread
        return
    _executor().submit(_run, app, attachment_ids)


def _run(app: Flask, attachment_ids: list[int]) -> None:
    with app.app_context():
        try:
            extract_pending(attachment_ids)
        except Exception:
            log.exception("could not extract attachments %s", attachment_ids)


def extract_pending(attachment_ids: list[int] | None = None) -> int:
    """Extract every pending attachment (or those given) in one unit of work; return how many were done."""
    from app.boundary import unit_of_work
    from app.models import Attachment
    from app.submissions import storage
    from app.submissions.services import extract_now

    done = 0
    with unit_of_work() as session:
        query = select(Attachment).where(Attachment.extraction == "pending")
        if attachment_ids is not None:
            query = query.where(Attachment.id.in_(attachment_ids))
        for attachment in session.scalars(query):
            extract_now(attachment, storage.read(attachment.content_hash))
            done += 1
    return done
