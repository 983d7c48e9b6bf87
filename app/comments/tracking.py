"""Tracking numbers: how people type them, how they are read aloud, and finding a comment by one.

The number itself is made by the model's column default (`app.models.comments.new_tracking_number`): short,
unguessable and readable aloud, from an alphabet without look-alikes.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.comments.visibility import can_view_receipt
from app.exceptions import NotFoundError
from app.models import Comment, Viewer
from app.models.comments import new_tracking_number as generate_tracking_number

__all__ = [
    "TRACKING_RE",
    "ReceiptNotFoundError",
    "find_by_tracking_number",
    "generate_tracking_number",
    "look_up_receipt",
    "normalise_tracking_number",
    "spell_tracking_number",
]

TRACKING_RE = re.compile(r"^[34679ACDEFGHJKMNPQRTUVWXY]{8}$")


class ReceiptNotFoundError(NotFoundError):
    """No receipt the asker may see has this number (or what was typed is not a tracking number)."""

    code = "receipt-not-found"


def normalise_tracking_number(raw: str | None) -> str | None:
    """Read a tracking number as people type it (any case, spaces, with or without KR- and dashes)."""
    chars = "".join(ch for ch in (raw or "").upper() if ch.isascii() and ch.isalnum())
    chars = chars.removeprefix("KR")
    if not TRACKING_RE.match(chars):
        return None
    return f"KR-{chars[:4]}-{chars[4:]}"


def spell_tracking_number(number: str) -> str:
    """The tracking number as it is read aloud: one character at a time, groups apart."""
    return ", ".join(" ".join(group) for group in number.split("-"))


def find_by_tracking_number(session: Session, raw: str | None) -> Comment | None:
    """The comment with this tracking number, or None."""
    number = normalise_tracking_number(raw)
    if number is None:
        return None
    return session.scalar(
        select(Comment).where(Comment.tracking_number == number).options(joinedload(Comment.clause))
    )


def look_up_receipt(session: Session, viewer: Viewer, raw: str | None) -> Comment:
    """The comment whose receipt `viewer` asked for by number; a clear refusal when there is none to show."""
    comment = find_by_tracking_number(session, raw)
    if comment is not None and can_view_receipt(viewer, comment):
        return comment
    if normalise_tracking_number(raw) is None:
        raise ReceiptNotFoundError(
            _("Enter a tracking number like KR-7HQ4-MX3C: the letters and digits on your receipt."),
            field="number",
        )
    raise ReceiptNotFoundError(_("We could not find a receipt with that tracking number."), field="number")
