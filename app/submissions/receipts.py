"""Receipts by email: a sent submission's tracking number and link, mailed once it is committed."""

from __future__ import annotations

from flask import has_request_context, url_for
from flask_babel import gettext as _

from app.boundary import after_commit
from app.mail import send_mail
from app.models import Submission


def _looks_like_email(value: str | None) -> bool:
    text = (value or "").strip()
    return 3 < len(text) <= 320 and "@" in text and " " not in text and "\n" not in text


def mail_receipt_after_commit(submission: Submission, to: str | None) -> None:
    """Queue the receipt mail for after the commit (never when the request rolls back)."""
    if not _looks_like_email(to):
        return
    number = submission.tracking_number
    title = submission.version.policy.title
    label = submission.version.label
    link = (
        url_for("submissions.receipt", tracking_number=number, _external=True)
        if has_request_context()
        else ""
    )

    def send() -> None:
        body = _(
            "Thank you for your submission on %(title)s (%(label)s).\n\nYour tracking number is %(number)s.\n%(link)s\n\nKeep this number to find your submission and what the drafting team says about it.",
            title=title,
            label=label,
            number=number,
            link=link,
        )
        send_mail(str(to), _("Your submission %(number)s", number=number), body)

    after_commit(send)
