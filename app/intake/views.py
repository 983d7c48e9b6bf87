"""Staff intake pages: choose a version, enter an offline submission, import a table of them."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from app.access import get_import_run_or_404, get_version_or_404, intake_required, signed_in_user
from app.boundary import current_session
from app.comments.views import show_form_again
from app.exceptions import DomainError
from app.intake import jobs, services
from app.intake.forms import ImportForm, IntakeForm
from app.models import ImportRun, ImportRunStatus, Version, VersionStatus
from app.security import allow_larger_bodies
from app.submissions import storage
from app.submissions.bulk import Stored
from app.submissions.services import SubmissionInput, Upload, version_questions
from app.submissions.views import show_submission_form_again

bp = Blueprint("intake", __name__, url_prefix="/intake")
allow_larger_bodies("intake.enter", lambda: storage.limits().max_request)
allow_larger_bodies("intake.import_table", lambda: services.MAX_IMPORT_BYTES + 1024 * 1024)


@bp.get("/")
@intake_required
def index() -> ResponseReturnValue:
    versions = list(
        current_session().scalars(
            select(Version)
            .where(Version.status != VersionStatus.WORKING.value, Version.comments_open_at.is_not(None))
            .order_by(Version.policy_id, Version.position)
        )
    )
    return render_template("intake/index.html", versions=versions)


def _enter_page(version: Version, form: IntakeForm, status: int = 200) -> ResponseReturnValue:
    questions = version_questions(current_session(), version)
    values = (
        {
            f"q{q.id}": (
                request.form.get(f"q{q.id}", "") if q.kind == "text" else request.form.getlist(f"q{q.id}")
            )
            for q in questions
        }
        if request.method == "POST"
        else {}
    )
    from app.submissions.questions import QuestionSpec

    return (
        render_template(
            "intake/enter.html",
            version=version,
            form=form,
            questions=[
                (q, QuestionSpec(kind=q.kind, prompt=q.prompt, choices=tuple(q.choices)).options())
                for q in questions
            ],
            values=values,
            grace=storage.limits().post_grace_days,
        ),
        status,
    )


@bp.route("/<policy_slug>/<version_slug>", methods=["GET", "POST"])
@intake_required
def enter(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug)
    form = IntakeForm()
    form.section_keys.choices = [(s.key, f"{s.number}. {s.heading}") for s in version.sections]
    if request.method == "GET":
        return _enter_page(version, form)
    show_submission_form_again(form, lambda: _enter_page(version, form, 422))
    questions = version_questions(current_session(), version)
    uploads = []
    scan = request.files.get("scan")
    if scan is not None and scan.filename:
        try:
            data = scan.read(storage.limits().max_bytes + 1)
        finally:
            scan.close()
        uploads.append(Upload(scan.filename, data, is_original_scan=True))
    offline = services.OfflineInput(
        channel=form.channel.data,
        received_on=form.received_on.data,
        name=form.name.data,
        contact=form.contact.data,
        submission=SubmissionInput(
            body=form.body.data,
            consent=form.consent.data,
            submitter_kind=form.submitter_kind.data,
            organisation_name=form.organisation_name.data,
            organisation_kind=form.organisation_kind.data,
            region=form.region.data,
            section_keys=form.section_keys.data or [],
            answers={
                q.id: (
                    request.form.get(f"q{q.id}", "") if q.kind == "text" else request.form.getlist(f"q{q.id}")
                )
                for q in questions
            },
            uploads=uploads,
        ),
    )
    submission = services.enter_submission(current_session(), signed_in_user(), version, offline)
    flash(
        _(
            "Entered. Send %(name)s this tracking number: %(number)s",
            name=submission.submitter_name,
            number=submission.tracking_number,
        ),
        "success",
    )
    return redirect(url_for("submissions.receipt", tracking_number=submission.tracking_number), 303)


def _import_page(
    version: Version, form: ImportForm, report: services.ImportReport | None = None, status: int = 200
) -> ResponseReturnValue:
    questions = version_questions(current_session(), version)
    return render_template(
        "intake/import.html", version=version, form=form, report=report, questions=questions
    ), status


@bp.route("/<policy_slug>/<version_slug>/import", methods=["GET", "POST"])
@intake_required
def import_table(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug)
    form = ImportForm()
    if request.method == "GET":
        return _import_page(version, form)
    show_form_again(form, lambda: _import_page(version, form, status=422), kinds=(DomainError,))
    file = request.files.get("file")
    if file is None or not file.filename:
        from app.submissions.errors import SubmissionInputError

        raise SubmissionInputError(_("Choose a CSV or XLSX file."), "file")
    try:
        data = file.read(services.MAX_IMPORT_BYTES + 1)
    finally:
        file.close()
    # Checked and stored off the request (app/intake/jobs.py); its page shows the progress, then the outcome.
    run = jobs.start_import(
        current_session(), signed_in_user(), version, file.filename, data, dry_run=not form.run.data
    )
    return redirect(url_for("intake.import_run", run_id=run.id), 303)


def _run_report(run: ImportRun) -> services.ImportReport:
    return services.ImportReport(
        rows=run.rows_total,
        problems=[services.RowProblem(line, column, message) for line, column, message in run.problems],
        created=[Stored(sid, number, name) for sid, number, name in run.created],
        preview=run.preview,
    )


@bp.get("/imports/<int:run_id>")
@intake_required
def import_run(run_id: int) -> ResponseReturnValue:
    run = jobs.look_at(current_session(), get_import_run_or_404(run_id))
    version = run.version
    report = _run_report(run) if run.status == ImportRunStatus.DONE.value and not run.error else None
    status = 422 if run.finished and (run.error or (report and report.problems)) else 200
    return render_template(
        "intake/import_run.html",
        run=run,
        version=version,
        report=report,
        saved=run.created_count,
        progress_text=progress_text(run),
    ), status


@bp.get("/imports/<int:run_id>/progress")
@intake_required
def import_progress(run_id: int) -> ResponseReturnValue:
    run = jobs.look_at(current_session(), get_import_run_or_404(run_id))
    response = jsonify(
        status=run.status,
        finished=run.finished,
        checked=run.rows_checked,
        total=run.rows_total,
        percent=run.percent,
        text=progress_text(run),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def progress_text(run: ImportRun) -> str:
    """What the progress says in words (the same on the page and to the polling script)."""
    if run.status == ImportRunStatus.QUEUED.value:
        return _("Waiting to start.")
    if run.finished:
        return _("Finished.")
    if not run.rows_total:
        return _("Reading the file.")
    return _(
        "%(checked)s of %(total)s rows checked (%(percent)s%%).",
        checked=f"{run.rows_checked:,}",
        total=f"{run.rows_total:,}",
        percent=run.percent,
    )
