"""Comment forms: a comment on a clause or passage, a reply, an edit, a withdrawal, a receipt lookup.

Each posting form carries a honeypot field and a signed time stamp of when it was shown: a bot that fills
every field, or posts faster than a person can type, is refused with a clear message and nothing stored.
"""

from __future__ import annotations

import time

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import HiddenField, RadioField, StringField, SubmitField, TextAreaField

from app.comments.services import MAX_BODY_CHARS
from app.models import DisplayAs

MIN_FILL_SECONDS = 3
MAX_FORM_AGE_SECONDS = 24 * 3600


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="comment-form-shown-at")


def sign_shown_at(moment: float | None = None) -> str:
    """A signed stamp of when a form was shown (now unless given)."""
    return _serializer().dumps(int(moment if moment is not None else time.time()))


def shown_long_enough(token: str | None, now: float | None = None) -> bool:
    """Whether a signed stamp is genuine and at least MIN_FILL_SECONDS (and at most a day) old."""
    if not token:
        return False
    try:
        shown_at = _serializer().loads(token)
    except BadSignature:
        return False
    if not isinstance(shown_at, int):
        return False
    minimum = current_app.config.get("COMMENTS_MIN_FILL_SECONDS", MIN_FILL_SECONDS)
    age = (now if now is not None else time.time()) - shown_at
    return bool(minimum <= age <= MAX_FORM_AGE_SECONDS)


def display_choices() -> list[tuple[str, str]]:
    return [
        (DisplayAs.NAME.value, _l("My display name")),
        (DisplayAs.ANONYMOUS.value, _l("“Anonymous member of the public”")),
    ]


class _Guarded(FlaskForm):
    """Honeypot and time stamp, shared by the forms that post new text."""

    website = StringField(_l("Leave this empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})
    shown_at = HiddenField()

    def stamp(self) -> None:
        """Set a fresh time stamp before showing the form."""
        self.shown_at.data = sign_shown_at()

    def looks_automated(self) -> bool:
        """The honeypot was filled, or the form came back too fast (or with a forged stamp)."""
        return bool((self.website.data or "").strip()) or not shown_long_enough(self.shown_at.data)


class CommentForm(_Guarded):
    body = TextAreaField(_l("Your comment"), render_kw={"rows": 8, "maxlength": MAX_BODY_CHARS})
    quote_exact = TextAreaField(_l("The passage you are commenting on (optional)"), render_kw={"rows": 3})
    quote_prefix = HiddenField()
    quote_suffix = HiddenField()
    quote_start = HiddenField()
    display_as = RadioField(_l("Show my comment as"), choices=display_choices, default=DisplayAs.NAME.value)
    submit = SubmitField(_l("Send comment"))


class ReplyForm(_Guarded):
    body = TextAreaField(_l("Your reply"), render_kw={"rows": 5, "maxlength": MAX_BODY_CHARS})
    display_as = RadioField(_l("Show my reply as"), choices=display_choices, default=DisplayAs.NAME.value)
    version_id = HiddenField()
    clause_id = HiddenField()
    submit = SubmitField(_l("Send reply"))


class EditForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), render_kw={"rows": 8, "maxlength": MAX_BODY_CHARS})
    submit = SubmitField(_l("Save changes"))


class WithdrawForm(FlaskForm):
    submit = SubmitField(_l("Withdraw my comment"))


class ReceiptLookupForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form: nothing changes

    number = StringField(_l("Tracking number"), render_kw={"autocomplete": "off", "spellcheck": "false"})
