"""Refuse posts no person typed: a filled honeypot, a forged or missing time stamp, a form sent back faster
than anyone can type with no sign of a person, and a body the server could not read at all.

Each posting form carries a honeypot field, a signed stamp of when it was shown and an `activity` field that
comments.js fills when someone types or pastes into the form (`forms._Guarded`). The view hands `check` what the
form brought back; a refusal is an `InputError`, so the form is shown again with the text kept and nothing
stored.

Speed alone is a gentle signal, not a wall: a person who pastes and sends at once is let through when the page
saw them type or paste; without that sign (no JavaScript, or a bot) the form comes back once with a "second
look" stamp, and the next press is accepted however quick it is. A filled honeypot or a forged stamp is always
refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app, g, has_app_context
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
    #: Filled by comments.js when a person typed or pasted into the form.
    activity: str | None = None


@dataclass(frozen=True)
class Stamp:
    """A genuine stamp: when the form was shown, and whether it was shown again after a quick send."""

    shown_at: int
    second_look: bool = False


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="comment-form-shown-at")


def sign_shown_at(moment: float | None = None, second_look: bool | None = None) -> str:
    """A signed stamp of when a form was shown (now unless given).

    A form shown again because it came back too quickly carries `second_look`: its next send is not timed.
    """
    if second_look is None:
        second_look = has_app_context() and bool(g.get("antibot_second_look", False))
    shown_at = int(moment if moment is not None else time.time())
    return _serializer().dumps([shown_at, 1] if second_look else shown_at)


def read_stamp(token: str | None) -> Stamp | None:
    """The stamp in a signed token, or None for a missing or forged one."""
    if not token:
        return None
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return Stamp(value)
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return Stamp(value[0], second_look=value[1] == 1)
    return None


def _age(stamp: Stamp, now: float | None) -> float:
    return (now if now is not None else time.time()) - stamp.shown_at


def shown_long_enough(token: str | None, now: float | None = None) -> bool:
    """Whether a signed stamp is genuine and at least MIN_FILL_SECONDS (and at most a day) old."""
    stamp = read_stamp(token)
    if stamp is None:
        return False
    minimum = current_app.config.get("COMMENTS_MIN_FILL_SECONDS", MIN_FILL_SECONDS)
    return bool(minimum <= _age(stamp, now) <= MAX_FORM_AGE_SECONDS)


def _stamp_refused(stamp: Stamp | None, now: float | None) -> bool:
    """No stamp, a forged one, one from the future or one older than a day: never a person's form."""
    return stamp is None or not (-5 <= _age(stamp, now) <= MAX_FORM_AGE_SECONDS)


def too_quick(submission: Submission, now: float | None = None) -> bool:
    """Sent back sooner than a person types, with no sign of a person and not after a second look."""
    stamp = read_stamp(submission.shown_at)
    if stamp is None or stamp.second_look or (submission.activity or "").strip():
        return False
    minimum = current_app.config.get("COMMENTS_MIN_FILL_SECONDS", MIN_FILL_SECONDS)
    return bool(_age(stamp, now) < minimum)


def looks_automated(submission: Submission, now: float | None = None) -> bool:
    """The honeypot was filled, the stamp is forged or missing, or the form came back too quickly."""
    return (
        bool((submission.honeypot or "").strip())
        or _stamp_refused(read_stamp(submission.shown_at), now)
        or too_quick(submission, now)
    )


def check(submission: Submission, now: float | None = None) -> None:
    """Refuse a post that could not be read, or that a person did not type."""
    if not submission.readable:
        raise UnreadableFormError(
            _(
                "Your comment could not be read: it was not sent as valid UTF-8 text. Retype or paste it again."
            )
        )
    if looks_automated(submission, now):
        if too_quick(submission, now):
            g.antibot_second_look = True  # the form shown again lets the next press through
        raise AutomatedPostError(
            _(
                "We could not send this yet: it came back faster than a person can type, or a field meant to stay empty was filled. Check it and press the button again."
            )
        )
