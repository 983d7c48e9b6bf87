"""The accessibility statement, the contact page and /favicon.ico, and the footer's links to them.

The footer (templates/_footer_links.html) asks `footer_links()` which links to show: only pages that exist in
this app (a feeds link appears once a feed route is registered), so it never points at a missing page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

bp = Blueprint("site", __name__)

# (label, endpoint) in the order the footer shows them; one is left out while its endpoint does not exist.
FOOTER_LINKS = (
    (_l("Privacy"), "privacy.notice"),
    (_l("Accessibility"), "site.accessibility"),
    (_l("Contact"), "site.contact"),
    (_l("Moderation log"), "moderation.log"),
    (_l("Feeds"), "opendata.consultations_feed"),
    (_l("Open data (API)"), "api_docs.docs"),
)


def footer_links() -> list[dict[str, Any]]:
    """The footer's links to pages that exist: label and url."""
    links: list[dict[str, Any]] = []
    labels: set[str] = set()
    for label, endpoint in FOOTER_LINKS:
        if endpoint in current_app.view_functions and str(label) not in labels:
            labels.add(str(label))
            links.append({"label": label, "url": url_for(endpoint)})
    return links


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    state.app.jinja_env.globals.update(footer_links=footer_links)


@bp.get("/accessibility")
def accessibility() -> ResponseReturnValue:
    return render_template("site/accessibility.html")


@bp.get("/contact")
def contact() -> ResponseReturnValue:
    return render_template("site/contact.html", email=current_app.config.get("CONTACT_EMAIL"))


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Browsers ask for /favicon.ico before reading the page's <link rel=icon>: send them to the real one."""
    return redirect(url_for("static", filename="favicon.svg"), 301)
