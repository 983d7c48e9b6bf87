"""The workspace's structure editor: add, rename, move and delete sections and clauses; keys stay out of sight.

Every action names its section or clause by key in the URL, so a drafter never types one, and the services keep
each key where it was. A refusal shows the same page again with the message (422); nothing is half-written.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from app.access import drafter_required
from app.boundary import current_session
from app.drafting import services
from app.drafting.access import current_drafter
from app.drafting.forms import (
    ActionForm,
    AddClauseForm,
    AddSectionForm,
    ClauseForm,
    MoveForm,
    RenameSectionForm,
)
from app.drafting.views import POST_LIMIT, _workspace, bp, get_drafting_version_or_404, problem_page
from app.errors import Redisplay, redisplay
from app.exceptions import DomainError
from app.extensions import limiter
from app.models import Version

OFFSETS = {"up": -1, "down": 1}


def section_choices(sections: list[services.SectionSource]) -> list[SelectChoice]:
    """Where a new section may go: at the end, or after any section."""
    return [SelectChoice("", _("At the end"))] + [
        SelectChoice(s.key, _("After %(number)s. %(heading)s", number=s.number, heading=s.heading))
        for s in sections
    ]


def _to_workspace(version: Version, anchor: str | None = None) -> ResponseReturnValue:
    return redirect(
        url_for(
            "drafting.workspace",
            policy_slug=version.policy.slug,
            version_slug=version.slug,
            _anchor=anchor,
        ),
        303,
    )


def _workspace_refused(version: Version) -> Redisplay:
    def render(error: DomainError) -> ResponseReturnValue:
        if isinstance(error, services.VersionLockedError):
            return problem_page(version)(error)
        return _workspace(version, 422, structure_errors=[error.message])

    return render


@bp.post("/<policy_slug>/<version_slug>/sections/new")
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def add_section(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    form = AddSectionForm()
    if not form.validate_on_submit():
        abort(400)
    redisplay(_workspace_refused(version))
    key = services.add_section(
        current_session(),
        version,
        form.heading.data or "",
        form.text.data or "",
        form.after.data or None,
        current_drafter(),
    )
    flash(_("Section added."), "success")
    return _to_workspace(version, f"s-{key}")


@bp.post("/<policy_slug>/<version_slug>/sections/<section_key>/rename")
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def rename_section(policy_slug: str, version_slug: str, section_key: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    form = RenameSectionForm()
    if not form.validate_on_submit():
        abort(400)
    redisplay(_clauses_refused(version, section_key))
    services.rename_section(
        current_session(), version, section_key, form.heading.data or "", current_drafter()
    )
    flash(_("Section renamed."), "success")
    return redirect(_clauses_url(version, section_key), 303)


@bp.post("/<policy_slug>/<version_slug>/sections/<section_key>/move")
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def move_section(policy_slug: str, version_slug: str, section_key: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    redisplay(_workspace_refused(version))
    services.move_section(
        current_session(), version, section_key, OFFSETS[form.direction.data], current_drafter()
    )
    flash(_("Section moved."), "success")
    return _to_workspace(version, f"s-{section_key}")


def _confirm_page(version: Version, what: str, body: str, action: str, cancel: str) -> ResponseReturnValue:
    return render_template(
        "drafting/confirm.html",
        version=version,
        what=what,
        body=body,
        action=action,
        cancel=cancel,
        form=ActionForm(),
    )


@bp.route("/<policy_slug>/<version_slug>/sections/<section_key>/delete", methods=["GET", "POST"])
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def delete_section(policy_slug: str, version_slug: str, section_key: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    redisplay(problem_page(version))
    services.ensure_working(version)
    session = current_session()
    current = services.get_section_source(session, version, section_key)
    if current is None:
        abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        return _confirm_page(
            version,
            _("Delete section %(number)s. %(heading)s?", number=current.number, heading=current.heading),
            _(
                "Its %(num)d clauses go with it. Comments on them stay with the earlier versions and are "
                "carried forward as “text removed” when this version is published.",
                num=current.clause_count,
            ),
            url_for(
                "drafting.delete_section",
                policy_slug=policy_slug,
                version_slug=version_slug,
                section_key=section_key,
            ),
            url_for("drafting.workspace", policy_slug=policy_slug, version_slug=version_slug),
        )
    redisplay(_workspace_refused(version))
    services.delete_section(session, version, section_key, current_drafter())
    flash(_("Section deleted."), "success")
    return _to_workspace(version)


# --- the clauses of one section -------------------------------------------------------------------


def _clauses_url(version: Version, section_key: str) -> str:
    return url_for(
        "drafting.clauses",
        policy_slug=version.policy.slug,
        version_slug=version.slug,
        section_key=section_key,
    )


def _clauses_page(
    version: Version,
    section_key: str,
    status: int = 200,
    error: DomainError | None = None,
    failed: str | None = None,
    sent: str | None = None,
) -> ResponseReturnValue:
    session = current_session()
    services.ensure_working(version)
    current = services.get_section_source(session, version, section_key)
    clauses = services.clause_texts(session, version, section_key) if current is not None else None
    if current is None or clauses is None:
        abort(404)
    forms = {}
    for key, _number, markdown in clauses:
        form = ClauseForm(prefix=f"c-{key}", data={"text": markdown})
        if failed == key and sent is not None:
            form.text.data = sent
        forms[key] = form
    rename = RenameSectionForm(data={"heading": current.heading})
    if failed == "heading" and sent is not None:
        rename.heading.data = sent
    add = AddClauseForm()
    if failed == "new" and sent is not None:
        add.text.data = sent
    return render_template(
        "drafting/clauses.html",
        version=version,
        section=current,
        clauses=clauses,
        forms=forms,
        rename_form=rename,
        add_form=add,
        move_form=MoveForm(),
        error=error,
        failed=failed,
    ), status


def _clauses_refused(
    version: Version, section_key: str, failed: str = "heading", sent: str | None = None
) -> Redisplay:
    def render(error: DomainError) -> ResponseReturnValue:
        if isinstance(error, services.VersionLockedError):
            return problem_page(version)(error)
        return _clauses_page(version, section_key, 422, error, failed, sent)

    return render


@bp.get("/<policy_slug>/<version_slug>/sections/<section_key>/clauses")
@drafter_required
def clauses(policy_slug: str, version_slug: str, section_key: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    redisplay(problem_page(version))
    return _clauses_page(version, section_key)


@bp.post("/<policy_slug>/<version_slug>/sections/<section_key>/clauses/new")
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def add_clause(policy_slug: str, version_slug: str, section_key: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    form = AddClauseForm()
    if not form.validate_on_submit():
        abort(400)
    redisplay(_clauses_refused(version, section_key, "new", form.text.data or ""))
    key = services.add_clause(
        current_session(),
        version,
        section_key,
        form.text.data or "",
        form.after.data or None,
        current_drafter(),
    )
    flash(_("Clause added."), "success")
    return redirect(_clauses_url(version, section_key) + f"#c-{key}", 303)


def _clause_section(version: Version, clause_key: str) -> str:
    """The key of the section holding a clause of a working version (404 when there is none)."""
    section_key = services.section_of_clause(current_session(), version, clause_key)
    if section_key is None:
        abort(404)
    return section_key


@bp.post("/<policy_slug>/<version_slug>/clauses/<clause_key>/reword")
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def reword_clause(policy_slug: str, version_slug: str, clause_key: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    redisplay(problem_page(version))
    services.ensure_working(version)
    section_key = _clause_section(version, clause_key)
    form = ClauseForm(prefix=f"c-{clause_key}")
    if not form.validate_on_submit():
        abort(400)
    redisplay(_clauses_refused(version, section_key, clause_key, form.text.data or ""))
    services.reword_clause(current_session(), version, clause_key, form.text.data or "", current_drafter())
    flash(_("Clause saved."), "success")
    return redirect(_clauses_url(version, section_key) + f"#c-{clause_key}", 303)


@bp.post("/<policy_slug>/<version_slug>/clauses/<clause_key>/move")
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def move_clause(policy_slug: str, version_slug: str, clause_key: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    redisplay(problem_page(version))
    services.ensure_working(version)
    section_key = _clause_section(version, clause_key)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    redisplay(_clauses_refused(version, section_key))
    services.move_clause(
        current_session(), version, clause_key, OFFSETS[form.direction.data], current_drafter()
    )
    flash(_("Clause moved."), "success")
    return redirect(_clauses_url(version, section_key) + f"#c-{clause_key}", 303)


@bp.route("/<policy_slug>/<version_slug>/clauses/<clause_key>/delete", methods=["GET", "POST"])
@drafter_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def delete_clause(policy_slug: str, version_slug: str, clause_key: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    redisplay(problem_page(version))
    services.ensure_working(version)
    section_key = _clause_section(version, clause_key)
    texts = services.clause_texts(current_session(), version, section_key) or []
    number, markdown = next((n, m) for k, n, m in texts if k == clause_key)
    form = ActionForm()
    if not form.validate_on_submit():
        return _confirm_page(
            version,
            _("Delete clause %(number)s?", number=number),
            markdown,
            url_for(
                "drafting.delete_clause",
                policy_slug=policy_slug,
                version_slug=version_slug,
                clause_key=clause_key,
            ),
            _clauses_url(version, section_key),
        )
    redisplay(_clauses_refused(version, section_key))
    services.delete_clause(current_session(), version, clause_key, current_drafter())
    flash(_("Clause deleted."), "success")
    return redirect(_clauses_url(version, section_key), 303)


@bp.route("/<policy_slug>/<version_slug>/discard", methods=["GET", "POST"])
@drafter_required
@limiter.limit("20 per minute", methods=["POST"])
def discard(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    redisplay(problem_page(version))
    services.ensure_working(version)
    form = ActionForm()
    if not form.validate_on_submit():
        return _confirm_page(
            version,
            _("Discard “%(label)s”?", label=version.label),
            _(
                "The working version and every change in it are deleted. Nobody outside the drafting team ever "
                "saw it. This cannot be undone."
            ),
            url_for("drafting.discard", policy_slug=policy_slug, version_slug=version_slug),
            url_for("drafting.workspace", policy_slug=policy_slug, version_slug=version_slug),
        )
    label = version.label
    services.discard_working_version(current_session(), version, current_drafter())
    flash(_("“%(label)s” was discarded.", label=label), "success")
    return redirect(url_for("drafting.index"), 303)
