"""The drafters' workspace: list policies, start, edit, upload, publish and finalise versions."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.access import roles_required
from app.diffing import services as diff_services
from app.drafting import services
from app.drafting.forms import (
    ActionForm,
    DetailsForm,
    PlacementForm,
    SectionForm,
    StartVersionForm,
    UploadForm,
)
from app.drafts import services as draft_services
from app.drafts.parsing import MAX_DRAFT_BYTES, NZ, DraftParseError
from app.extensions import db, limiter
from app.models import CommentPlacement, Policy, Role, Version, VersionStatus
from app.pdf import prerender_after_commit

bp = Blueprint("drafting", __name__, url_prefix="/drafting")
drafter_required = roles_required(Role.DRAFTER)
POST_LIMIT = "60 per minute"


def get_policy_or_404(policy_slug: str) -> Policy:
    policy = draft_services.get_policy(db.session, policy_slug)
    if policy is None:
        abort(404)
    return policy


def get_version_or_404(policy_slug: str, version_slug: str) -> Version:
    """Load a version of a policy for a drafter (any status)."""
    version = draft_services.get_version(db.session, get_policy_or_404(policy_slug), version_slug)
    if version is None:
        abort(404)
    return version


@bp.errorhandler(services.DraftingError)
def drafting_error(error: services.DraftingError) -> ResponseReturnValue:
    """Every refused drafting action: a clear message, the right status, nothing stored."""
    db.session.rollback()
    version = getattr(request, "drafting_version", None)
    return render_template(
        "drafting/problem.html",
        message=error.message,
        errors=getattr(error, "errors", []),
        locked=isinstance(error, services.VersionLockedError),
        version=version,
        start_form=StartVersionForm(),
    ), error.status


def _remember(version: Version) -> Version:
    request.drafting_version = version  # type: ignore[attr-defined]
    return version


def _nz(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(tzinfo=NZ).astimezone(dt.UTC) if moment is not None else None


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(NZ).replace(tzinfo=None) if moment is not None else None


# --- the list of policies -------------------------------------------------------------------------


@bp.get("/")
@drafter_required
def index() -> ResponseReturnValue:
    policies = draft_services.list_policies(db.session)
    rows = [
        (policy, services.latest_published(db.session, policy), services.working_versions(db.session, policy))
        for policy in policies
    ]
    return render_template("drafting/index.html", rows=rows, start_form=StartVersionForm())


@bp.post("/<policy_slug>/start")
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def start(policy_slug: str) -> ResponseReturnValue:
    policy = get_policy_or_404(policy_slug)
    form = StartVersionForm()
    if not form.validate_on_submit():
        abort(400)
    version = services.start_working_version(db.session, policy, form.label.data or "", current_user)
    db.session.commit()
    flash(_("Started “%(label)s”. Edit its sections, then publish it.", label=version.label), "success")
    return redirect(url_for("drafting.workspace", policy_slug=policy.slug, version_slug=version.slug), 303)


# --- one version ----------------------------------------------------------------------------------


def _details_form(version: Version) -> DetailsForm:
    return DetailsForm(
        data={
            "label": version.label,
            "change_note": version.change_note,
            "comments_open": _local(version.comments_open_at),
            "comments_close": _local(version.comments_close_at),
            "revision": version.revision,
        }
    )


def _workspace(version: Version, status: int = 200, **extra: object) -> ResponseReturnValue:
    sections = []
    if version.status == VersionStatus.WORKING.value:
        try:
            sections = services.section_sources(db.session, version)
        except DraftParseError:
            sections = []  # the publish box lists the error; an upload fixes it
    review = (
        len(diff_services.placements_to_review(db.session, version)) if version.status != "working" else 0
    )
    context = {
        "version": version,
        "policy": version.policy,
        "sections": sections,
        "details_form": _details_form(version),
        "upload_form": UploadForm(data={"revision": version.revision}),
        "action_form": ActionForm(),
        "start_form": StartVersionForm(),
        "publish_errors": services.publish_errors(db.session, version) if version.status == "working" else [],
        "review_count": review,
        "upload_error": None,
        "details_errors": [],
    }
    context.update(extra)
    return render_template("drafting/workspace.html", **context), status


@bp.get("/<policy_slug>/<version_slug>")
@drafter_required
def workspace(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    return _workspace(_remember(get_version_or_404(policy_slug, version_slug)))


@bp.route("/<policy_slug>/<version_slug>/sections/<section_key>", methods=["GET", "POST"])
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def edit_section(policy_slug: str, version_slug: str, section_key: str) -> ResponseReturnValue:
    version = _remember(get_version_or_404(policy_slug, version_slug))
    if version.status != VersionStatus.WORKING.value:
        raise services.VersionLockedError(
            _(
                "“%(label)s” is published and can no longer be changed. Start a new version to make changes.",
                label=version.label,
            )
        )
    current = services.get_section_source(db.session, version, section_key)
    if request.method == "GET":
        if current is None:
            abort(404)
        form = SectionForm(
            data={"text": current.text, "revision": version.revision, "text_hash": current.hash}
        )
        return _edit_page(version, section_key, form)
    form = SectionForm()
    if not form.validate_on_submit():
        abort(400)
    text = form.text.data or ""
    try:
        if form.preview.data:
            preview = services.preview_section(db.session, version, section_key, text)
            return _edit_page(version, section_key, form, preview=preview)
        services.save_section(
            db.session,
            version,
            section_key,
            text,
            form.revision.data or 0,
            form.text_hash.data or "",
            current_user,
        )
    except services.SourceError as error:
        db.session.rollback()
        return _edit_page(version, section_key, form, error=error, status=422)
    except services.EditConflictError as error:
        db.session.rollback()
        form.revision.data = error.revision
        form.text_hash.data = error.text_hash
        return _edit_page(version, section_key, form, conflict=error, status=409)
    db.session.commit()
    flash(_("Section saved."), "success")
    return redirect(
        url_for(
            "drafting.workspace",
            policy_slug=policy_slug,
            version_slug=version_slug,
            _anchor=f"s-{section_key}",
        ),
        303,
    )


def _edit_page(
    version: Version,
    section_key: str,
    form: SectionForm,
    preview: list[tuple[str, str]] | None = None,
    error: services.SourceError | None = None,
    conflict: services.EditConflictError | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "drafting/section.html",
        version=version,
        section_key=section_key,
        form=form,
        preview=preview,
        error=error,
        conflict=conflict,
    ), status


@bp.post("/<policy_slug>/<version_slug>/preview")
@drafter_required
@limiter.limit("120 per minute", methods=["POST"])
def live_preview(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """The live preview drafting.js asks for: an HTML fragment of the rendered section, or its error."""
    version = _remember(get_version_or_404(policy_slug, version_slug))
    services.ensure_working(version)
    form = SectionForm()
    section_key = request.form.get("section_key", "")
    try:
        preview = services.preview_section(db.session, version, section_key, form.text.data or "")
    except services.SourceError as error:
        return render_template("drafting/_preview.html", preview=None, error=error), 422
    return render_template("drafting/_preview.html", preview=preview, error=None)


@bp.post("/<policy_slug>/<version_slug>/upload")
@drafter_required
@limiter.limit("20 per minute", methods=["POST"])
def upload(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = _remember(get_version_or_404(policy_slug, version_slug))
    services.ensure_working(version)
    form = UploadForm()
    if not form.validate_on_submit():
        abort(400)
    file = form.file.data
    if file is None or not getattr(file, "filename", ""):
        return _workspace(version, 422, upload_error=_("Choose a Markdown file to upload."))
    try:
        data = file.read(MAX_DRAFT_BYTES + 1)
    finally:
        file.close()  # large uploads are spooled to a temporary file: release it now
    try:
        services.upload_source(db.session, version, data, form.revision.data or 0, current_user)
    except services.SourceError as error:
        db.session.rollback()
        where = _("Line %(line)d: ", line=error.line) if error.line else ""
        return _workspace(version, 422, upload_error=where + error.message)
    except services.EditConflictError as error:
        db.session.rollback()
        return _workspace(version, 409, upload_error=error.message)
    db.session.commit()
    flash(_("The file was uploaded and the version replaced."), "success")
    return redirect(url_for("drafting.workspace", policy_slug=policy_slug, version_slug=version_slug), 303)


@bp.post("/<policy_slug>/<version_slug>/details")
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def details(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = _remember(get_version_or_404(policy_slug, version_slug))
    services.ensure_working(version)
    form = DetailsForm()
    if not form.validate_on_submit():
        errors = [
            f"{form[name].label.text}: {' '.join(map(str, msgs))}" for name, msgs in form.errors.items()
        ]
        return _workspace(version, 422, details_errors=errors)
    try:
        services.update_details(
            db.session,
            version,
            form.label.data or "",
            form.change_note.data or "",
            _nz(form.comments_open.data),
            _nz(form.comments_close.data),
            form.revision.data or 0,
            current_user,
        )
    except services.DraftingError as error:
        db.session.rollback()
        return _workspace(
            version, error.status if error.status != 400 else 422, details_errors=[error.message]
        )
    db.session.commit()
    flash(_("Details saved."), "success")
    return redirect(url_for("drafting.workspace", policy_slug=policy_slug, version_slug=version.slug), 303)


@bp.post("/<policy_slug>/<version_slug>/publish")
@drafter_required
@limiter.limit("20 per minute", methods=["POST"])
def publish(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = _remember(get_version_or_404(policy_slug, version_slug))
    if not ActionForm().validate_on_submit():
        abort(400)
    report = services.publish_version(db.session, version, current_user)
    db.session.commit()
    prerender_after_commit(db.session, policy_slug)
    message = _("“%(label)s” is published.", label=version.label)
    if report is not None and report.total:
        review = report.by_status.get("needs_review", 0)
        message += " " + _(
            "%(total)d earlier comments were carried forward; %(review)d need a drafter to place them.",
            total=report.total,
            review=review,
        )
    flash(message, "success")
    return redirect(url_for("drafting.workspace", policy_slug=policy_slug, version_slug=version_slug), 303)


@bp.post("/<policy_slug>/<version_slug>/final")
@drafter_required
@limiter.limit("20 per minute", methods=["POST"])
def mark_final(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = _remember(get_version_or_404(policy_slug, version_slug))
    if not ActionForm().validate_on_submit():
        abort(400)
    services.mark_final(db.session, version, current_user)
    db.session.commit()
    flash(_("“%(label)s” is now the final version.", label=version.label), "success")
    return redirect(url_for("drafting.workspace", policy_slug=policy_slug, version_slug=version_slug), 303)


# --- placements to confirm --------------------------------------------------------------------------


def _placement_form(version_clauses: list[SelectChoice], item: diff_services.ReviewItem) -> PlacementForm:
    form = PlacementForm(prefix=f"p{item.placement.id}")
    form.clause_key.choices = version_clauses
    if not form.is_submitted():
        form.clause_key.data = item.placement.clause_key
        form.quote.data = item.comment.quote_exact or ""
    return form


def _clause_choices(version: Version) -> list[SelectChoice]:
    page = draft_services.version_page(db.session, version)
    return [
        SelectChoice(c.key, f"{c.number} — {' '.join(c.text.split()[:10])}…")
        for s in page.sections
        for c in s.clauses
    ]


@bp.get("/<policy_slug>/<version_slug>/placements")
@drafter_required
def placements(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = _remember(get_version_or_404(policy_slug, version_slug))
    return _placements_page(version)


def _placements_page(
    version: Version, failed: int | None = None, message: str | None = None, status: int = 200
) -> ResponseReturnValue:
    items = diff_services.placements_to_review(db.session, version)
    choices = _clause_choices(version)
    forms = {item.placement.id: _placement_form(choices, item) for item in items}
    return render_template(
        "drafting/placements.html",
        version=version,
        items=items,
        forms=forms,
        failed=failed,
        message=message,
    ), status


@bp.post("/<policy_slug>/<version_slug>/placements/<int:placement_id>")
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def place(policy_slug: str, version_slug: str, placement_id: int) -> ResponseReturnValue:
    version = _remember(get_version_or_404(policy_slug, version_slug))
    placement = db.session.get(CommentPlacement, placement_id)
    if placement is None or placement.version_id != version.id:
        abort(404)
    form = PlacementForm(prefix=f"p{placement_id}")
    form.clause_key.choices = _clause_choices(version)
    if not form.validate_on_submit():
        abort(400)
    clause_key = None if form.where.data == "removed" else (form.clause_key.data or "")
    try:
        diff_services.replace_comment(db.session, placement, current_user, clause_key, form.quote.data or "")
    except diff_services.PlacementError as error:
        db.session.rollback()
        return _placements_page(version, placement_id, error.message, 422)
    db.session.commit()
    flash(_("The comment was placed."), "success")
    return redirect(url_for("drafting.placements", policy_slug=policy_slug, version_slug=version_slug), 303)
