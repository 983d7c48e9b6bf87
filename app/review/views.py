"""The review overview page (reviewers, drafters, moderators, admins)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from app.access import roles_required
from app.boundary import current_session
from app.models import Role
from app.review import services

bp = Blueprint("review", __name__)


@bp.get("/review")
@roles_required(Role.REVIEWER.value, Role.DRAFTER.value, Role.MODERATOR.value)
def index() -> ResponseReturnValue:
    return render_template("review/index.html", overview=services.review_overview(current_session()))
