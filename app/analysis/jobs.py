"""The suggested-themes job: off the request path on RQ (when Redis is configured) or a worker thread.

`start_run` records a queued run and, once the request's transaction commits, hands it to the job runner. The job
reads the version's free text, runs the pure `suggest_themes` (nothing leaves this machine), and stores each
suggestion with its terms, representative quotes and members; progress is committed as it goes so the page's
progress bar moves. In tests (`ANALYSIS_JOBS = "inline"`) the job runs in the request's own transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.analysis.themes import suggest_themes
from app.boundary import after_commit, unit_of_work
from app.exceptions import ConflictError, InputError
from app.models import (
    CommentState,
    SearchDocument,
    SuggestionStatus,
    ThemeRun,
    ThemeRunStatus,
    ThemeSuggestion,
    User,
    Version,
    audit,
)
from app.models.base import utcnow

log = logging.getLogger(__name__)
MAX_THEMES = 30
MAX_ITEMS = 200_000
RQ_QUEUE = "korero-analysis"
_executor: ThreadPoolExecutor | None = None


def init_app(app: Flask) -> None:
    default = "inline" if app.testing else ("rq" if app.config.get("REDIS_URL") else "thread")
    app.config.setdefault("ANALYSIS_JOBS", default)


def start_run(session: Session, actor: User, version: Version, themes: int, seed: int) -> ThemeRun:
    if not 2 <= themes <= MAX_THEMES:
        raise InputError(_("Ask for between 2 and %(most)d themes.", most=MAX_THEMES), "themes")
    running = session.scalar(
        select(ThemeRun.id).where(
            ThemeRun.version_id == version.id,
            ThemeRun.status.in_([ThemeRunStatus.QUEUED.value, ThemeRunStatus.RUNNING.value]),
        )
    )
    if running:
        raise ConflictError(_("Suggested themes are already being worked out for this version."))
    run = ThemeRun(version_id=version.id, requested_by_id=actor.id, themes_wanted=themes, seed=seed)
    session.add(run)
    session.flush()
    audit(session, actor, "themes.run", "version", version.id, run=run.id, themes=themes, seed=seed)
    mode = current_app.config.get("ANALYSIS_JOBS", "thread")
    if mode == "inline":
        compute(session, run.id)
    elif mode == "rq":
        run_id, url = run.id, current_app.config["REDIS_URL"]
        after_commit(lambda: _enqueue_rq(url, run_id))
    else:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        run_id = run.id
        after_commit(lambda: _pool().submit(_thread_job, app, run_id))
    return run


def _pool() -> ThreadPoolExecutor:
    global _executor  # noqa: PLW0603 - one worker thread per process
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="korero-themes")
    return _executor


def _enqueue_rq(redis_url: str, run_id: int) -> None:
    from redis import Redis
    from rq import Queue

    Queue(RQ_QUEUE, connection=Redis.from_url(redis_url)).enqueue_call(
        rq_theme_job, args=(run_id,), job_id=f"korero-themes-{run_id}", timeout=3600
    )


def rq_theme_job(run_id: int) -> None:
    """The RQ job: an app of its own (the worker process has none), then the thread job's steps."""
    from app import create_app

    _thread_job(create_app(), run_id)


def _thread_job(app: Flask, run_id: int) -> None:
    with app.app_context():
        try:
            with unit_of_work() as session:
                texts, items = _load(session, run_id, mark_running=True)

            def progress(percent: int) -> None:
                with unit_of_work() as s:
                    s.get_one(ThemeRun, run_id).progress = percent

            with unit_of_work() as session:
                _store(session, run_id, texts, items, progress)
        except Exception as error:  # a failed job is recorded on its run, not lost in a thread
            log.exception("suggested themes failed")
            with unit_of_work() as session:
                run = session.get_one(ThemeRun, run_id)
                run.status, run.error, run.finished_at = (
                    ThemeRunStatus.FAILED.value,
                    str(error)[:500],
                    utcnow(),
                )


def _load(session: Session, run_id: int, mark_running: bool) -> tuple[list[str], list[tuple[str, int]]]:
    run = session.get_one(ThemeRun, run_id)
    if mark_running:
        run.status = ThemeRunStatus.RUNNING.value
        run.progress = 5
    rows = session.execute(
        select(SearchDocument.kind, SearchDocument.ref_id, SearchDocument.body)
        .where(
            SearchDocument.version_id == run.version_id,
            SearchDocument.kind != "clause",
            SearchDocument.state.in_([CommentState.PUBLISHED.value, CommentState.HELD.value]),
        )
        .order_by(SearchDocument.id)
        .limit(MAX_ITEMS)
    ).all()
    run.item_count = len(rows)
    return [body for _k, _r, body in rows], [(kind, ref_id) for kind, ref_id, _b in rows]


def _store(
    session: Session,
    run_id: int,
    texts: list[str],
    items: list[tuple[str, int]],
    progress: Callable[[int], None],
) -> None:
    run = session.get_one(ThemeRun, run_id)
    found = suggest_themes(texts, run.themes_wanted, run.seed, progress)
    run = session.get_one(ThemeRun, run_id)
    session.refresh(run)
    for theme in found:
        session.add(
            ThemeSuggestion(
                run_id=run.id,
                label=theme.label[:80],
                terms=list(theme.terms),
                members=[list(items[i]) for i in theme.members],
                representatives=[list(items[i]) for i in theme.representatives],
            )
        )
    run.status, run.progress, run.finished_at = ThemeRunStatus.DONE.value, 100, utcnow()
    session.flush()


def compute(session: Session, run_id: int) -> None:
    """Run the job in this session (tests and `flask analysis themes`)."""
    texts, items = _load(session, run_id, mark_running=True)

    def progress(percent: int) -> None:
        session.get_one(ThemeRun, run_id).progress = percent

    _store(session, run_id, texts, items, progress)


def latest_run(session: Session, version: Version) -> ThemeRun | None:
    return session.scalar(
        select(ThemeRun).where(ThemeRun.version_id == version.id).order_by(ThemeRun.id.desc()).limit(1)
    )


def suggestions(session: Session, run: ThemeRun) -> list[ThemeSuggestion]:
    return list(
        session.scalars(
            select(ThemeSuggestion).where(ThemeSuggestion.run_id == run.id).order_by(ThemeSuggestion.id)
        )
    )


def pending(suggestion: ThemeSuggestion) -> bool:
    return suggestion.status == SuggestionStatus.SUGGESTED.value
