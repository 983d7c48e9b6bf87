"""The account's personal access tokens: make one (shown once), see them, revoke one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, SubmitField, widgets

from app.access import signed_in_user
from app.api import tokens
from app.boundary import current_session
from app.errors import put_on_form, redisplay
from app.exceptions import DomainError
from app.extensions import limiter

bp = Blueprint("tokens", __name__)


class TokenForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("Name (to tell your tokens apart)"), render_kw={"maxlength": 80})
    scopes = SelectMultipleField(
        _l("What it may do"),
        choices=[],
        validate_choice=False,  # the service refuses unknown scopes, with its own message
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )
    submit = SubmitField(_l("Make a token"))


class RevokeForm(FlaskForm):  # type: ignore[misc]
    submit = SubmitField(_l("Revoke"))


def _form() -> TokenForm:
    form = TokenForm()
    user = signed_in_user()
    form.scopes.choices = [
        (scope, str(label))
        for scope, label in tokens.SCOPES.items()
        if scope != tokens.STAFF_READ or user.sees_everything
    ]
    return form


def _page(form: TokenForm, new_token: str | None = None, status: int = 200) -> ResponseReturnValue:
    user = signed_in_user()
    return (
        render_template(
            "api/tokens.html",
            form=form,
            revoke_form=RevokeForm(),
            tokens=tokens.user_tokens(current_session(), user),
            new_token=new_token,
            scope_labels={k: str(v) for k, v in tokens.SCOPES.items()},
        ),
        status,
    )


@bp.get("/account/tokens")
@login_required
def index() -> ResponseReturnValue:
    return _page(_form())


@bp.post("/account/tokens")
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def create() -> ResponseReturnValue:
    form = _form()
    if not form.validate_on_submit():
        return _page(form, status=422)

    def show(error: DomainError) -> ResponseReturnValue:
        put_on_form(form, error)
        return _page(form, status=error.status)

    redisplay(show)
    _token, raw = tokens.create_token(current_session(), signed_in_user(), form.name.data, form.scopes.data)
    # Shown on this page only, once: it is not stored, and this reply is `no-store` (a signed-in page).
    return _page(_form(), new_token=raw, status=201)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> ResponseReturnValue:
    form = RevokeForm()
    if not form.validate_on_submit():
        return _page(_form(), status=400)
    tokens.revoke_token(current_session(), signed_in_user(), token_id)
    flash(_("The token is revoked: it no longer works."), "success")
    return redirect(url_for("tokens.index"), 303)
