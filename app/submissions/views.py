"""Submission pages: the whole-version submission form (save and return), a version's submissions, question
results, receipts, attachment downloads; the drafters' questions editor; moderation and confirmation buttons.

Views load through `app.access`, call one use case and return; the request boundary commits and `app.errors`
answers every refusal (what was typed wrongly: the form again with the message on its field).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.access import (
    drafter_required,
    get_submission_or_404,
    get_version_or_404,
    int_arg,
    login_redirect,
    moderator_required,
    roles_required,
    signed_in_user,
    submission_staff_required,
    viewer,
)
from app.boundary import current_session
from app.comments import antibot
from app.comments.periods import period_status
from app.comments.views import comment_post_limit, show_form_again
from app.errors import put_on_form, redisplay
from app.exceptions import DomainError, InputError
from app.models import Answer, Attachment, Question, Role, Submission, SubmissionState, Version
from app.security import allow_larger_bodies
from app.submissions import listing, presenters, services, storage
from app.submissions.errors import SubmissionInputError
from app.submissions.filetypes import MEDIA_TYPES
from app.submissions.forms import (
    ConfirmOrganisationForm,
    ModerateSubmissionForm,
    QuestionsForm,
    RedactForm,
    SubmissionForm,
)
from app.submissions.questions import QuestionSpec, dump_questions
from app.submissions.visibility import (
    can_view_submission,
    is_own,
    is_public,
    shown_body_html,
    shown_name,
    shown_text,
)

bp = Blueprint("submissions", __name__)
allow_larger_bodies("submissions.submission_form", lambda: storage.limits().max_request)


@bp.app_context_processor
def submission_helpers() -> dict[str, object]:
    return {
        "submission_labels": presenters,
        "submission_name": lambda s: shown_name(viewer(), s),
        "submission_body": lambda s: shown_body_html(viewer(), s),
        "answer_text": lambda a: shown_text(viewer(), a),
        "submission_totals": lambda version: listing.totals(current_session(), version),
        "tied_questions": lambda version, section, clauses: listing.tied_questions(
            current_session(), version, section.key, [c.key for c in clauses]
        ),
    }


def show_submission_form_again(form: FlaskForm, page: Callable[[], ResponseReturnValue]) -> None:
    """Like the comments' `show_form_again`, with an answer's refusal shown at its question too."""

    def show(error: DomainError) -> ResponseReturnValue:
        if not isinstance(error, InputError):
            return render_template(error.template, error=error, status=error.status), error.status
        name = error.field or ""
        if name.startswith("q") and name[1:].isdigit():
            form.form_errors_by_question = {name: [error.message]}
            form.form_errors.append(error.message)
        else:
            put_on_form(form, error)
        return page()

    redisplay(show)


def _version_url(version: Version, endpoint: str, **kwargs: Any) -> str:
    return url_for(endpoint, policy_slug=version.policy.slug, version_slug=version.slug, **kwargs)


# --- the submission form -------------------------------------------------------------------------------


def _answers_from(questions: list[Question]) -> dict[int, list[str] | str]:
    answers: dict[int, list[str] | str] = {}
    for question in questions:
        name = f"q{question.id}"
        if question.kind == "text":
            answers[question.id] = request.form.get(name, "")
        else:
            answers[question.id] = request.form.getlist(name)
    return answers


def _uploads() -> list[services.Upload]:
    uploads = []
    for file in request.files.getlist("attachments"):
        if not file or not file.filename:
            continue
        limit = storage.limits().max_bytes
        try:
            data = file.read(limit + 1)
        finally:
            file.close()
        uploads.append(services.Upload(file.filename, data))
    return uploads


def _form_page(version: Version, form: SubmissionForm, status: int = 200) -> ResponseReturnValue:
    session = current_session()
    form.stamp()
    questions = services.version_questions(session, version)
    existing = services.own_submission(session, signed_in_user(), version)
    values: dict[str, object] = {}
    if request.method == "POST":
        values = {
            f"q{q.id}": (
                request.form.get(f"q{q.id}", "") if q.kind == "text" else request.form.getlist(f"q{q.id}")
            )
            for q in questions
        }
    elif existing is not None:
        values = {f"q{a.question_id}": a.as_value() for a in existing.answers}
    return (
        render_template(
            "submissions/form.html",
            version=version,
            form=form,
            questions=[
                (q, QuestionSpec(kind=q.kind, prompt=q.prompt, choices=tuple(q.choices)).options())
                for q in questions
            ],
            values=values,
            existing=existing,
            period=period_status(version),
            limits=storage.limits(),
        ),
        status,
    )


def _prepare(form: SubmissionForm, version: Version) -> None:
    form.section_keys.choices = [(s.key, f"{s.number}. {s.heading}") for s in version.sections]


@bp.route("/policies/<policy_slug>/versions/<version_slug>/submission", methods=["GET", "POST"])
@comment_post_limit
def submission_form(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug)
    if not current_user.is_authenticated:
        return login_redirect()
    session = current_session()
    existing = services.own_submission(session, signed_in_user(), version)
    form = SubmissionForm() if request.method == "POST" else SubmissionForm(obj=existing)
    _prepare(form, version)
    if existing is not None:
        form.remove_attachments.choices = [(str(a.id), a.filename) for a in existing.attachments]
    if request.method == "GET":
        if existing is not None:
            form.section_keys.data = list(existing.section_keys)
        return _form_page(version, form)
    show_submission_form_again(form, lambda: _form_page(version, form, 422))
    antibot.check(form.submission())
    questions = services.version_questions(session, version)
    data = services.SubmissionInput(
        body=form.body.data,
        consent=form.consent.data,
        submitter_kind=form.submitter_kind.data,
        organisation_name=form.organisation_name.data,
        organisation_kind=form.organisation_kind.data,
        region=form.region.data,
        section_keys=form.section_keys.data or [],
        answers=_answers_from(questions),
        uploads=_uploads(),
        remove_attachment_ids=[int(i) for i in (form.remove_attachments.data or []) if str(i).isdigit()],
    )
    send = bool(form.submit.data) and not form.save.data
    submission = services.save_submission(session, viewer(), version, data, send=send)
    if submission.is_draft:
        flash(
            _("Your draft is saved. Come back to this page to finish and send it before the period closes."),
            "success",
        )
        return redirect(_version_url(version, "submissions.submission_form"), 303)
    if submission.state == SubmissionState.HELD.value:
        flash(
            _("Thank you. Your submission is waiting for a moderator; it will appear once approved."),
            "success",
        )
    else:
        flash(_("Thank you. Your submission has been received."), "success")
    return redirect(url_for("submissions.receipt", tracking_number=submission.tracking_number), 303)


# --- reading -------------------------------------------------------------------------------------------


@bp.get("/policies/<policy_slug>/versions/<version_slug>/submissions")
def version_submissions(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug)
    before = int_arg("before")
    page = listing.version_submissions(current_session(), viewer(), version, before)
    return render_template(
        "submissions/list.html", version=version, page=page, before=before, period=period_status(version)
    )


@bp.get("/policies/<policy_slug>/versions/<version_slug>/results")
def results(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug)
    period = period_status(version)
    visible = listing.results_visible(version, viewer(), period.is_open)
    found = listing.question_results(current_session(), viewer(), version) if visible else []
    return render_template(
        "submissions/results.html", version=version, results=found, visible=visible, period=period
    )


@bp.get("/submissions/<tracking_number>")
def receipt(tracking_number: str) -> ResponseReturnValue:
    submission = get_submission_or_404(tracking_number)
    staff = viewer().sees_everything
    return render_template(
        "submissions/receipt.html",
        submission=submission,
        version=submission.version,
        own=is_own(viewer(), submission),
        public=is_public(submission),
        staff=staff,
        confirm_form=ConfirmOrganisationForm()
        if viewer().has_role("drafter", "reviewer", "moderator", "intake")
        else None,
        moderate_form=ModerateSubmissionForm() if viewer().has_role("moderator") else None,
        redact_form=_redact_form(submission) if viewer().has_role("moderator", "reviewer") else None,
        responses=_responses(submission),
    )


def _responses(submission: Submission) -> dict[str, Any]:
    """The drafters' responses to the submission and its answers, as cards (keys as in responses_of_submission)."""
    from app.responses.services import card, responses_of_submission

    return {key: card(r) for key, r in responses_of_submission(current_session(), submission).items()}


