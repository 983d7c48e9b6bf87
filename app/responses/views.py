"""Responses: drafters answer comments and campaign groups; the public reads the response to submissions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from app.access import drafter_required, get_version_or_404
from app.boundary import current_session
from app.caching import cached_page
from app.drafting.access import current_drafter
from app.errors import redisplay
from app.exceptions import DomainError
from app.extensions import limiter
from app.models import CampaignGroup, Comment, Response, Version
from app.responses import services
from app.responses.forms import ResponseForm

bp = Blueprint("responses", __name__)


@bp.get("/policies/<policy_slug>/versions/<version_slug>/responses")
@cached_page
def response_to_submissions(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """The public “response to submissions”: clause by clause, what was asked and what was done."""
    version = get_version_or_404(policy_slug, version_slug, include_working=True)
    session = current_session()
    asks = services.responses_page(session, version)
    whole = services.submission_responses(session, version)
    return render_template("responses/submissions.html", version=version, asks=asks, whole=whole)


@bp.get("/drafting/<policy_slug>/<version_slug>/comments")
@drafter_required
def to_answer(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug, include_working=True)
    items = services.comments_to_answer(current_session(), version)
    return render_template("responses/to_answer.html", version=version, items=items)


def _form_for(version: Version, existing: Response | None) -> ResponseForm:
    form = ResponseForm()
    form.changed_in.choices = [SelectChoice("", _("No change made"))] + [
        SelectChoice(str(v.id), v.label) for v in services.later_versions(current_session(), version)
    ]
    if not form.is_submitted() and existing is not None:
        form.outcome.data = existing.outcome
        form.text.data = existing.text
        form.changed_in.data = str(existing.changed_in_version_id or "")
        form.clauses.data = ", ".join(existing.changed_clause_keys or [])
    return form


def _respond_page(
    version: Version,
    target: Comment | CampaignGroup,
    form: ResponseForm,
    count: int,
    error: str | None = None,
) -> ResponseReturnValue:
    comment = target if isinstance(target, Comment) else services.first_member(current_session(), target)
    return render_template(
        "responses/respond.html",
        version=version,
        form=form,
        comment=comment,
        count=count,
        is_group=isinstance(target, CampaignGroup),
        error=error,
    )


def _respond(version: Version, target: Comment | CampaignGroup, count: int) -> ResponseReturnValue:
    session = current_session()
    form = _form_for(version, services.existing_response(session, target))
    if not form.is_submitted():
        return _respond_page(version, target, form, count)
    if not form.validate_on_submit():
        abort(400)

    def refused(error: DomainError) -> ResponseReturnValue:
        return _respond_page(version, target, form, count, error.message)

    redisplay(refused)
    services.record_response(
        session,
        current_drafter(),
        target,
        form.outcome.data or "",
        form.text.data or "",
        form.changed_in.data or "",
        form.clauses.data or "",
    )
    flash(_("Response saved."), "success")
    return redirect(
        url_for("responses.to_answer", policy_slug=version.policy.slug, version_slug=version.slug), 303
    )


@bp.route(
    "/drafting/<policy_slug>/<version_slug>/comments/<int:comment_id>/response", methods=["GET", "POST"]
)
@drafter_required
@limiter.limit("60 per minute", methods=["POST"])
def respond_to_comment(policy_slug: str, version_slug: str, comment_id: int) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug, include_working=True)
    comment = services.comment_to_answer(current_session(), version, comment_id)
    if comment is None:
        abort(404)
    return _respond(version, comment, 1)


@bp.route("/drafting/<policy_slug>/<version_slug>/groups/<int:group_id>/response", methods=["GET", "POST"])
@drafter_required
@limiter.limit("60 per minute", methods=["POST"])
def respond_to_group(policy_slug: str, version_slug: str, group_id: int) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug, include_working=True)
    session = current_session()
    group = services.group_to_answer(session, version, group_id)
    if group is None:
        abort(404)
    return _respond(version, group, services.group_size(session, group.id))
