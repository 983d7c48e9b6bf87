"""Compare pages: what changed between any two versions of a policy (redline, side by side, summary)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.access import can_see_working, get_policy_or_404, get_version_or_404
from app.boundary import current_session
from app.caching import NOTHING_PERSONAL, cached_page
from app.diffing import presenters, services
from app.diffing.listing import policy_versions, previous_public
from app.models import Comment, Version
from app.placements.history import placement_history
from app.responses import services as response_services

bp = Blueprint("diffing", __name__)
VIEWS = ("inline", "side")

# The view model is locale-free; its words are made while rendering (web pages and redline PDFs alike).
for _presenter in (
    presenters.change_labels,
    presenters.describe_change,
    presenters.kind_rows,
    presenters.section_rows,
    presenters.redline_segments,
):
    bp.add_app_template_global(_presenter)


@bp.get("/policies/<policy_slug>/compare/<from_slug>...<to_slug>")
@cached_page(personal=NOTHING_PERSONAL)
def compare(policy_slug: str, from_slug: str, to_slug: str) -> ResponseReturnValue:
    old = get_version_or_404(policy_slug, from_slug, include_working=True)
    new = get_version_or_404(policy_slug, to_slug, include_working=True)
    mode = request.args.get("view", "inline")
    if mode not in VIEWS:
        mode = "inline"
    show_all = request.args.get("context") == "all"
    session = current_session()
    return render_template(
        "diffing/compare.html",
        policy=old.policy,
        old=old,
        new=new,
        view=services.compare_versions(session, old, new, current_app.config.get("REDIS_URL")),
        notes=response_services.responses_by_clause(session, old, new),
        mode=mode,
        show_all=show_all,
        versions=policy_versions(session, old.policy_id, can_see_working()),
    )


@bp.get("/policies/<policy_slug>/compare")
def choose(policy_slug: str) -> ResponseReturnValue:
    """The version chooser's target (a GET form): send it to the compare page's address."""
    policy = get_policy_or_404(policy_slug)
    versions = policy_versions(current_session(), policy.id, can_see_working())
    if not versions:
        abort(404)
    slugs = {v.slug for v in versions}
    old = request.args.get("from") or versions[0].slug
    new = request.args.get("to") or versions[-1].slug
    if old not in slugs or new not in slugs:
        abort(404)
    return redirect(url_for("diffing.compare", policy_slug=policy.slug, from_slug=old, to_slug=new))


# --- helpers the reading and receipt pages call from their templates -------------------------------------


@bp.app_template_global("previous_public_version")
def previous_public_version(version: Version) -> Version | None:
    """The public version before `version` (for “what changed since the previous version”)."""
    return previous_public(current_session(), version)


@bp.app_template_global("comment_followup")
def comment_followup(comment: Comment) -> dict[str, Any]:
    """A comment's response and its history through later versions, for its receipt page."""
    session = current_session()
    response = response_services.response_for_comment(session, comment)
    history = placement_history(session, comment) if comment.parent_id is None else []
    return {
        "response": response_services.card(response) if response is not None else None,
        "group_response": response is not None and response.comment_id is None,
        "history": history,
    }
