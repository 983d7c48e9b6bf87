"""Reading pages: home, policy timeline, version, section."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.caching import cached_page
from app.comments import services as comment_services
from app.diffing import services as diffing_services
from app.drafts import services
from app.extensions import db
from app.models import Policy, Role, Section, Version

bp = Blueprint("drafts", __name__)


def can_see_working() -> bool:
    """Working versions are private to drafters (and admins)."""
    return bool(current_user.is_authenticated and current_user.has_role(Role.DRAFTER))


def get_policy_or_404(policy_slug: str) -> Policy:
    policy = services.get_policy(db.session, policy_slug)
    if policy is None:
        abort(404)
    return policy


def get_version_or_404(policy_slug: str, version_slug: str) -> Version:
    """Load a version a reader may see: working versions are 404 to all but drafters."""
    policy = get_policy_or_404(policy_slug)
    version = services.get_version(db.session, policy, version_slug)
    if version is None or (not version.is_public and not can_see_working()):
        abort(404)
    return version


def get_section_or_404(version: Version, key: str) -> Section:
    section = services.get_section(db.session, version, key)
    if section is None:
        abort(404)
    return section


@bp.get("/")
@cached_page
def home() -> ResponseReturnValue:
    policies = services.list_policies(db.session)
    summaries = [services.policy_summary(p, can_see_working()) for p in policies]
    return render_template("drafts/home.html", summaries=summaries)


@bp.get("/policies/<policy_slug>")
@cached_page
def policy(policy_slug: str) -> ResponseReturnValue:
    policy = get_policy_or_404(policy_slug)
    summary = services.policy_summary(policy, can_see_working())
    return render_template("drafts/policy.html", policy=policy, summary=summary)


@bp.get("/policies/<policy_slug>/versions/<version_slug>")
@cached_page
def version(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug)
    page = services.version_page(db.session, version)
    return render_template("drafts/version.html", version=version, page=page)


@bp.get("/policies/<policy_slug>/versions/<version_slug>/sections/<section_key>")
@cached_page
def section(policy_slug: str, version_slug: str, section_key: str) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug)
    section = get_section_or_404(version, section_key)
    page = services.section_page(db.session, version, section)
    return render_template(
        "drafts/section.html",
        version=version,
        section=section,
        page=page,
        comment_lists=comment_services.section_comments(db.session, current_user, version, page.clauses),
        comment_period=comment_services.period_status(version),
        carried_comments=diffing_services.carried_comments(
            db.session, version, [c.key for c in page.clauses]
        ),
    )


@bp.get("/policies/<policy_slug>/versions/<version_slug>/clauses/<clause_key>")
def clause(policy_slug: str, version_slug: str, clause_key: str) -> ResponseReturnValue:
    """A clause's permalink: redirect to its place on its section page."""
    version = get_version_or_404(policy_slug, version_slug)
    found = services.get_clause(db.session, version, clause_key)
    if found is None:
        abort(404)
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
