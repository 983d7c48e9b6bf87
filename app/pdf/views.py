"""PDF downloads: a version, a section, a redline between two versions, and comments reports."""

from __future__ import annotations

from flask import Blueprint, abort, current_app
from flask.typing import ResponseReturnValue

from app.access import get_section_or_404, staff_required
from app.boundary import current_session
from app.models import Version
from app.pdf import services
from app.pdf.delivery import deliver

bp = Blueprint("pdf", __name__)


def check_segments(*values: str) -> None:
    """404 for URL segments no slug or key can be (PostgreSQL refuses NUL in a query: that would be a 500)."""
    if any("\x00" in value or len(value) > 200 for value in values):
        abort(404)


def get_public_version_or_404(policy_slug: str, version_slug: str) -> Version:
    """A published or final version: renditions are made only of immutable, public text."""
    check_segments(policy_slug, version_slug)
    version = services.find_public_version(current_session(), policy_slug, version_slug)
    if version is None:
        abort(404)
    return version


@bp.get("/policies/<policy_slug>/versions/<version_slug>/pdf")
def version(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_public_version_or_404(policy_slug, version_slug)
    return deliver(services.version_rendition(current_session(), version), in_request=False)


@bp.get("/policies/<policy_slug>/versions/<version_slug>/sections/<section_key>/pdf")
def section(policy_slug: str, version_slug: str, section_key: str) -> ResponseReturnValue:
    check_segments(section_key)
    version = get_public_version_or_404(policy_slug, version_slug)
    section = get_section_or_404(version, section_key)
    return deliver(services.section_rendition(current_session(), version, section), in_request=True)


@bp.get("/policies/<policy_slug>/compare/<old_slug>...<new_slug>/pdf")
def redline(policy_slug: str, old_slug: str, new_slug: str) -> ResponseReturnValue:
    old = get_public_version_or_404(policy_slug, old_slug)
    new = get_public_version_or_404(policy_slug, new_slug)
    if old.id == new.id:
        abort(404)
    rendition = services.redline_rendition(current_session(), old, new, current_app.config.get("REDIS_URL"))
    return deliver(rendition, in_request=False)


@bp.get("/policies/<policy_slug>/versions/<version_slug>/comments/report.pdf")
@staff_required
def report(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """The full comments report for staff: held and hidden comments, moderation and carry-forward."""
    version = get_public_version_or_404(policy_slug, version_slug)
    return deliver(services.report_rendition(current_session(), version, staff=True), in_request=False)


@bp.get("/policies/<policy_slug>/versions/<version_slug>/comments/public-report.pdf")
def public_report(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """Published comments and responses only, with no personal details: for everyone."""
    version = get_public_version_or_404(policy_slug, version_slug)
    return deliver(services.report_rendition(current_session(), version, staff=False), in_request=False)
