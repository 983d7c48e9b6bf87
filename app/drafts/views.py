"""Reading pages: home, policy timeline, version, section."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from app.access import (
    can_see_working,
    get_clause_or_404,
    get_policy_or_404,
    get_section_or_404,
    get_version_or_404,
    viewer,
)
from app.boundary import current_session
from app.caching import cached_page
from app.comments import services as comment_services
from app.comments.fragments import SECTION_COPY, section_blocks
from app.consultations import listing, presenters
from app.consultations.states import STATES
from app.drafts import services
from app.events.listing import policy_events, version_events
from app.placements.history import carried_comments

bp = Blueprint("drafts", __name__)


@bp.get("/")
@cached_page
def home() -> ResponseReturnValue:
    """The consultation hub: every consultation by state, filterable (?state=open)."""
    chosen = listing.parse_state(request.args.get("state"))
    return render_template(
        "drafts/home.html", hub=listing.hub(current_session(), chosen, can_see_working()), states=STATES
    )


@bp.get("/policies/<policy_slug>")
@cached_page
def policy(policy_slug: str) -> ResponseReturnValue:
    policy = get_policy_or_404(policy_slug)
    summary = services.policy_summary(policy, can_see_working())
    if summary.latest is None and not can_see_working():
        abort(404)  # a consultation still being prepared is not public yet
    return render_template(
        "drafts/policy.html",
        policy=policy,
        summary=summary,
        line=presenters.consultation_line(policy),
        events=policy_events(current_session(), policy),
    )


@bp.get("/policies/<policy_slug>/versions/<version_slug>")
@cached_page
def version(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug, include_working=True)
    page = services.version_page(current_session(), version)
    return render_template(
        "drafts/version.html",
        version=version,
        page=page,
        banner=presenters.version_banner(version),
        events=version_events(current_session(), version),
    )


@bp.get("/policies/<policy_slug>/versions/<version_slug>/sections/<section_key>")
@cached_page(personal=SECTION_COPY)
def section(policy_slug: str, version_slug: str, section_key: str) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug, include_working=True)
    section = get_section_or_404(version, section_key)
    session = current_session()
    page = services.section_page(session, version, section)
    period = comment_services.period_status(version)
    # Signed in: the clauses' comment blocks are shared where they do not depend on the reader.
    shared = section_blocks(session, viewer(), version, page.clauses, period)
    blocks: dict[int, Markup] = {}
    if shared is None:
        comment_lists = comment_services.section_comments(session, viewer(), version, page.clauses)
    else:
        blocks, comment_lists = shared
    return render_template(
        "drafts/section.html",
        version=version,
        section=section,
        page=page,
        comment_lists=comment_lists,
        clause_blocks=blocks,
        comment_period=period,
        banner=presenters.version_banner(version),
        carried_comments=carried_comments(session, version, [c.key for c in page.clauses]),
    )


@bp.get("/policies/<policy_slug>/versions/<version_slug>/clauses/<clause_key>")
def clause(policy_slug: str, version_slug: str, clause_key: str) -> ResponseReturnValue:
    """A clause's permalink: redirect to its place on its section page."""
    version = get_version_or_404(policy_slug, version_slug, include_working=True)
    found = get_clause_or_404(version, clause_key)
    return redirect(
        url_for(
            "drafts.section",
            policy_slug=policy_slug,
            version_slug=version_slug,
            section_key=found.section.key,
            _anchor=f"clause-{found.key}",
        )
    )


@bp.get("/language/<code>")
def language(code: str) -> ResponseReturnValue:
    """Remember the reader's UI language in a cookie (no account needed)."""
    from app.i18n import safe_next

    response = make_response(redirect(safe_next(request.args.get("next"))))
    if code in ("en", "mi"):
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
