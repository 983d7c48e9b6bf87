"""Creating and describing a consultation in the browser; its supporting documents.

Refusals are ConsultationError (422): the request boundary rolls back and the page registered with `redisplay`
shows the form again with the message on its field. Nothing is stored until the drafter has seen the preview.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage

from app.access import (
    can_see_working,
    drafter_required,
    get_document_or_404,
    get_policy_or_404,
    get_version_or_404,
)
from app.boundary import current_session
from app.consultations import services
from app.consultations.forms import DescribeForm, DocumentForm, KeepOpenForm, NewConsultationForm, RemoveForm
from app.drafting.access import current_drafter
from app.drafting.services import from_nz_time, text_hash
from app.drafts.parsing import MAX_DRAFT_BYTES, Document
from app.drafts.rendering import render_clause
from app.errors import Redisplay, put_on_form, redisplay
from app.exceptions import DomainError
from app.extensions import limiter
from app.models import Policy

bp = Blueprint("consultations", __name__)
POST_LIMIT = "30 per minute"


def _refuse_bad_token(form: FlaskForm) -> None:
    """A form without its CSRF token is a bad request, not a field to correct."""
    if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
        abort(400)


def _read(file: FileStorage, limit: int) -> bytes:
    try:
        return file.read(limit + 1)
    finally:
        file.close()  # large uploads are spooled to a temporary file: release it now


# --- a new consultation -----------------------------------------------------------------------------------


def _new_page(
    form: NewConsultationForm,
    preview: Document | None = None,
    notes: list[str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    sections = (
        [(s, [(c.number, render_clause(c.markdown)) for c in s.clauses]) for s in preview.sections]
        if preview is not None
        else None
    )
    return (
        render_template(
            "consultations/new.html", form=form, preview=sections, document=preview, notes=notes or []
        ),
        status,
    )


@bp.route("/consultations/new", methods=["GET", "POST"])
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def new() -> ResponseReturnValue:
    """Describe a consultation and give its first draft; preview it; then create it (a working version)."""
    form = NewConsultationForm()
    if request.method == "GET":
        return _new_page(form)
    if not form.validate_on_submit():
        _refuse_bad_token(form)
        return _new_page(form, status=422)

    def show_again(error: DomainError) -> ResponseReturnValue:
        put_on_form(form, error)
        form.previewed.data = ""
        return _new_page(form, status=422)

    redisplay(show_again)
    details = services.check_details(
        form.title.data,
        form.summary.data,
        form.agency.data,
        form.contact_name.data,
        form.contact_email.data,
        form.why.data,
        form.next_steps.data,
    )
    label = services.check_label(form.label.data)
    opens, closes = from_nz_time(form.comments_open.data), from_nz_time(form.comments_close.data)
    services.check_period(opens, closes)
    notes: list[str] = []
    upload = form.draft_file.data
    uploaded = isinstance(upload, FileStorage) and bool(upload.filename)
    if isinstance(upload, FileStorage) and upload.filename:
        data = _read(upload, MAX_DRAFT_BYTES)
        if len(data) > MAX_DRAFT_BYTES:
            raise services.ConsultationError(_("The file is larger than 2 MB."), "draft_file")
        text, notes = services.read_upload(data, upload.filename)
        form.draft_text.data = services.body_of(text)  # shown, editable, and what "Create" will save
    source = services.draft_source(details, label, opens, closes, form.draft_text.data or "")
    digest = text_hash(source)
    if form.create.data and not uploaded and form.previewed.data == digest:
        version = services.create_consultation(
            current_session(), current_drafter(), details, label, opens, closes, form.draft_text.data or ""
        )
        flash(
            _(
                "“%(title)s” is created with its first draft, “%(label)s”, as a working version. Check it, then publish it.",
                title=version.policy.title,
                label=version.label,
            ),
            "success",
        )
        return redirect(
            url_for("drafting.workspace", policy_slug=version.policy.slug, version_slug=version.slug), 303
        )
    document = services.parse_first_draft(source)
    form.previewed.data = digest
    if form.create.data:
        notes = [_("The draft changed since its preview: check the preview below, then create it."), *notes]
    return _new_page(form, preview=document, notes=notes)


# --- describing it and its documents ------------------------------------------------------------------------


def _show_again(form: FlaskForm, page: Callable[[], ResponseReturnValue]) -> Redisplay:
    """On a refusal, put its message on the field it names in `form` and show `page()` again."""

    def show(error: DomainError) -> ResponseReturnValue:
        put_on_form(form, error)
        return page()

    return show


def _describe_page(
    policy: Policy,
    form: DescribeForm | None = None,
    document_form: DocumentForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    if form is None:
        form = DescribeForm(obj=policy)
    return (
        render_template(
            "consultations/describe.html",
            policy=policy,
            form=form,
            document_form=document_form or DocumentForm(prefix="doc"),
            remove_form=RemoveForm(),
        ),
        status,
    )


@bp.route("/policies/<policy_slug>/describe", methods=["GET", "POST"])
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def describe(policy_slug: str) -> ResponseReturnValue:
    policy = get_policy_or_404(policy_slug)
    if request.method == "GET":
        return _describe_page(policy)
    form = DescribeForm()
    if not form.validate_on_submit():
        _refuse_bad_token(form)
        return _describe_page(policy, form, status=422)
    redisplay(_show_again(form, lambda: _describe_page(policy, form, status=422)))
    details = services.check_details(
        form.title.data,
        form.summary.data,
        form.agency.data,
        form.contact_name.data,
        form.contact_email.data,
        form.why.data,
        form.next_steps.data,
    )
    services.describe_consultation(current_session(), current_drafter(), policy, details)
    flash(_("The description is saved."), "success")
    return redirect(url_for("drafts.policy", policy_slug=policy.slug), 303)


@bp.post("/policies/<policy_slug>/documents")
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def add_document(policy_slug: str) -> ResponseReturnValue:
    policy = get_policy_or_404(policy_slug)
    form = DocumentForm(prefix="doc")
    if not form.validate_on_submit():
        _refuse_bad_token(form)
        return _describe_page(policy, document_form=form, status=422)
    redisplay(_show_again(form, lambda: _describe_page(policy, document_form=form, status=422)))
    upload = form.file.data
    session, actor = current_session(), current_drafter()
    if isinstance(upload, FileStorage) and upload.filename:
        data = _read(upload, services.MAX_DOCUMENT_BYTES)
        services.add_file(session, actor, policy, form.title.data, upload.filename, data)
    else:
        services.add_link(session, actor, policy, form.title.data, form.url.data)
    flash(_("The document is added."), "success")
    return redirect(url_for("consultations.describe", policy_slug=policy.slug, _anchor="documents"), 303)


@bp.post("/policies/<policy_slug>/documents/<int:document_id>/remove")
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def remove_document(policy_slug: str, document_id: int) -> ResponseReturnValue:
    policy = get_policy_or_404(policy_slug)
    document = get_document_or_404(policy, document_id)
    if not RemoveForm().validate_on_submit():
        abort(400)
    services.remove_document(current_session(), current_drafter(), document)
    flash(_("The document is removed."), "success")
    return redirect(url_for("consultations.describe", policy_slug=policy.slug, _anchor="documents"), 303)


@bp.get("/policies/<policy_slug>/documents/<int:document_id>")
def document(policy_slug: str, document_id: int) -> Response:
    """Download an uploaded supporting document: always as an attachment, never rendered by the browser."""
    policy = get_policy_or_404(policy_slug)
    found = get_document_or_404(policy, document_id)
    if not found.is_file or found.content is None:
        abort(404)  # a link is followed from the policy page, not through here
    if not any(v.is_public for v in policy.versions) and not can_see_working():
        abort(404)
    response = Response(found.content, content_type=found.media_type or "application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{found.filename or "document"}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.post("/drafting/<policy_slug>/<version_slug>/keep-open")
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def keep_open(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """Leave a published version's period open after a later version supersedes it (or stop doing so)."""
    version = get_version_or_404(policy_slug, version_slug)
    form = KeepOpenForm()
    if not form.validate_on_submit():
        abort(400)
    services.keep_open_when_superseded(current_session(), current_drafter(), version, bool(form.keep.data))
    flash(
        _("“%(label)s” keeps taking comments in its period after it is replaced.", label=version.label)
        if form.keep.data
        else _("“%(label)s” stops taking comments once it is replaced.", label=version.label),
        "success",
    )
    return redirect(url_for("drafting.workspace", policy_slug=policy_slug, version_slug=version_slug), 303)
