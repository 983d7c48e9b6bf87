"""The web table import, off the request: on RQ when Redis is configured, else a worker thread.

`start_import` keeps the uploaded file on an `ImportRun` row and, once the request commits, hands the run to the
job runner; the staff member is sent to the run's page, which shows its progress and then its outcome. The job
checks every row with its progress committed as it goes (checking writes nothing, so committing then is safe),
then stores every row and the outcome in one transaction: all or nothing, as from the command line. In tests
(`INTAKE_IMPORT_JOBS = "inline"`) the job runs in the request's own transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.boundary import after_commit, unit_of_work
from app.exceptions import DomainError
from app.intake import services
from app.models import ImportRun, ImportRunStatus, User, Version, audit
from app.models.base import utcnow
from app.submissions.errors import SubmissionInputError

log = logging.getLogger(__name__)
RQ_QUEUE = "korero-intake"
# Progress is committed at most this often (in rows), and at least every 2 % of the file.
PROGRESS_EVERY = 500
KEPT_CREATED = 200
_executor: ThreadPoolExecutor | None = None


def init_app(app: Flask) -> None:
    default = "inline" if app.testing else ("rq" if app.config.get("REDIS_URL") else "thread")
    app.config.setdefault("INTAKE_IMPORT_JOBS", default)


def start_import(
    session: Session, staff: User, version: Version, filename: str, data: bytes, dry_run: bool
) -> ImportRun:
    """Record an import (its file kept until the job reads it) and start the job once this request commits."""
    services.require_intake(staff)
    if not data:
        raise SubmissionInputError(_("The file is empty."), "file")
    if len(data) > services.MAX_IMPORT_BYTES:
        raise SubmissionInputError(_("The file is larger than 20 MB; split it."), "file")
    run = ImportRun(
        version_id=version.id,
        staff_id=staff.id,
        filename=(filename or "table")[-200:],
        data=data,
        dry_run=dry_run,
        locale=str(get_locale() or "en"),
    )
    session.add(run)
    session.flush()
    audit(session, staff, "submissions.import_started", "version", version.id, run=run.id, dry_run=dry_run)
    mode = current_app.config.get("INTAKE_IMPORT_JOBS", "thread")
    if mode == "inline":
        execute(session, run.id, progress_commits=False)
    elif mode == "rq":
        run_id, url = run.id, current_app.config["REDIS_URL"]
        after_commit(lambda: _enqueue_rq(url, run_id))
    else:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        run_id = run.id
        after_commit(lambda: _pool().submit(_thread_job, app, run_id))
    return run


def _pool() -> ThreadPoolExecutor:
    global _executor  # noqa: PLW0603 - one worker thread per process: imports queue behind each other
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="korero-import")
    return _executor


def _enqueue_rq(redis_url: str, run_id: int) -> None:
    from redis import Redis
    from rq import Queue

    Queue(RQ_QUEUE, connection=Redis.from_url(redis_url)).enqueue_call(
        rq_import_job, args=(run_id,), job_id=f"korero-import-{run_id}", timeout=3600
    )


def rq_import_job(run_id: int) -> None:
    """The RQ job (`rq worker korero-intake`): an app of its own, then the thread job's steps."""
    from app import create_app

    _thread_job(create_app(), run_id)


def _thread_job(app: Flask, run_id: int) -> None:
    with app.app_context():
        try:
            with unit_of_work() as session:
                execute(session, run_id, progress_commits=True)
        except Exception:  # a failed job is recorded on its run, not lost in a thread
            log.exception("table import %s failed", run_id)
            with unit_of_work() as session:
                run = session.get_one(ImportRun, run_id)
                run.status, run.finished_at, run.data = ImportRunStatus.FAILED.value, utcnow(), None
                run.error = _("The import stopped unexpectedly. Nothing was saved; try again.")


def execute(session: Session, run_id: int, progress_commits: bool) -> ImportRun:
    """Check the run's table (its progress committed as it goes when `progress_commits`), then store it."""
    run = session.get_one(ImportRun, run_id)
    if run.status != ImportRunStatus.QUEUED.value:
        return run  # started twice (a retried queue job): the first one does the work
    with force_locale(run.locale):
        run.status = ImportRunStatus.RUNNING.value
        if progress_commits:
            session.commit()
        staff = session.get(User, run.staff_id) if run.staff_id is not None else None
        version = session.get_one(Version, run.version_id)
        data = run.data or b""
        try:
            if staff is None:
                raise SubmissionInputError(_("The account that started this import is gone."), "file")
            report = services.check_table(
                session, staff, version, run.filename, data, _progress(session, run_id, progress_commits)
            )
            run = session.get_one(ImportRun, run_id)
            if report.ok and not run.dry_run:
                services.store_checked(session, staff, version, report)
        except DomainError as error:
            run = session.get_one(ImportRun, run_id)
            run.error = error.message
            report = None
        if report is not None:
            run.rows_total = run.rows_checked = report.rows
            run.problems = [[p.line, p.column, p.message] for p in report.problems]
            run.preview = report.preview
            run.created = [[s.id, s.tracking_number, s.submitter_name] for s in report.created[:KEPT_CREATED]]
            run.created_count = len(report.created)
        run.status, run.finished_at, run.data = ImportRunStatus.DONE.value, utcnow(), None
        session.flush()
    return run


def _progress(session: Session, run_id: int, commits: bool) -> Callable[[int, int], None]:
    """Record rows checked; in a job, commit it so the page sees it (checking has written nothing else)."""
    last = 0

    def progress(done: int, total: int) -> None:
        nonlocal last
        step = min(PROGRESS_EVERY, max(1, total // 50))
        if done - last < step and done != total:
            return
        last = done
        run = session.get_one(ImportRun, run_id)
        run.rows_checked, run.rows_total = done, total
        if commits:
            session.commit()

    return progress


def run_for(session: Session, run_id: int) -> ImportRun | None:
    return session.get(ImportRun, run_id)
