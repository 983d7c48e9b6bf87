"""Notification forms: the account page's settings, following by email, and the one-click buttons."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SubmitField
from wtforms.validators import InputRequired, Length

from app.auth.services import MAX_EMAIL_LENGTH
from app.models import NotificationKind

KIND_LABELS = {
    NotificationKind.RECEIPT.value: _l("A receipt for every comment I send"),
    NotificationKind.REPLY.value: _l("Someone replies to my comment"),
    NotificationKind.RESPONSE.value: _l("The drafters respond to my comment"),
    NotificationKind.MODERATION.value: _l("A moderator decides about my comment"),
    NotificationKind.NEW_VERSION.value: _l("A policy I follow has a new version"),
    NotificationKind.CLOSING.value: _l("A policy I follow closes for comment in 3 days"),
}


class SettingsForm(FlaskForm):
    receipt = BooleanField(KIND_LABELS["receipt"])
    reply = BooleanField(KIND_LABELS["reply"])
    response = BooleanField(KIND_LABELS["response"])
    moderation = BooleanField(KIND_LABELS["moderation"])
    new_version = BooleanField(KIND_LABELS["new_version"])
    closing = BooleanField(KIND_LABELS["closing"])
    digest = BooleanField(
        _l("Send them as one daily digest instead of one email each"),
        description=_l("Receipts still come at once, so you always have your tracking number."),
    )
    submit = SubmitField(_l("Save notification settings"))

    def kind_fields(self) -> list[BooleanField]:
        return [self[kind] for kind in KIND_LABELS]


class FollowByEmailForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        description=_l("We send a link to confirm it. We use it for news of this policy only."),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            InputRequired(_l("Enter your email address.")),
            Length(max=MAX_EMAIL_LENGTH, message=_l("Enter an email address like name@example.org.")),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"},
    )
    submit = SubmitField(_l("Follow this policy"))


class ButtonForm(FlaskForm):
    """A form that is only a button (and its CSRF token)."""

    submit = SubmitField(_l("Confirm"))
