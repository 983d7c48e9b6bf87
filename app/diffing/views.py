"""Compare pages: what changed between any two versions of a policy (redline, side by side, summary)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.caching import cached_page
from app.diffing import services
from app.drafts.views import can_see_working, get_policy_or_404, get_version_or_404
from app.extensions import db
from app.models import Comment, Version
from app.responses import services as response_services

bp = Blueprint("diffing", __name__)
VIEWS = ("inline", "side")


@bp.get("/policies/<policy_slug>/compare/<from_slug>...<to_slug>")
@cached_page
def compare(policy_slug: str, from_slug: str, to_slug: str) -> ResponseReturnValue:
    old = get_version_or_404(policy_slug, from_slug)
    new = get_version_or_404(policy_slug, to_slug)
    mode = request.args.get("view", "inline")
    if mode not in VIEWS:
        mode = "inline"
    show_all = request.args.get("context") == "all"
    view = services.compare_versions(db.session, old, new, current_app.config.get("REDIS_URL"))
    notes = response_services.responses_by_clause(db.session, old, new)
    versions = services.policy_versions(db.session, old.policy_id, can_see_working())
    return render_template(
        "diffing/compare.html",
        policy=old.policy,
        old=old,
        new=new,
        view=view,
        notes=notes,
        mode=mode,
        show_all=show_all,
        versions=versions,
        kind_labels=services.KIND_LABELS,
    )


@bp.get("/policies/<policy_slug>/compare")
def choose(policy_slug: str) -> ResponseReturnValue:
    """The version chooser's target (a GET form): send it to the compare page's address."""
    policy = get_policy_or_404(policy_slug)
    versions = services.policy_versions(db.session, policy.id, can_see_working())
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
    return services.previous_public(db.session, version)


@bp.app_template_global("comment_followup")
def comment_followup(comment: Comment) -> dict[str, Any]:
    """A comment's response and its history through later versions, for its receipt page."""
    response = response_services.response_for_comment(db.session, comment)
    history = services.placement_history(db.session, comment) if comment.parent_id is None else []
    return {
        "response": response_services.card(response) if response is not None else None,
        "group_response": response is not None and response.comment_id is None,
        "history": history,
    }
