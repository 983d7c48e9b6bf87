"""Refuse posts no person typed: a filled honeypot, a form sent back faster than anyone can type (or with a
forged time stamp), and a body the server could not read at all.

Each posting form carries a honeypot field and a signed stamp of when it was shown (`forms._Guarded`). The
view hands `check` what the form brought back; a refusal is an `InputError`, so the form is shown again with
the text kept and nothing stored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from app.exceptions import InputError

MIN_FILL_SECONDS = 3
MAX_FORM_AGE_SECONDS = 24 * 3600


class UnreadableFormError(InputError):
    """A body was sent but no field of it could be read (werkzeug drops urlencoded forms that are not UTF-8)."""

    code = "unreadable-form"


class AutomatedPostError(InputError):
    """The honeypot was filled, or the form came back too fast or with a forged stamp."""

    code = "automated-post"


@dataclass(frozen=True)
class Submission:
    """What the checks read from a posted form."""

    honeypot: str | None
    shown_at: str | None
    #: Whether any field could be read from a non-empty body.
    readable: bool = True


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


def looks_automated(submission: Submission, now: float | None = None) -> bool:
    """The honeypot was filled, or the form came back too fast (or with a forged stamp)."""
    return bool((submission.honeypot or "").strip()) or not shown_long_enough(submission.shown_at, now)


def check(submission: Submission, now: float | None = None) -> None:
    """Refuse a post that could not be read, or that a person did not type."""
    if not submission.readable:
        raise UnreadableFormError(
            _(
                "Your comment could not be read: it was not sent as valid UTF-8 text. Retype or paste it again."
            )
        )
    if looks_automated(submission, now):
        raise AutomatedPostError(
            _(
                "We could not send this yet: it came back faster than a person can type, or a field meant to stay empty was filled. Check it and press the button again."
            )
        )
