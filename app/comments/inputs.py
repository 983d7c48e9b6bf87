"""What people type into the comment forms, checked and tidied: the text, the quoted passage, the name choice.

Text goes through `app.text.clean_text`, the one validator for free text, so a comment is refused for the same
reasons and in the same words as every other field.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from app.comments.errors import CommentInputError
from app.diffing.anchoring import Anchor, locate_quote
from app.models import Clause, DisplayAs
from app.text import bad_character, clean_text

MAX_BODY_CHARS = 10_000
MAX_QUOTE_CHARS = 5_000
MAX_CONTEXT_CHARS = 200


def clean_body(raw: str | None, reply: bool = False) -> str:
    """Check and tidy a comment's (or a reply's) text: not empty, not too long, nothing unreadable."""
    what = _("your reply") if reply else _("your comment")
    return clean_text(raw, what, MAX_BODY_CHARS, field="body")


@dataclass(frozen=True)
class QuoteInput:
    """A passage as the form sent it: the exact words, their context and where they started."""

    exact: str
    prefix: str = ""
    suffix: str = ""
    start: int | None = None

    @classmethod
    def from_form(
        cls, exact: str | None, prefix: str | None, suffix: str | None, start: str | None
    ) -> QuoteInput | None:
        """Build from raw form strings; None when no passage was chosen. Bad hints are ignored."""
        exact = (exact or "").replace("\r\n", "\n").strip()
        if not exact:
            return None
        hint: int | None = None
        raw_start = (start or "").strip()
        # str.isdigit() also accepts superscripts ("²"), which int() refuses: only ASCII digits are a hint.
        if raw_start.isascii() and raw_start.isdigit() and len(raw_start) < 9:
            hint = int(raw_start)
        # Browsers send every form value's line breaks as CRLF (hidden fields too), so undo that here as well.
        return cls(
            exact=exact,
            prefix=(prefix or "").replace("\r\n", "\n")[-MAX_CONTEXT_CHARS:],
            suffix=(suffix or "").replace("\r\n", "\n")[:MAX_CONTEXT_CHARS],
            start=hint,
        )


def anchor_quote(clause: Clause, quote: QuoteInput) -> Anchor:
    """Find the quoted passage in the clause's text; raise CommentInputError if it is not there."""
    # The context is matched as it was sent (its spaces count), so it is only checked, never tidied.
    if bad_character(quote.exact + quote.prefix + quote.suffix) is not None:
        raise CommentInputError(
            _("The passage contains characters that could not be read."), field="quote_exact"
        )
    if len(quote.exact) > MAX_QUOTE_CHARS:
        raise CommentInputError(_("That passage is too long to be from this clause."), field="quote_exact")
    anchor = locate_quote(clause.text, quote.exact, quote.prefix, quote.suffix, quote.start)
    if anchor is None:
        raise CommentInputError(
            _(
                "We could not find that passage in clause %(number)s. Copy the words exactly as they appear in the clause, or leave the box empty to comment on the whole clause.",
                number=clause.number,
            ),
            field="quote_exact",
        )
    return anchor


def display_choice(value: str | None) -> str:
    """The consent choice, one of DisplayAs: publish with the name, without it, or not at all."""
    if value not in {d.value for d in DisplayAs}:
        raise CommentInputError(
            _("Choose whether we may publish it, with your name or without it."), field="display_as"
        )
    return str(value)
