"""Administrators' pages: each policy's moderation mode, and accounts' roles.

As in the moderation views, the request boundary commits and a refusal is shown on the form it came from.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.access import get_policy_or_404, get_user_or_404, int_arg, roles_required, signed_in_user
from app.boundary import current_session
from app.errors import put_on_form, redisplay
from app.exceptions import DomainError
from app.extensions import limiter
from app.models import Role
from app.moderation import services
from app.moderation.forms import ROLE_LABELS, PolicyModerationForm, RoleForm

bp = Blueprint("admin", __name__, url_prefix="/admin")

admins_only = roles_required(Role.ADMIN)


@bp.get("")
@admins_only
def index() -> ResponseReturnValue:
    return render_template("moderation/admin_index.html")


def _policies(failed: tuple[int, PolicyModerationForm] | None = None) -> str:
    """Every policy with its mode form; `failed` is a policy's form sent back with its errors."""
    rows = []
    for policy in services.list_policies(current_session()):
        if failed is not None and failed[0] == policy.id:
            form = failed[1]
        else:
            form = PolicyModerationForm(
                prefix=f"p{policy.id}", formdata=None, data={"mode": policy.moderation}
            )
        rows.append((policy, form))
    return render_template("moderation/admin_policies.html", rows=rows)


@bp.get("/policies")
@admins_only
def policies() -> ResponseReturnValue:
    return _policies()


@bp.post("/policies/<policy_slug>/moderation")
@admins_only
@limiter.limit("30 per minute")
def policy_moderation(policy_slug: str) -> ResponseReturnValue:
    policy = get_policy_or_404(policy_slug)
    policy_id = policy.id
    form = PolicyModerationForm(prefix=f"p{policy_id}")
    if not form.validate_on_submit():
        return _policies((policy_id, form)), 400

    def refused(error: DomainError) -> str:
        put_on_form(form, error)
        return _policies((policy_id, form))

    redisplay(refused)
    services.set_policy_moderation(current_session(), signed_in_user(), policy, form.mode.data or "")
    if policy.moderation == "pre":
        flash(_("%(title)s now uses pre-moderation: new comments wait for a moderator.", title=policy.title))
    else:
        flash(_("%(title)s now uses post-moderation: new comments appear at once.", title=policy.title))
    return redirect(url_for("admin.policies"))


def _users(failed: tuple[int, RoleForm] | None = None) -> str:
    """A page of accounts with their role forms; `failed` is an account's form sent back with its errors."""
    page = services.users_page(current_session(), int_arg("after"))
    rows = []
    for user in page.users:
        if failed is not None and failed[0] == user.id:
            form = failed[1]
        else:
            form = RoleForm(prefix=f"u{user.id}", formdata=None, data={"role": user.role})
        rows.append((user, form))
    return render_template("moderation/admin_users.html", rows=rows, page=page, role_labels=ROLE_LABELS)


@bp.get("/users")
@admins_only
def users() -> ResponseReturnValue:
    return _users()


@bp.post("/users/<int:user_id>/role")
@admins_only
@limiter.limit("30 per minute")
def user_role(user_id: int) -> ResponseReturnValue:
    user = get_user_or_404(user_id)
    form = RoleForm(prefix=f"u{user_id}")
    if not form.validate_on_submit():
        return _users((user_id, form)), 400

    def refused(error: DomainError) -> str:
        put_on_form(form, error)
        return _users((user_id, form))

    redisplay(refused)
    services.set_user_role(current_session(), signed_in_user(), user, form.role.data or "")
    flash(_("Role changed to %(role)s. The account's sessions were ended.", role=ROLE_LABELS[user.role]))
    return redirect(url_for("admin.users"))
