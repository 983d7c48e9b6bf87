"""Accounts: register, confirm an email, sign in and out, reset a password, the account page.

Views call one service each and never commit: the request boundary (`app.boundary.Korero`) does, once the view
has returned. A refused use case is shown by `app.errors` as this view's form again (`redisplay`), or as the
error's own page (a link that cannot be used). A wrong password is counted although the sign-in is refused: the
service raises `LoginFailed`, which keeps its changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm

from app.access import signed_in_user
from app.auth import forms, services
from app.auth.services import LOCK_PERIOD, MAX_FAILED_LOGINS
from app.boundary import current_session
from app.errors import put_on_form, redisplay
from app.exceptions import DomainError
from app.extensions import limiter, login_manager
from app.i18n import safe_next
from app.models import Role
from app.notify import events as notify_events

bp = Blueprint("auth", __name__)

REGISTER_LIMIT = "5 per hour"
LOGIN_LIMIT = "10 per minute"
MAIL_LIMIT = "5 per hour"  # anything that sends mail: forgotten password, resend confirmation
PASSWORD_CHANGE_LIMIT = "10 per hour"  # noqa: S105 - a rate limit, not a password
REMEMBER_FOR = dt.timedelta(days=30)
PENDING_EMAIL_KEY = "auth_pending_email"
RETURN_TO_KEY = "auth_return_to"  # the page someone was on when they registered, for after confirming
# Pages that must not be "the page you were on" for the Sign in link (they would loop or mean nothing after).
NO_RETURN_ENDPOINTS = frozenset(
    {
        "auth.login",
        "auth.register",
        "auth.check_email",
        "auth.verify_email",
        "auth.forgot_password",
        "auth.reset_password",
        "auth.logout",
    }
)

ROLE_LABELS = {
    Role.COMMENTER.value: _l("Commenter"),
    Role.DRAFTER.value: _l("Drafter"),
    Role.REVIEWER.value: _l("Reviewer"),
    Role.MODERATOR.value: _l("Moderator"),
    Role.ADMIN.value: _l("Administrator"),
    Role.INTAKE.value: _l("Intake (enters offline submissions)"),
}
# Staff areas in the site navigation: (label, endpoint, role). Each shows only once its blueprint exists.
STAFF_LINKS = (
    (_l("Drafting"), "drafting.index", Role.DRAFTER.value),
    (_l("Moderation"), "moderation.queue", Role.MODERATOR.value),
    (_l("Review"), "review.index", Role.REVIEWER.value),
    (_l("Administration"), "admin.index", Role.ADMIN.value),
    (_l("Intake"), "intake.index", Role.INTAKE.value),
)


# --- wiring ---------------------------------------------------------------------------------------------------


def has_endpoint(name: str) -> bool:
    """Whether a route is registered under `name` (staff areas arrive as their blueprints do)."""
    return name in current_app.view_functions


def staff_links() -> list[dict[str, Any]]:
    """The staff areas the signed-in user may open: label, url and whether it is the current page."""
    if not current_user.is_authenticated:
        return []
    links = []
    for label, endpoint, role in STAFF_LINKS:
        if current_user.has_role(role) and has_endpoint(endpoint):
            blueprint = endpoint.split(".")[0]
            links.append(
                {"label": label, "url": url_for(endpoint), "current": request.blueprint == blueprint}
            )
    return links


def return_to() -> str | None:
    """The page to come back to after signing in or registering: this one, unless it is an account page."""
    if not request or request.endpoint in NO_RETURN_ENDPOINTS or request.method != "GET":
        return safe_next(request.args.get("next"), "") or None
    target = safe_next(request.full_path.rstrip("?"), "")
    return target if target and target != "/" else None


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    app = state.app
    app.jinja_env.globals.update(has_endpoint=has_endpoint, staff_links=staff_links, return_to=return_to)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see that page.")
    login_manager.login_message_category = "info"


def secret_key() -> str:
    return str(current_app.config["SECRET_KEY"])


def invalid(template: str, **context: Any) -> ResponseReturnValue:
    return render_template(template, **context), 422


def redisplay_on(form: FlaskForm, page: Callable[[], ResponseReturnValue]) -> None:
    """On a refusal, put its message on the field it names in `form` and show `page()` again."""

    def show(error: DomainError) -> ResponseReturnValue:
        put_on_form(form, error)
        return page()

    redisplay(show)


# --- registering and confirming -------------------------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(REGISTER_LIMIT, methods=["POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    next_url = safe_next(request.args.get("next"), "")
    form = forms.RegisterForm()
    if not form.validate_on_submit():
        if form.is_submitted():
            return invalid("auth/register.html", form=form, next_url=next_url)
        return render_template("auth/register.html", form=form, next_url=next_url)
    redisplay_on(form, lambda: render_template("auth/register.html", form=form, next_url=next_url))
    registration = services.register(
        current_session(), form.email.data, form.display_name.data, form.password.data
    )
    # The same page whether or not the address already had an account; only the mail differs. A new account
    # is signed in at once (it may comment before confirming; its comments say "unverified email"). An
    # existing one is not: the password typed here proves nothing about it.
    user = registration.user
    # Queued, never sent here: the queue worker mails the link (or the warning) once this commits.
    notify_events.account_mail(
        current_session(), user, "confirm_email" if registration.created else "already_registered"
    )
    if registration.created:
        session.clear()  # a new session for the new account
        g.pop("csrf_token", None)
        login_user(user)
    session[PENDING_EMAIL_KEY] = user.email
    if next_url:
        session[RETURN_TO_KEY] = next_url
    return redirect(url_for("auth.check_email"))


@bp.get("/register/check-email")
def check_email() -> ResponseReturnValue:
    return render_template(
        "auth/check_email.html", email=session.get(PENDING_EMAIL_KEY), next_url=session.get(RETURN_TO_KEY)
    )


@bp.get("/verify-email/<token>")
def verify_email(token: str) -> ResponseReturnValue:
    services.confirm_email(current_session(), secret_key(), token)  # a bad link: LinkError's own page
    session.pop(PENDING_EMAIL_KEY, None)
    # Back to the page they were on when they registered (this browser only), else somewhere useful: never
    # the sign-in page, which read as "it did not work".
    back = safe_next(session.pop(RETURN_TO_KEY, None), "")
    if current_user.is_authenticated:
        flash(_("Thank you: your email address is confirmed."), "success")
        return redirect(back or url_for("auth.account"))
    flash(
        _("Thank you: your email address is confirmed. Sign in when you want to comment."),
        "success",
    )
    return redirect(back or url_for("drafts.home"))


@bp.post("/account/verify-email")
@login_required
@limiter.limit(MAIL_LIMIT, methods=["POST"])
def resend_confirmation() -> ResponseReturnValue:
    user = signed_in_user()
    if user.is_verified:
        flash(_("Your email address is already confirmed."), "info")
    else:
        notify_events.account_mail(current_session(), user, "confirm_email")
        flash(_("We have sent a new confirmation link to %(email)s.", email=user.email), "success")
    return redirect(url_for("auth.account"))


# --- signing in and out ---------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login() -> ResponseReturnValue:
    next_url = safe_next(request.args.get("next"), "")
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(next_url or url_for("auth.account"))
    form = forms.LoginForm()
    if not form.validate_on_submit():
        page = render_template("auth/login.html", form=form, next_url=next_url, lock_note=None)
        return (page, 422) if form.is_submitted() else page

    def refused(error: DomainError) -> ResponseReturnValue:
        put_on_form(form, error)
        # The note shows with every wrong password, known account or not; a suspension is said plainly.
        note = lock_note() if isinstance(error, services.LoginFailed) else None
        return render_template("auth/login.html", form=form, next_url=next_url, lock_note=note)

    redisplay(refused)
    source = services.source_digest(secret_key(), request.remote_addr)
    user = services.authenticate(current_session(), form.email.data, form.password.data, source)
    session.clear()  # a new session on signing in: nothing from before it (a planted cookie) carries over
    g.pop("csrf_token", None)  # and a new CSRF token for it, not the one this request already made
    login_user(user, remember=bool(form.remember.data), duration=REMEMBER_FOR)
    flash(_("You are signed in as %(name)s.", name=user.display_name), "success")
    return redirect(next_url or url_for("drafts.home"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out everywhere: rotating the session token ends every session and remember-me cookie."""
    if current_user.is_authenticated:
        services.end_all_sessions(current_session(), signed_in_user())
    logout_user()
    flash(_("You are signed out on every device."), "info")
    response = redirect(url_for("drafts.home"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'  # nothing of the signed-in pages stays behind
    return response


# --- forgotten passwords --------------------------------------------------------------------------------------


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(MAIL_LIMIT, methods=["POST"])
def forgot_password() -> ResponseReturnValue:
    form = forms.ForgotPasswordForm()
    if not form.validate_on_submit():
        if form.is_submitted():
            return invalid("auth/forgot_password.html", form=form)
        return render_template("auth/forgot_password.html", form=form)
    # No look-up here: the queue worker finds the account (if any) and mails it. The request does the same work
    # whatever the address, so neither its answer nor its timing tells whether an account exists.
    notify_events.password_reset_requested(current_session(), services.normalise_email(form.email.data))
    return render_template("auth/reset_sent.html", email=form.email.data)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def reset_password(token: str) -> ResponseReturnValue:
    services.user_for_reset(current_session(), secret_key(), token)  # a bad link: LinkError's own page
    form = forms.ResetPasswordForm()
    if not form.validate_on_submit():
        if form.is_submitted():
            return invalid("auth/reset_password.html", form=form, token=token)
        return render_template("auth/reset_password.html", form=form, token=token)
    redisplay_on(form, lambda: render_template("auth/reset_password.html", form=form, token=token))
    services.reset_password(current_session(), secret_key(), token, form.password.data)
    logout_user()
    flash(
        _(
            "Your password has been changed and you are signed out everywhere. Sign in with your new password."
        ),
        "success",
    )
    return redirect(url_for("auth.login"))


# --- the account page -----------------------------------------------------------------------------------------


def account_page(
    name_form: forms.DisplayNameForm | None = None, password_form: forms.ChangePasswordForm | None = None
) -> str:
    user = signed_in_user()
    return render_template(
        "auth/account.html",
        user=user,
        role_label=ROLE_LABELS.get(user.role, user.role),
        name_form=name_form or forms.DisplayNameForm(data={"display_name": user.display_name}),
        password_form=password_form or forms.ChangePasswordForm(formdata=None),
        button_form=forms.ButtonForm(),
    )


@bp.get("/account")
@login_required
def account() -> ResponseReturnValue:
    return account_page()


@bp.post("/account/display-name")
@login_required
def change_display_name() -> ResponseReturnValue:
    form = forms.DisplayNameForm()
    if not form.validate_on_submit():
        return account_page(name_form=form), 422
    redisplay_on(form, lambda: account_page(name_form=form))
    services.change_display_name(current_session(), signed_in_user(), form.display_name.data)
    flash(_("Your display name is saved."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/password")
@login_required
@limiter.limit(PASSWORD_CHANGE_LIMIT, methods=["POST"])
def change_password() -> ResponseReturnValue:
    form = forms.ChangePasswordForm()
    if not form.validate_on_submit():
        return account_page(password_form=form), 422
    redisplay_on(form, lambda: account_page(password_form=form))
    user = signed_in_user()
    services.change_password(current_session(), user, form.current_password.data, form.new_password.data)
    # The new session token ended every session, this one too: sign this one in again.
    remembered = bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")))
    login_user(user, remember=remembered, duration=REMEMBER_FOR)
    flash(_("Your password is changed. Every other device has been signed out."), "success")
    return redirect(url_for("auth.account"))


def lock_note() -> str:
    """The note shown with every failed sign-in (shown always, so it reveals nothing about an account)."""
    return _(
        "After %(n)d wrong passwords in a row, signing in to that account is paused for %(minutes)d minutes.",
        n=MAX_FAILED_LOGINS,
        minutes=int(LOCK_PERIOD.total_seconds() // 60),
    )
