"""PDF downloads: a version, a section, a redline between two versions, and comments reports."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, render_template, send_file
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.drafts.views import get_section_or_404
from app.extensions import db
from app.models import Role, Version
from app.pdf import services
from app.pdf.jobs import get_renditions
from app.pdf.render import RenderError

bp = Blueprint("pdf", __name__)

REPORT_ROLES = (Role.REVIEWER.value, Role.DRAFTER.value, Role.MODERATOR.value)


def check_segments(*values: str) -> None:
    """404 for URL segments no slug or key can be (PostgreSQL refuses NUL in a query: that would be a 500)."""
    if any("\x00" in value or len(value) > 200 for value in values):
        abort(404)


def get_public_version_or_404(policy_slug: str, version_slug: str) -> Version:
    """A published or final version: renditions are made only of immutable, public text."""
    check_segments(policy_slug, version_slug)
    version = services.find_public_version(db.session, policy_slug, version_slug)
    if version is None:
        abort(404)
    return version


def require_report_role() -> ResponseReturnValue | None:
    """Staff reports: sign in first (anonymous), 403 without the role (signed in)."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined,no-any-return]
    if not current_user.has_role(*REPORT_ROLES):
        abort(403)
    return None


def deliver(rendition: services.Rendition, in_request: bool) -> ResponseReturnValue:
    """Send the cached PDF; else render it now (cheap ones) or in the background with a 'preparing' page."""
    renditions = get_renditions()
    path = renditions.cache.get(rendition.key)
    if path is None:
        state = renditions.jobs.state(rendition.key)
        if state == "pending":
            return preparing()
        if state == "failed":
            return failed()
        html = rendition.build()
        css = services.stylesheets()
        if not in_request and len(html.encode()) > renditions.inline_max:
            renditions.jobs.submit(rendition.key, html, css)
            return preparing()
        try:
            renditions.render_now(rendition.key, html, css)
        except RenderError:
            return failed()
        path = renditions.cache.path(rendition.key)
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=rendition.filename,
        conditional=True,
        etag=rendition.key,
        last_modified=dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC),
        max_age=0 if not rendition.public else 3600,
    )
    if rendition.public:
        response.cache_control.public = True
    else:
        response.cache_control.private = True
        response.cache_control.no_cache = True
        response.vary.add("Cookie")
    return response


def preparing() -> ResponseReturnValue:
    """The page a reader sees while a big PDF is made; it reloads itself (a meta refresh, so no script)."""
    return (
        render_template("pdf/preparing.html", refresh=3),
        202,
        {"Retry-After": "3", "Cache-Control": "no-store"},
    )


def failed() -> ResponseReturnValue:
    message = _(
        "We could not make this PDF. The problem has been logged. Please try again in a few minutes, "
        "or read the version on the web in the meantime."
    )
    return render_template("errors/error.html", code=500, message=message), 500, {"Cache-Control": "no-store"}


@bp.get("/policies/<policy_slug>/versions/<version_slug>/pdf")
def version(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_public_version_or_404(policy_slug, version_slug)
    return deliver(services.version_rendition(db.session, version), in_request=False)


@bp.get("/policies/<policy_slug>/versions/<version_slug>/sections/<section_key>/pdf")
def section(policy_slug: str, version_slug: str, section_key: str) -> ResponseReturnValue:
    check_segments(section_key)
    version = get_public_version_or_404(policy_slug, version_slug)
    section = get_section_or_404(version, section_key)
    return deliver(services.section_rendition(db.session, version, section), in_request=True)


@bp.get("/policies/<policy_slug>/compare/<old_slug>...<new_slug>/pdf")
def redline(policy_slug: str, old_slug: str, new_slug: str) -> ResponseReturnValue:
    old = get_public_version_or_404(policy_slug, old_slug)
    new = get_public_version_or_404(policy_slug, new_slug)
    if old.id == new.id:
        abort(404)
    rendition = services.redline_rendition(db.session, old, new, current_app.config.get("REDIS_URL"))
    return deliver(rendition, in_request=False)


@bp.get("/policies/<policy_slug>/versions/<version_slug>/comments/report.pdf")
def report(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """The full comments report for staff: held and hidden comments, moderation and carry-forward."""
    denied = require_report_role()
    if denied is not None:
        return denied
    version = get_public_version_or_404(policy_slug, version_slug)
    return deliver(services.report_rendition(db.session, version, staff=True), in_request=False)


@bp.get("/policies/<policy_slug>/versions/<version_slug>/comments/public-report.pdf")
def public_report(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """Published comments and responses only, with no personal details: for everyone."""
    version = get_public_version_or_404(policy_slug, version_slug)
    return deliver(services.report_rendition(db.session, version, staff=False), in_request=False)
