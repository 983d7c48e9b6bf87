"""The drafters' workspace: list policies, start, edit, upload, publish and finalise versions.

A refused action is a `DraftingError` (an `app.exceptions` domain error): the request boundary rolls it back and
the page each view registers with `redisplay` shows it — its own form again for bad source (422) or an edit
conflict (409), else the drafting problem page with the way back to the version.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from app.access import drafter_required, get_policy_or_404, get_version_or_404
from app.boundary import current_session
from app.diffing.engine import word_diff
from app.drafting import publication, services
from app.drafting.access import current_drafter
from app.drafting.forms import (
    ActionForm,
    AddSectionForm,
    DetailsForm,
    MoveForm,
    PlacementForm,
    SectionForm,
    StartVersionForm,
    UploadForm,
)
from app.drafts import services as draft_services
from app.drafts.parsing import MAX_DRAFT_BYTES
from app.errors import Redisplay, redisplay
from app.exceptions import DomainError
from app.extensions import limiter
from app.models import Version, VersionStatus
from app.placements import review

bp = Blueprint("drafting", __name__, url_prefix="/drafting")
POST_LIMIT = "60 per minute"


def get_drafting_version_or_404(policy_slug: str, version_slug: str) -> Version:
    """A version of a policy for a drafter, whatever its status."""
    return get_version_or_404(policy_slug, version_slug, include_working=True)


def problem_page(version: Version | None) -> Redisplay:
    """Show a refused action on the drafting problem page, with the way back to `version`."""

    def render(error: DomainError) -> ResponseReturnValue:
        return render_template(services.DraftingError.template, error=error, version=version)

    return render


# --- the list of policies -------------------------------------------------------------------------


@bp.get("/")
@drafter_required
def index() -> ResponseReturnValue:
    session = current_session()
    rows = [
        (policy, services.latest_published(session, policy), services.working_versions(session, policy))
        for policy in draft_services.list_policies(session)
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
    redisplay(problem_page(None))
    version = services.start_working_version(
        current_session(), policy, form.label.data or "", current_drafter()
    )
    flash(_("Started “%(label)s”. Edit its sections, then publish it.", label=version.label), "success")
    return redirect(url_for("drafting.workspace", policy_slug=policy.slug, version_slug=version.slug), 303)


# --- one version ----------------------------------------------------------------------------------


def _details_form(version: Version) -> DetailsForm:
    return DetailsForm(
        data={
            "label": version.label,
            "change_note": version.change_note,
            "comments_open": services.to_nz_time(version.comments_open_at),
            "comments_close": services.to_nz_time(version.comments_close_at),
            "revision": version.revision,
        }
    )


def _add_section_form(version: Version) -> AddSectionForm:
    from app.drafting.outline_views import section_choices

    form = AddSectionForm()
    form.after.choices = section_choices(services.editable_sections(current_session(), version))
    return form


def _workspace(version: Version, status: int = 200, **extra: object) -> ResponseReturnValue:
    session = current_session()
    is_working = version.status == VersionStatus.WORKING.value
    context = {
        "version": version,
        "policy": version.policy,
        "sections": services.editable_sections(session, version),
        "details_form": _details_form(version),
        "upload_form": UploadForm(data={"revision": version.revision}),
        "action_form": ActionForm(),
        "start_form": StartVersionForm(),
        "publish_errors": services.publish_errors(session, version) if is_working else [],
        "review_count": 0 if is_working else len(review.placements_to_review(session, version)),
        "upload_error": None,
        "details_errors": [],
        "structure_errors": [],
        "add_section_form": _add_section_form(version),
        "move_form": MoveForm(),
        "review": publication.review_state(session, version) if is_working else None,
    }
    context.update(extra)
    return render_template("drafting/workspace.html", **context), status


@bp.get("/<policy_slug>/<version_slug>")
@drafter_required
def workspace(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    return _workspace(get_drafting_version_or_404(policy_slug, version_slug))


def _edit_page(
    version: Version,
    section_key: str,
    form: SectionForm,
    preview: list[tuple[str, str]] | None = None,
    error: services.SourceError | None = None,
    conflict: services.EditConflictError | None = None,
) -> ResponseReturnValue:
    return render_template(
        "drafting/section.html",
        version=version,
        section_key=section_key,
        form=form,
        preview=preview,
        error=error,
        conflict=conflict,
        conflict_diff=word_diff(conflict.theirs, conflict.yours) if conflict and conflict.theirs else (),
        last_editor=services.last_editor(current_session(), version, section_key) if conflict else None,
    )


def _edit_refused(version: Version, section_key: str, form: SectionForm) -> Redisplay:
    """Bad source or a conflict: the edit page again, the drafter's text kept; anything else: the problem page."""

    def render(error: DomainError) -> ResponseReturnValue:
        if isinstance(error, services.SourceError):
            return _edit_page(version, section_key, form, error=error)
        if isinstance(error, services.EditConflictError):
            form.revision.data = error.revision
            form.text_hash.data = error.text_hash
            return _edit_page(version, section_key, form, conflict=error)
        return problem_page(version)(error)

    return render


