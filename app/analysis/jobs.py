"""The suggested-themes job: off the request path on RQ (when Redis is configured) or a worker thread.

`start_run` records a queued run and, once the request's transaction commits, hands it to the job runner. The job
reads the version's free text, runs the pure `suggest_themes` (nothing leaves this machine), and stores each
suggestion with its terms, representative quotes and members; progress is committed as it goes so the page's
progress bar moves. In tests (`ANALYSIS_JOBS = "inline"`) the job runs in the request's own transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.analysis.themes import suggest_themes
from app.boundary import unit_of_work
from app.exceptions import ConflictError, InputError
from app.jobs import RowJob, heartbeat
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

MAX_THEMES = 30
MAX_ITEMS = 200_000
RQ_QUEUE = "korero-analysis"


def start_run(session: Session, actor: User, version: Version, themes: int, seed: int) -> ThemeRun:
    if not 2 <= themes <= MAX_THEMES:
        raise InputError(_("Ask for between 2 and %(most)d themes.", most=MAX_THEMES), "themes")
    running = session.scalar(
        select(ThemeRun.id).where(
            ThemeRun.version_id == version.id,
            ThemeRun.status.in_([ThemeRunStatus.QUEUED.value, ThemeRunStatus.RUNNING.value]),
        )
    )
    if running and not RUNNER.sweep(session, [running]):
        raise ConflictError(_("Suggested themes are already being worked out for this version."))
    run = ThemeRun(version_id=version.id, requested_by_id=actor.id, themes_wanted=themes, seed=seed)
    session.add(run)
    session.flush()
    audit(session, actor, "themes.run", "version", version.id, run=run.id, themes=themes, seed=seed)
    RUNNER.start(session, run.id)
    return run


def _steps(run_id: int) -> None:
    with unit_of_work() as session:
        if session.get_one(ThemeRun, run_id).status != ThemeRunStatus.QUEUED.value:
            return  # started twice, or swept as lost before a worker reached it
        texts, items = _load(session, run_id, mark_running=True)

    def progress(percent: int) -> None:
        with unit_of_work() as s:
            run = s.get_one(ThemeRun, run_id)
            run.progress = percent
            heartbeat(run)

    with unit_of_work() as session:
        _store(session, run_id, texts, items, progress)


def _fail(run: ThemeRun, message: str) -> None:
    run.error = message


def _load(session: Session, run_id: int, mark_running: bool) -> tuple[list[str], list[tuple[str, int]]]:
    run = session.get_one(ThemeRun, run_id)
    if mark_running:
        run.status = ThemeRunStatus.RUNNING.value
        run.progress = 5
        heartbeat(run)
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


RUNNER = RowJob(
    name="themes",
    setting="ANALYSIS_JOBS",
    queue=RQ_QUEUE,
    model=ThemeRun,
    steps=_steps,
    inline=compute,
    fail=_fail,
    crashed=lambda error: str(error)[:500],
    lost=lambda: _("Working out the themes stopped before it finished; nothing was saved — run it again."),
)
init_app = RUNNER.init_app


def latest_run(session: Session, version: Version, sweep: bool = False) -> ThemeRun | None:
    """The version's latest run; with `sweep`, marked failed first if its job was lost (no heartbeat lately)."""
    run = session.scalar(
        select(ThemeRun).where(ThemeRun.version_id == version.id).order_by(ThemeRun.id.desc()).limit(1)
    )
    if (
        sweep
        and run is not None
        and run.status in (ThemeRunStatus.QUEUED.value, ThemeRunStatus.RUNNING.value)
    ):
        RUNNER.sweep(session, [run.id])
    return run


def suggestions(session: Session, run: ThemeRun) -> list[ThemeSuggestion]:
    return list(
        session.scalars(
            select(ThemeSuggestion).where(ThemeSuggestion.run_id == run.id).order_by(ThemeSuggestion.id)
        )
    )


def pending(suggestion: ThemeSuggestion) -> bool:
    return suggestion.status == SuggestionStatus.SUGGESTED.value
