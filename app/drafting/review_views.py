"""Publish with review: ask, review the compare, approve, confirm, publish; and the policy's sign-off setting."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.access import drafter_required, get_policy_or_404, roles_required
from app.boundary import after_commit, current_session
from app.diffing import services as diffing_services
from app.drafting import publication, services
from app.drafting.access import current_drafter
from app.drafting.forms import ActionForm, ApproveForm, SignoffsForm
from app.drafting.views import bp, get_drafting_version_or_404, problem_page
from app.errors import redisplay
from app.extensions import limiter
from app.models import Role, Version
from app.pdf import prerender_after_commit
from app.responses import services as response_services

admins_only = roles_required(Role.ADMIN)


def _workspace_url(version: Version) -> str:
    return url_for("drafting.workspace", policy_slug=version.policy.slug, version_slug=version.slug)


@bp.post("/<policy_slug>/<version_slug>/request-publication")
@drafter_required
@limiter.limit("20 per minute", methods=["POST"])
def request_publication(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    redisplay(problem_page(version))
    publication.request_publication(current_session(), version, current_drafter())
    flash(_("Publication requested. Another drafter or an admin can now review and approve it."), "success")
    return redirect(_workspace_url(version), 303)


@bp.post("/<policy_slug>/<version_slug>/withdraw-request")
@drafter_required
@limiter.limit("20 per minute", methods=["POST"])
def withdraw_request(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    redisplay(problem_page(version))
    publication.withdraw_request(current_session(), version, current_drafter())
    flash(_("The publication request was withdrawn."), "success")
    return redirect(_workspace_url(version), 303)


def _compare_context(version: Version) -> dict[str, object]:
    """The compare of a working version against the version it started from (nothing when it has none)."""
    parent = version.parent
    if parent is None:
        return {"old": None, "view": None}
    session = current_session()
    return {
        "old": parent,
        "new": version,
        "policy": version.policy,
        "view": diffing_services.compare_versions(
            session, parent, version, current_app.config.get("REDIS_URL")
        ),
        "notes": response_services.responses_by_clause(session, parent, version),
        "mode": "inline",
        "show_all": False,
        "show_unchanged": False,
    }


@bp.get("/<policy_slug>/<version_slug>/review")
@drafter_required
def review_publication(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """The reviewer's page: what changed since the previous version, and the approve button."""
    version = get_drafting_version_or_404(policy_slug, version_slug)
    redisplay(problem_page(version))
    services.ensure_working(version)
    session = current_session()
    state = publication.review_state(session, version)
    return render_template(
        "drafting/review.html",
        version=version,
        state=state,
        me=current_drafter(),
        approve_form=ApproveForm(data={"revision": version.revision}),
        **_compare_context(version),
    )


@bp.post("/<policy_slug>/<version_slug>/approve")
@drafter_required
@limiter.limit("20 per minute", methods=["POST"])
def approve(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_drafting_version_or_404(policy_slug, version_slug)
    form = ApproveForm()
    if not form.validate_on_submit():
        abort(400)
    redisplay(problem_page(version))
    publication.approve_publication(current_session(), version, current_drafter(), form.revision.data or 0)
    flash(_("You approved the publication of “%(label)s”.", label=version.label), "success")
    return redirect(_workspace_url(version), 303)


@bp.route("/<policy_slug>/<version_slug>/publish", methods=["GET", "POST"])
@drafter_required
@limiter.limit("20 per minute", methods=["POST"])
def publish(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """GET: the confirmation page (what becomes public, for good); POST: publish once the sign-offs are there."""
    version = get_drafting_version_or_404(policy_slug, version_slug)
    redisplay(problem_page(version))
    session = current_session()
    form = ActionForm()
    if not form.validate_on_submit():
        services.ensure_working(version)
        errors = services.publish_errors(session, version)
        return render_template(
            "drafting/publish.html",
            version=version,
            form=form,
            errors=errors,
            state=publication.review_state(session, version),
            summary=publication.publication_summary(session, version) if not errors else None,
        )
    report = publication.publish_reviewed(session, version, current_drafter())
    # Render the new PDFs only once the publish is durable (the queue's workers read the committed rows).
    after_commit(lambda: prerender_after_commit(current_session(), policy_slug))
    message = _("“%(label)s” is published.", label=version.label)
    if report is not None and report.total:
        message += " " + _(
            "%(total)d earlier comments were carried forward; %(review)d need a drafter to place them.",
            total=report.total,
            review=report.by_status.get("needs_review", 0),
        )
    flash(message, "success")
    return redirect(_workspace_url(version), 303)


@bp.post("/<policy_slug>/signoffs")
@admins_only
@limiter.limit("20 per minute", methods=["POST"])
def signoffs(policy_slug: str) -> ResponseReturnValue:
    """An admin sets how many people sign a publication of this policy off."""
    policy = get_policy_or_404(policy_slug)
    form = SignoffsForm()
    if not form.validate_on_submit():
        abort(400)
    redisplay(problem_page(None))
    publication.set_signoffs(current_session(), policy, int(form.signoffs.data or 0), current_drafter())
    flash(_("Saved: who signs a publication of this policy off."), "success")
    return redirect(url_for("drafting.index", _anchor=f"p-{policy.slug}"), 303)