@bp.route("/<policy_slug>/<version_slug>/sections/<section_key>", methods=["GET", "POST"])
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def edit_section(policy_slug: str, version_slug: str, section_key: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    redisplay(problem_page(version))
    services.ensure_working(version)
    session = current_session()
    if request.method == "GET":
        current = services.get_section_source(session, version, section_key)
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
    redisplay(_edit_refused(version, section_key, form))
    if form.preview.data:
        preview = services.preview_section(session, version, section_key, text)
        return _edit_page(version, section_key, form, preview=preview)
    services.save_section(
        session,
        version,
        section_key,
        text,
        form.revision.data or 0,
        form.text_hash.data or "",
        current_drafter(),
    )
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


def _preview_refused(version: Version) -> Redisplay:
    """Bad source: the preview fragment with the error (422); anything else: the problem page."""

    def render(error: DomainError) -> ResponseReturnValue:
        if isinstance(error, services.SourceError):
            return render_template("drafting/_preview.html", preview=None, error=error)
        return problem_page(version)(error)

    return render


@bp.post("/<policy_slug>/<version_slug>/preview")
@drafter_required
@limiter.limit("120 per minute", methods=["POST"])
def live_preview(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """The live preview drafting.js asks for: an HTML fragment of the rendered section, or its error."""
    version = get_drafting_version_or_404(policy_slug, version_slug)
    redisplay(_preview_refused(version))
    services.ensure_working(version)
    form = SectionForm()
    section_key = request.form.get("section_key", "")
    preview = services.preview_section(current_session(), version, section_key, form.text.data or "")
    return render_template("drafting/_preview.html", preview=preview, error=None)


def _upload_refused(version: Version) -> Redisplay:
    """Bad source or a conflict: the workspace with the message by the file field; else the problem page."""

    def render(error: DomainError) -> ResponseReturnValue:
        if isinstance(error, services.SourceError):
            where = _("Line %(line)d: ", line=error.line) if error.line else ""
            return _workspace(version, upload_error=where + error.message)
        if isinstance(error, services.EditConflictError):
            return _workspace(version, upload_error=error.message)
        return problem_page(version)(error)

    return render


@bp.post("/<policy_slug>/<version_slug>/upload")
@drafter_required
@limiter.limit("20 per minute", methods=["POST"])
def upload(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    redisplay(_upload_refused(version))
    services.ensure_working(version)
    form = UploadForm()
    if not form.validate_on_submit():
        abort(400)
    file = form.file.data
    if file is None or not getattr(file, "filename", ""):
        return _workspace(version, 422, upload_error=_("Choose a Markdown or Word file to upload."))
    try:
        data = file.read(MAX_DRAFT_BYTES + 1)
    finally:
        file.close()  # large uploads are spooled to a temporary file: release it now
    services.upload_source(current_session(), version, data, form.revision.data or 0, current_drafter())
    flash(_("The file was uploaded and the version replaced."), "success")
    return redirect(url_for("drafting.workspace", policy_slug=policy_slug, version_slug=version_slug), 303)


def _details_refused(version: Version) -> Redisplay:
    """Refused details: the workspace with the message in the details box (422, or 409 for a conflict)."""

    def render(error: DomainError) -> ResponseReturnValue:
        if isinstance(error, services.VersionLockedError):
            return problem_page(version)(error)
        return _workspace(
            version, error.status if error.status != 400 else 422, details_errors=[error.message]
        )

    return render


@bp.post("/<policy_slug>/<version_slug>/details")
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def details(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    redisplay(_details_refused(version))
    services.ensure_working(version)
    form = DetailsForm()
    if not form.validate_on_submit():
        errors = [
            f"{form[name].label.text}: {' '.join(map(str, msgs))}" for name, msgs in form.errors.items()
        ]
        return _workspace(version, 422, details_errors=errors)
    services.update_details(
        current_session(),
        version,
        form.label.data or "",
        form.change_note.data or "",
        services.from_nz_time(form.comments_open.data),
        services.from_nz_time(form.comments_close.data),
        form.revision.data or 0,
        current_drafter(),
    )
    flash(_("Details saved."), "success")
    return redirect(url_for("drafting.workspace", policy_slug=policy_slug, version_slug=version.slug), 303)


@bp.post("/<policy_slug>/<version_slug>/final")
@drafter_required
@limiter.limit("20 per minute", methods=["POST"])
def mark_final(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    redisplay(problem_page(version))
    services.mark_final(current_session(), version, current_drafter())
    flash(_("“%(label)s” is now the final version.", label=version.label), "success")
    return redirect(url_for("drafting.workspace", policy_slug=policy_slug, version_slug=version_slug), 303)


# --- placements to confirm --------------------------------------------------------------------------


def _placement_form(version_clauses: list[SelectChoice], item: review.ReviewItem) -> PlacementForm:
    form = PlacementForm(prefix=f"p{item.placement.id}")
    form.clause_key.choices = version_clauses
    if not form.is_submitted():
        form.clause_key.data = item.placement.clause_key
        form.quote.data = _default_quote(item)
    return form


def _default_quote(item: review.ReviewItem) -> str:
    """A passage the form can be sent with as it is: one that is in the clause the form offers.

    The re-anchorer's candidate if it kept one; else the original words if the clause still holds them; else
    empty (the whole clause). The original words of a comment that needs placing are usually not there any more,
    so offering them made the form fail as it stood.
    """
    candidate = item.placement.quote_exact
    if candidate:
        return candidate
    original = item.comment.quote_exact or ""
    text = item.clause_text or ""
    if original and " ".join(original.split()) in " ".join(text.split()):
        return original
    return ""


def _clause_choices(version: Version) -> list[SelectChoice]:
    page = draft_services.version_page(current_session(), version)
    return [
        SelectChoice(c.key, f"{c.number} — {' '.join(c.text.split()[:10])}…")
        for s in page.sections
        for c in s.clauses
    ]


def _placements_page(
    version: Version, failed: int | None = None, message: str | None = None
) -> ResponseReturnValue:
    items = review.placements_to_review(current_session(), version)
    choices = _clause_choices(version)
    forms = {item.placement.id: _placement_form(choices, item) for item in items}
    return render_template(
        "drafting/placements.html",
        version=version,
        items=items,
        forms=forms,
        failed=failed,
        message=message,
    )


@bp.get("/<policy_slug>/<version_slug>/placements")
@drafter_required
def placements(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    return _placements_page(get_drafting_version_or_404(policy_slug, version_slug))


@bp.post("/<policy_slug>/<version_slug>/placements/<int:placement_id>")
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def place(policy_slug: str, version_slug: str, placement_id: int) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    placement = review.get_placement(current_session(), version, placement_id)
    if placement is None:
        abort(404)
    form = PlacementForm(prefix=f"p{placement_id}")
    form.clause_key.choices = _clause_choices(version)
    if not form.validate_on_submit():
        abort(400)
    redisplay(lambda error: _placements_page(version, placement_id, error.message))
    clause_key = None if form.where.data == "removed" else (form.clause_key.data or "")
    review.replace_comment(current_session(), placement, current_drafter(), clause_key, form.quote.data or "")
    flash(_("The comment was placed."), "success")
    return redirect(url_for("drafting.placements", policy_slug=policy_slug, version_slug=version_slug), 303)


# The structure editor and publish-with-review add their routes to this blueprint.
from app.drafting import outline_views, review_views  # noqa: E402, F401
