"""Comment forms: a comment on a clause or passage, a reply, an edit, a withdrawal, a receipt lookup.

Each posting form carries a honeypot field and a signed time stamp of when it was shown; `antibot.check`
refuses a bot that fills every field, or posts faster than a person can type, with a clear message.
"""

from __future__ import annotations

import secrets

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, SubmitField, TextAreaField

from app.comments.antibot import Submission, sign_shown_at
from app.comments.inputs import MAX_BODY_CHARS
from app.models import DisplayAs

__all__ = [
    "CommentForm",
    "EditForm",
    "ReceiptLookupForm",
    "ReplyForm",
    "WithdrawForm",
    "display_choices",
    "sign_shown_at",
]


def display_choices() -> list[tuple[str, str]]:
    """The consent question, in the words the submission form uses too."""
    return [
        (DisplayAs.NAME.value, _l("Publish it with my name")),
        (DisplayAs.ANONYMOUS.value, _l("Publish it without my name (as “Anonymous member of the public”)")),
        (DisplayAs.PRIVATE.value, _l("Do not publish it (the drafting team still reads it)")),
    ]


# flask_wtf ships no type information, so FlaskForm is `Any` to mypy; the ignores below say so once per form.
class _Guarded(FlaskForm):  # type: ignore[misc]
    """Honeypot and time stamp, shared by the forms that post new text."""

    website = StringField(_l("Leave this empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})
    shown_at = HiddenField()
    # One per form shown: a retried POST of the same form (a double click, a browser resending after a
    # timeout) gets the comment the first one made, never a second.
    form_token = HiddenField()
    # comments.js writes "1" here once someone types or pastes: a sign of a person (see antibot).
    activity = HiddenField()

    def stamp(self) -> None:
        """Set a fresh time stamp (and, unless the form is shown again, a fresh form token) before showing it."""
        self.shown_at.data = sign_shown_at()
        if not self.form_token.data:
            self.form_token.data = secrets.token_urlsafe(24)

    def token(self) -> str | None:
        """The form token sent back, if it looks like one (anything else: no idempotency, not an error)."""
        value = (self.form_token.data or "").strip()
        return value if 16 <= len(value) <= 64 and value.isascii() and value.isprintable() else None

    def submission(self) -> Submission:
        """What the anti-bot checks read from this posted form (and whether its body could be read at all)."""
        unreadable = not request.form and not request.files and (request.content_length or 0) > 0
        return Submission(
            honeypot=self.website.data,
            shown_at=self.shown_at.data,
            readable=not unreadable,
            activity=self.activity.data,
        )


class CommentForm(_Guarded):
    body = TextAreaField(_l("Your comment"), render_kw={"rows": 8, "maxlength": MAX_BODY_CHARS})
    quote_exact = TextAreaField(_l("The passage you are commenting on (optional)"), render_kw={"rows": 3})
    quote_prefix = HiddenField()
    quote_suffix = HiddenField()
    quote_start = HiddenField()
    display_as = RadioField(
        _l("May we publish your comment?"), choices=display_choices, default=DisplayAs.NAME.value
    )
    submit = SubmitField(_l("Send comment"))


class ReplyForm(_Guarded):
    body = TextAreaField(_l("Your reply"), render_kw={"rows": 5, "maxlength": MAX_BODY_CHARS})
    display_as = RadioField(
        _l("May we publish your reply?"), choices=display_choices, default=DisplayAs.NAME.value
    )
    version_id = HiddenField()
    clause_id = HiddenField()
    submit = SubmitField(_l("Send reply"))


class EditForm(FlaskForm):  # type: ignore[misc]
    body = TextAreaField(_l("Your comment"), render_kw={"rows": 8, "maxlength": MAX_BODY_CHARS})
    submit = SubmitField(_l("Save changes"))


class WithdrawForm(FlaskForm):  # type: ignore[misc]
    submit = SubmitField(_l("Withdraw my comment"))


class ReceiptLookupForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False  # a GET search form: nothing changes

    number = StringField(_l("Tracking number"), render_kw={"autocomplete": "off", "spellcheck": "false"})
