"""The web table import, off the request: on RQ when Redis is configured, else a worker thread.

`start_import` keeps the uploaded file on an `ImportRun` row and, once the request commits, hands the run to the
job runner; the staff member is sent to the run's page, which shows its progress and then its outcome. The job
checks every row with its progress committed as it goes (checking writes nothing, so committing then is safe),
then stores every row and the outcome in one transaction: all or nothing, as from the command line. In tests
(`INTAKE_IMPORT_JOBS = "inline"`) the job runs in the request's own transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.boundary import unit_of_work
from app.exceptions import DomainError
from app.intake import services
from app.jobs import RowJob, heartbeat
from app.models import ImportRun, ImportRunStatus, User, Version, audit
from app.models.base import utcnow
from app.submissions.errors import SubmissionInputError

RQ_QUEUE = "korero-intake"
# Progress is committed at most this often (in rows), and at least every 2 % of the file.
PROGRESS_EVERY = 500
KEPT_CREATED = 200


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
    RUNNER.start(session, run.id)
    return run


def _steps(run_id: int) -> None:
    with unit_of_work() as session:
        execute(session, run_id, progress_commits=True)


def _fail(run: ImportRun, message: str) -> None:
    run.error, run.data = message, None


RUNNER = RowJob(
    name="import",
    setting="INTAKE_IMPORT_JOBS",
    queue=RQ_QUEUE,
    model=ImportRun,
    steps=_steps,
    inline=lambda session, run_id: execute(session, run_id, progress_commits=False),
    fail=_fail,
    crashed=lambda _error: _("The import stopped unexpectedly. Nothing was saved; try again."),
    lost=lambda: _("The import stopped before it finished; nothing was imported — run it again."),
)
init_app = RUNNER.init_app


def execute(session: Session, run_id: int, progress_commits: bool) -> ImportRun:
    """Check the run's table (its progress committed as it goes when `progress_commits`), then store it."""
    run = session.get_one(ImportRun, run_id)
    if run.status != ImportRunStatus.QUEUED.value:
        return run  # started twice (a retried queue job): the first one does the work
    with force_locale(run.locale):
        run.status = ImportRunStatus.RUNNING.value
        heartbeat(run)
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
        heartbeat(run)
        if commits:
            session.commit()

    return progress


def look_at(session: Session, run: ImportRun) -> ImportRun:
    """The run as its page shows it: marked failed first if its job was lost (no heartbeat for a while)."""
    if not run.finished:
        RUNNER.sweep(session, [run.id])
    return run
