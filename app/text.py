"""The one text validator: every free-text field people send goes through `clean_text`.

Refused, with a message naming the field: empty (when required), too long, characters that could not be read
(U+FFFD from bytes that were not UTF-8, lone surrogates that no database can store), control characters (NUL and
the rest of category Cc; tab and newlines are allowed where the field has lines) and, in names shown beside
someone's words, direction overrides that can disguise what is written. Newlines are normalised to "\n".
"""

from __future__ import annotations

import unicodedata

from flask_babel import gettext as _

from app.exceptions import InputError

# Characters that can disguise a name next to a comment: direction overrides and isolates.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


class TextError(InputError):
    """Text that cannot be accepted; `kind` says why: empty, too_long, unreadable or control."""

    def __init__(self, message: str, kind: str, field: str | None = None) -> None:
        super().__init__(message, field)
        self.kind = kind


def bad_character(text: str, multiline: bool = True, name: bool = False) -> tuple[str, str] | None:
    """The first character `text` may not hold, as (kind, character), or None. Pure."""
    for char in text:
        if multiline and char in "\n\t":
            continue
        if char == "\ufffd":
            return "unreadable", char  # what the request parser makes of bytes that are not UTF-8
        category = unicodedata.category(char)
        if category == "Cs":
            return "unreadable", char  # a lone surrogate: not encodable, PostgreSQL would refuse it
        if category == "Cc" or (name and (category in {"Co", "Cn"} or char in BIDI_CONTROLS)):
            return "control", char
    return None


def clean_text(
    value: str | None,
    what: str,
    limit: int,
    *,
    field: str | None = None,
    required: bool = True,
    multiline: bool = True,
    name: bool = False,
) -> str:
    """Tidy and check one field; `what` is its translated name ("your comment", "a reason")."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        text = " ".join(text.split())
    found = bad_character(text, multiline=multiline, name=name)
    if found is not None:
        kind, char = found
        if kind == "unreadable":
            message = _(
                "%(what)s contains characters that could not be read (it is not valid UTF-8 text). Retype or paste it again as plain text.",
                what=_capital(what),
            )
        else:
            message = _(
                "%(what)s contains invisible control characters (U+%(code)s). Remove them, or retype it as plain text.",
                what=_capital(what),
                code=f"{ord(char):04X}",
            )
        raise TextError(message, kind, field)
    text = text.strip()
    if required and not text:
        raise TextError(_("Enter %(what)s.", what=what), "empty", field)
    if len(text) > limit:
        raise TextError(
            _(
                "%(what)s is %(count)s characters long. Shorten it to %(limit)s characters or fewer.",
                what=_capital(what),
                count=f"{len(text):,}",
                limit=f"{limit:,}",
            ),
            "too_long",
            field,
        )
    return text


def _capital(what: str) -> str:
    return what[:1].upper() + what[1:]
