"""The privacy notice, data export and account deletion.

The request boundary commits; a refused deletion (a wrong password, no choice made) shows the form again.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import logout_user

from app.access import signed_in_required, signed_in_user
from app.boundary import current_session
from app.errors import put_on_form, redisplay
from app.exceptions import DomainError
from app.extensions import limiter
from app.models.base import utcnow
from app.privacy import services
from app.privacy.forms import DeleteAccountForm

bp = Blueprint("privacy", __name__)


@bp.get("/privacy")
def notice() -> ResponseReturnValue:
    return render_template("privacy/notice.html")


@bp.get("/account/export")
@signed_in_required
@limiter.limit("10 per hour")
def export() -> ResponseReturnValue:
    data = services.export_account(current_session(), signed_in_user())
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
    filename = f"korero-my-data-{utcnow():%Y-%m-%d}.json"
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/delete", methods=["GET", "POST"])
@signed_in_required
@limiter.limit("5 per minute", methods=["POST"])
def delete() -> ResponseReturnValue:
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return render_template("privacy/delete.html", form=form), 400 if form.is_submitted() else 200

    def refused(error: DomainError) -> str:
        put_on_form(form, error)
        return render_template("privacy/delete.html", form=form)

    redisplay(refused)
    services.delete_account(current_session(), signed_in_user(), form.password.data, form.comments.data)
    logout_user()
    session.clear()  # nothing of theirs stays in the cookie either (pending messages name them)
    flash(_("Your account has been deleted. Thank you for taking part."))
    return redirect(url_for("drafts.home"))
