"""Responses: drafters answer comments and campaign groups; the public reads the response to submissions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from app.caching import cached_page
from app.diffing.services import policy_versions
from app.drafting.views import drafter_required
from app.drafting.views import get_version_or_404 as get_any_version_or_404
from app.drafts.views import get_version_or_404
from app.extensions import db, limiter
from app.models import CampaignGroup, Comment, Response, Version
from app.responses import services
from app.responses.forms import ResponseForm

bp = Blueprint("responses", __name__)


@bp.get("/policies/<policy_slug>/versions/<version_slug>/responses")
@cached_page
def response_to_submissions(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """The public “response to submissions”: clause by clause, what was asked and what was done."""
    version = get_version_or_404(policy_slug, version_slug)
    asks = services.responses_page(db.session, version)
    return render_template("responses/submissions.html", version=version, asks=asks)


@bp.get("/drafting/<policy_slug>/<version_slug>/comments")
@drafter_required
def to_answer(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_any_version_or_404(policy_slug, version_slug)
    items = services.comments_to_answer(db.session, version)
    return render_template("responses/to_answer.html", version=version, items=items)


def _later_versions(version: Version) -> list[Version]:
    versions = policy_versions(db.session, version.policy_id, include_working=True)
    return [v for v in versions if v.position > version.position]


def _form_for(version: Version, existing: Response | None) -> ResponseForm:
    form = ResponseForm()
    form.changed_in.choices = [SelectChoice("", _("No change made"))] + [
        SelectChoice(str(v.id), v.label) for v in _later_versions(version)
    ]
    if not form.is_submitted() and existing is not None:
        form.outcome.data = existing.outcome
        form.text.data = existing.text
        form.changed_in.data = str(existing.changed_in_version_id or "")
        form.clauses.data = ", ".join(existing.changed_clause_keys or [])
    return form


def _respond(
    version: Version, target: Comment | CampaignGroup, existing: Response | None, count: int
) -> ResponseReturnValue:
    form = _form_for(version, existing)
    error = None
    if form.validate_on_submit():
        changed_in = None
        if form.changed_in.data:
            changed_in = next(
                (v for v in _later_versions(version) if str(v.id) == form.changed_in.data), None
            )
            if changed_in is None:
                abort(400)
        try:
            services.respond(
                db.session,
                current_user,
                target,
                form.outcome.data or "",
                form.text.data or "",
                changed_in,
                form.clauses.data or "",
            )
        except services.ResponseError as problem:
            db.session.rollback()
            error = problem.message
        else:
            db.session.commit()
            flash(_("Response saved."), "success")
            return redirect(
                url_for("responses.to_answer", policy_slug=version.policy.slug, version_slug=version.slug),
                303,
            )
    elif form.is_submitted():
        abort(400)
    comment = target if isinstance(target, Comment) else _first_member(target)
    return render_template(
        "responses/respond.html",
        version=version,
        form=form,
        comment=comment,
        count=count,
        is_group=isinstance(target, CampaignGroup),
        error=error,
    ), (422 if error else 200)


def _first_member(group: CampaignGroup) -> Comment | None:
    return db.session.scalar(
        select(Comment).where(Comment.campaign_group_id == group.id).order_by(Comment.id).limit(1)
    )


@bp.route(
    "/drafting/<policy_slug>/<version_slug>/comments/<int:comment_id>/response", methods=["GET", "POST"]
)
@drafter_required
@limiter.limit("60 per minute", methods=["POST"])
def respond_to_comment(policy_slug: str, version_slug: str, comment_id: int) -> ResponseReturnValue:
    version = get_any_version_or_404(policy_slug, version_slug)
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.version_id != version.id or comment.parent_id is not None:
        abort(404)
    existing = db.session.scalar(select(Response).where(Response.comment_id == comment.id))
    return _respond(version, comment, existing, 1)


@bp.route("/drafting/<policy_slug>/<version_slug>/groups/<int:group_id>/response", methods=["GET", "POST"])
@drafter_required
@limiter.limit("60 per minute", methods=["POST"])
def respond_to_group(policy_slug: str, version_slug: str, group_id: int) -> ResponseReturnValue:
    version = get_any_version_or_404(policy_slug, version_slug)
    group = db.session.get(CampaignGroup, group_id)
    if group is None or group.version_id != version.id:
        abort(404)
    existing = db.session.scalar(select(Response).where(Response.campaign_group_id == group.id))
    return _respond(version, group, existing, services.group_size(db.session, group.id))