def _written_answers(submission: Submission) -> list[Answer]:
    return [a for a in submission.answers if a.text]


def _redact_form(submission: Submission) -> RedactForm:
    form = RedactForm()
    form.offer_parts([(a.id, a.question.prompt) for a in _written_answers(submission)])
    return form


@bp.get("/submissions/<tracking_number>/attachments/<int:attachment_id>")
def attachment(tracking_number: str, attachment_id: int) -> ResponseReturnValue:
    submission = get_submission_or_404(tracking_number)
    file = current_session().get(Attachment, attachment_id)
    if file is None or file.submission_id != submission.id:
        abort(404)
    if not (is_public(submission) or is_own(viewer(), submission) or viewer().sees_everything):
        abort(404)
    try:
        data = storage.read(file.content_hash)
    except (OSError, ValueError):
        abort(404)
    response = send_file(
        io.BytesIO(data),
        mimetype=MEDIA_TYPES.get(file.kind, "application/octet-stream"),
        as_attachment=True,
        download_name=file.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- drafters: questions -------------------------------------------------------------------------------


def _questions_page(version: Version, form: QuestionsForm, status: int = 200) -> ResponseReturnValue:
    example = dump_questions(
        [
            QuestionSpec("agree", _("How clear is the purpose section?"), required=True),
            QuestionSpec(
                "multiple", _("Which principles matter most to you?"), ("He Tāngata", "Manaakitanga")
            ),
        ]
    )
    return render_template("submissions/questions.html", version=version, form=form, example=example), status


@bp.route("/drafting/<policy_slug>/<version_slug>/questions", methods=["GET", "POST"])
@drafter_required
def questions(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug, include_working=True)
    session = current_session()
    form = QuestionsForm()
    if request.method == "GET":
        current = services.version_questions(session, version)
        form.questions.data = dump_questions(
            QuestionSpec(q.kind, q.prompt, tuple(q.choices), q.required, q.section_key, q.clause_key)
            for q in current
        )
        form.results_live.data = version.question_results_live
        return _questions_page(version, form)
    show_form_again(form, lambda: _questions_page(version, form, 422), kinds=(DomainError,))
    if not form.validate():
        return _questions_page(version, form, 422)
    saved = services.set_questions(
        session, signed_in_user(), version, form.questions.data, form.results_live.data
    )
    flash(_("Saved %(count)s questions.", count=len(saved)), "success")
    return redirect(_version_url(version, "submissions.questions"), 303)


# --- staff: moderation and confirmation ----------------------------------------------------------------


@bp.get("/moderation/submissions")
@moderator_required
def queue() -> ResponseReturnValue:
    from sqlalchemy import select

    from app.models import Submission

    rows = list(
        current_session().scalars(
            select(Submission)
            .where(Submission.state.in_([SubmissionState.HELD.value, SubmissionState.HIDDEN.value]))
            .order_by(Submission.id)
            .limit(200)
        )
    )
    return render_template("submissions/queue.html", rows=rows, form=ModerateSubmissionForm())


@bp.post("/moderation/submissions/<tracking_number>/<action>")
@moderator_required
def moderate(tracking_number: str, action: str) -> ResponseReturnValue:
    submission = get_submission_or_404(tracking_number, staff_only=True)
    form = ModerateSubmissionForm()
    if not form.validate_on_submit():
        abort(400)
    services.moderate_submission(current_session(), signed_in_user(), submission, action, form.reason.data)
    flash(_("Done."), "success")
    return redirect(url_for("submissions.receipt", tracking_number=submission.tracking_number), 303)


@bp.post("/submissions/<tracking_number>/confirm-organisation")
@submission_staff_required
def confirm_organisation(tracking_number: str) -> ResponseReturnValue:
    submission = get_submission_or_404(tracking_number, staff_only=True)
    form = ConfirmOrganisationForm()
    if not form.validate_on_submit():
        abort(400)
    services.confirm_organisation(current_session(), signed_in_user(), submission)
    flash(_("The organisation is marked as confirmed."), "success")
    return redirect(url_for("submissions.receipt", tracking_number=submission.tracking_number), 303)


@bp.post("/submissions/<tracking_number>/redact")
@roles_required(Role.MODERATOR, Role.REVIEWER)
def redact(tracking_number: str) -> ResponseReturnValue:
    submission = get_submission_or_404(tracking_number, staff_only=True)
    form = RedactForm()
    if not form.validate_on_submit():
        abort(400)
    part = form.part.data or "body"
    target: Submission | Answer | None = submission if part == "body" else None
    if target is None:
        target = next((a for a in _written_answers(submission) if f"answer-{a.id}" == part), None)
    if target is None:
        raise SubmissionInputError(_("Choose the submission’s text or one of its written answers."), "part")
    services.redact_passage(current_session(), signed_in_user(), target, form.passage.data, form.reason.data)
    flash(_("The passage is redacted for the public."), "success")
    return redirect(url_for("submissions.receipt", tracking_number=submission.tracking_number), 303)


__all__ = ["bp", "can_view_submission"]
