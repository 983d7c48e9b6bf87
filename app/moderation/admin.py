"""Administrators' pages: each policy's moderation mode, and accounts' roles."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.access import roles_required
from app.extensions import db, limiter
from app.models import Policy, Role, User
from app.moderation import services
from app.moderation.forms import ROLE_LABELS, PolicyModerationForm, RoleForm
from app.moderation.views import error_status, get_user_or_404, int_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")

admins_only = roles_required(Role.ADMIN)


def get_policy_or_404(slug: str) -> Policy:
    policy = services.get_policy(db.session, slug)
    if policy is None:
        abort(404)
    return policy


@bp.get("")
@admins_only
def index() -> ResponseReturnValue:
    return render_template("moderation/admin_index.html")


def _policies(
    status: int = 200, failed: tuple[int, PolicyModerationForm] | None = None
) -> ResponseReturnValue:
    rows = []
    for policy in services.list_policies(db.session):
        if failed is not None and failed[0] == policy.id:
            form = failed[1]
        else:
            form = PolicyModerationForm(
                prefix=f"p{policy.id}", formdata=None, data={"mode": policy.moderation}
            )
        rows.append((policy, form))
    return render_template("moderation/admin_policies.html", rows=rows), status


@bp.get("/policies")
@admins_only
def policies() -> ResponseReturnValue:
    return _policies()


@bp.post("/policies/<policy_slug>/moderation")
@admins_only
@limiter.limit("30 per minute")
def policy_moderation(policy_slug: str) -> ResponseReturnValue:
    policy = get_policy_or_404(policy_slug)
    form = PolicyModerationForm(prefix=f"p{policy.id}")
    if not form.validate_on_submit():
        return _policies(400, (policy.id, form))
    try:
        services.set_policy_moderation(db.session, current_user, policy, form.mode.data or "")
    except services.ModerationError as error:
        db.session.rollback()
        form.mode.errors = [str(error)]
        return _policies(error_status(error), (policy.id, form))
    db.session.commit()
    if policy.moderation == "pre":
        flash(_("%(title)s now uses pre-moderation: new comments wait for a moderator.", title=policy.title))
    else:
        flash(_("%(title)s now uses post-moderation: new comments appear at once.", title=policy.title))
    return redirect(url_for("admin.policies"))


def _users(status: int = 200, failed: tuple[int, RoleForm] | None = None) -> ResponseReturnValue:
    page = services.users_page(db.session, int_arg("after"))
    rows = []
    for user in page.users:
        if failed is not None and failed[0] == user.id:
            form = failed[1]
        else:
            form = RoleForm(prefix=f"u{user.id}", formdata=None, data={"role": user.role})
        rows.append((user, form))
    return render_template(
        "moderation/admin_users.html", rows=rows, page=page, role_labels=ROLE_LABELS
    ), status


@bp.get("/users")
@admins_only
def users() -> ResponseReturnValue:
    return _users()


@bp.post("/users/<int:user_id>/role")
@admins_only
@limiter.limit("30 per minute")
def user_role(user_id: int) -> ResponseReturnValue:
    user: User = get_user_or_404(user_id)
    form = RoleForm(prefix=f"u{user.id}")
    if not form.validate_on_submit():
        return _users(400, (user.id, form))
    try:
        services.set_user_role(db.session, current_user, user, form.role.data or "")
    except services.ModerationError as error:
        db.session.rollback()
        form.role.errors = [str(error)]
        return _users(error_status(error), (user.id, form))
    db.session.commit()
    flash(_("Role changed to %(role)s. The account's sessions were ended.", role=ROLE_LABELS[user.role]))
    return redirect(url_for("admin.users"))
