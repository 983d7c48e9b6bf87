"""The privacy notice, data export and account deletion."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.access import signed_in_required
from app.extensions import db, limiter
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
    data = services.export_account(db.session, current_user)
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
    status = 200
    if form.validate_on_submit():
        try:
            services.delete_account(db.session, current_user, form.password.data, form.comments.data)
        except services.PrivacyError as error:
            db.session.rollback()
            getattr(form, error.field).errors = [str(error)]
            status = 400
        else:
            db.session.commit()
            logout_user()
            session.clear()  # nothing of theirs stays in the cookie either (pending messages name them)
            flash(_("Your account has been deleted. Thank you for taking part."))
            return redirect(url_for("drafts.home"))
    elif form.is_submitted():
        status = 400
    return render_template("privacy/delete.html", form=form), status
