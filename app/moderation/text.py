"""Checks for the short free-text fields moderation and privacy take (reasons, passwords aside).

Pure: no Flask, no database.
"""

from __future__ import annotations

import unicodedata

REASON_MAX_LENGTH = 1000


class TextError(ValueError):
    """Text that cannot be accepted; `kind` says why (empty, too_long, invalid, control) for translated messages."""

    def __init__(self, message: str, kind: str, length: int = 0) -> None:
        super().__init__(message)
        self.kind = kind
        self.length = length


def clean_text(value: str | None, max_length: int = REASON_MAX_LENGTH, what: str = "a reason") -> str:
    """Trim `value` and check it: not empty, not too long, no NUL, no lone surrogates.

    NUL is refused rather than dropped (PostgreSQL cannot store it and silently changing what someone wrote is
    worse than asking again); lone surrogates cannot be encoded at all. Other control characters except tab and
    newlines are refused too: they have no business in a reason and can disguise what it says.
    """
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        raise TextError(f"Enter {what}.", "empty")
    if len(text) > max_length:
        raise TextError(
            f"Keep {what} to {max_length:,} characters or fewer (it has {len(text):,}).",
            "too_long",
            len(text),
        )
    for char in text:
        if char in "\n\t":
            continue
        category = unicodedata.category(char)
        if category == "Cs":
            raise TextError(f"{what.capitalize()} contains a character that is not valid text.", "invalid")
        if category == "Cc":
            raise TextError(
                f"{what.capitalize()} contains a control character; remove it and try again.", "control"
            )
    return text
