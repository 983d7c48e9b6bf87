"""Following a policy, confirming a follow made by email, one-click unsubscribe, notification settings.

Views call one service and return; the request boundary commits; mail is only queued. The unsubscribe POST is
the RFC 8058 one-click endpoint: a mail client posts `List-Unsubscribe=One-Click` to it with no cookie and no
CSRF token, so it is exempt from CSRF and the signed token in its URL is the whole authority.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.access import get_policy_or_404, signed_in_required, signed_in_user, viewer
from app.boundary import current_session
from app.errors import put_on_form, redisplay
from app.exceptions import DomainError
from app.extensions import csrf, limiter
from app.models import NotificationSettings, User
from app.notify import services
from app.notify.forms import KIND_LABELS, ButtonForm, FollowByEmailForm, SettingsForm

bp = Blueprint("notify", __name__)

FOLLOW_BY_EMAIL_LIMIT = "5 per hour"


def secret_key() -> str:
    return str(current_app.config["SECRET_KEY"])


def locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


# --- following --------------------------------------------------------------------------------------------


def _follow_page(policy: Any, form: FollowByEmailForm | None = None) -> str:
    user = viewer()
    following = isinstance(user, User) and services.follow_of(current_session(), policy, user) is not None
    return render_template(
        "notify/follow.html",
        policy=policy,
        following=following,
        form=form or FollowByEmailForm(formdata=None),
        button_form=ButtonForm(),
    )


@bp.get("/policies/<policy_slug>/follow")
def follow(policy_slug: str) -> ResponseReturnValue:
    return _follow_page(get_policy_or_404(policy_slug))


@bp.post("/policies/<policy_slug>/follow")
@limiter.limit(FOLLOW_BY_EMAIL_LIMIT, methods=["POST"], exempt_when=lambda: current_user.is_authenticated)
def follow_post(policy_slug: str) -> ResponseReturnValue:
    policy = get_policy_or_404(policy_slug)
    user = viewer()
    if isinstance(user, User):
        if not ButtonForm().validate_on_submit():
            return _follow_page(policy), 400
        services.follow_policy(current_session(), user, policy, locale())
        flash(
            _(
                "You follow %(policy)s. We will email you about new versions and closing dates.",
                policy=policy.title,
            ),
            "success",
        )
        return redirect(url_for("notify.follow", policy_slug=policy.slug))
    form = FollowByEmailForm()
    if not form.validate_on_submit():
        return _follow_page(policy, form), 422

    def again(error: DomainError) -> ResponseReturnValue:
        put_on_form(form, error)
        return _follow_page(policy, form)

    redisplay(again)
    services.follow_by_email(current_session(), policy, form.email.data, locale())
    # The same page whether or not the address follows already: it reveals nothing.
    return render_template("notify/follow_sent.html", policy=policy, email=form.email.data)


@bp.post("/policies/<policy_slug>/unfollow")
@signed_in_required
def unfollow(policy_slug: str) -> ResponseReturnValue:
    policy = get_policy_or_404(policy_slug)
    if not ButtonForm().validate_on_submit():
        return _follow_page(policy), 400
    services.unfollow_policy(current_session(), signed_in_user(), policy)
    flash(_("You no longer follow %(policy)s.", policy=policy.title), "success")
    if request.form.get("back") == "account":
        return redirect(url_for("auth.account", _anchor="notifications"))
    return redirect(url_for("notify.follow", policy_slug=policy.slug))


@bp.route("/follow/confirm/<token>", methods=["GET", "POST"])
def confirm_follow(token: str) -> ResponseReturnValue:
    """GET shows a button (so a mail scanner that opens links confirms nothing); POST confirms."""
    follow = services.follow_for_token(current_session(), secret_key(), token)
    form = ButtonForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("notify/confirm_follow.html", follow=follow, form=form, token=token), 400
        services.confirm_follow(current_session(), secret_key(), token)
        return render_template("notify/follow_confirmed.html", follow=follow)
    return render_template("notify/confirm_follow.html", follow=follow, form=form, token=token)


# --- unsubscribing ----------------------------------------------------------------------------------------


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str) -> ResponseReturnValue:
    """The link in the mail opens a page with one button (link scanners open links; only a click stops mail)."""
    claim = services.read_unsubscribe(secret_key(), token)
    about = services.describe_unsubscribe(current_session(), claim)
    return render_template("notify/unsubscribe.html", about=about, token=token, kind_labels=KIND_LABELS)


@bp.post("/unsubscribe/<token>")
@csrf.exempt
def unsubscribe_post(token: str) -> ResponseReturnValue:
    """One click: from the page's button, or a mail client's RFC 8058 POST (`List-Unsubscribe=One-Click`)."""
    done = services.unsubscribe(current_session(), secret_key(), token)
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "", 204  # a mail client, not a person: nothing to show
    return render_template("notify/unsubscribed.html", about=done, kind_labels=KIND_LABELS)


# --- the account page's settings --------------------------------------------------------------------------


def account_panel() -> dict[str, Any]:
    """What the account page shows about notifications (called from its template)."""
    user = signed_in_user()
    session = current_session()
    settings = session.get(NotificationSettings, user.id)  # read only: a GET writes nothing
    data: dict[str, Any] = dict.fromkeys(KIND_LABELS, True) | {"digest": False}
    if settings is not None:
        data = {kind: bool(getattr(settings, kind)) for kind in KIND_LABELS} | {"digest": settings.digest}
    return {
        "form": SettingsForm(formdata=None, data=data),
        "follows": [f for f in services.follows_of(session, user) if f.user_id == user.id],
        "button_form": ButtonForm(),
    }


@bp.post("/account/notifications")
@signed_in_required
def save_settings() -> ResponseReturnValue:
    form = SettingsForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.account", _anchor="notifications"))
    wanted = {kind for kind in KIND_LABELS if form[kind].data}
    services.save_settings(current_session(), signed_in_user(), wanted, bool(form.digest.data), locale())
    flash(_("Your notification settings are saved."), "success")
    return redirect(url_for("auth.account", _anchor="notifications"))


@bp.record_once
def _setup(state: Any) -> None:
    state.app.jinja_env.globals.update(notification_panel=account_panel)
