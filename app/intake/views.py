"""Staff intake pages: choose a version, enter an offline submission, import a table of them."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from app.access import get_version_or_404, intake_required, signed_in_user
from app.boundary import current_session
from app.comments.views import show_form_again
from app.exceptions import DomainError
from app.intake import services
from app.intake.forms import ImportForm, IntakeForm
from app.models import Version, VersionStatus
from app.security import allow_larger_bodies
from app.submissions import storage
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
    dry_run = not form.run.data
    report = services.import_table(
        current_session(), signed_in_user(), version, file.filename, data, dry_run=dry_run
    )
    if report.problems:
        return _import_page(version, form, report, 422)
    if dry_run:
        return _import_page(version, form, report)
    flash(_("Imported %(count)s submissions.", count=len(report.created)), "success")
    return _import_page(version, form, report)
