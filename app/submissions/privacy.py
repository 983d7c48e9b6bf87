"""Submissions in an account's data export and deletion (called by `app.privacy.services`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.models import Consent, Submission, SubmissionState, User
from app.submissions.listing import user_submissions


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_submissions(session: Session, user: User) -> list[dict[str, Any]]:
    """Every submission credited to `user`, drafts too, with answers and the files' names and text."""
    return [
        {
            "tracking_number": s.tracking_number,
            "policy": s.version.policy.slug,
            "version_slug": s.version.slug,
            "state": s.state,
            "channel": s.channel,
            "received_on": _iso(s.received_on),
            "name_given": s.submitter_name,
            "as": s.submitter_kind,
            "organisation": s.organisation_name,
            "organisation_kind": s.organisation_kind,
            "region": s.region,
            "consent": s.consent,
            "body": s.body,
            "sections": list(s.section_keys),
            "answers": [{"question": a.question.prompt, "answer": a.as_value()} for a in s.answers],
            "attachments": [
                {"filename": a.filename, "kind": a.kind, "bytes": a.size_bytes, "text": a.text}
                for a in s.attachments
            ],
            "created_at": _iso(s.created_at),
            "submitted_at": _iso(s.submitted_at),
            "edited_at": _iso(s.edited_at),
        }
        for s in user_submissions(session, user.id)
    ]


def forget_submissions(session: Session, user: User, remove: bool, moment: dt.datetime) -> int:
    """Erase (remove) or anonymise the submissions credited to `user`; cut every staff reference to them."""
    submissions = list(session.scalars(select(Submission).where(Submission.user_id == user.id)))
    for submission in submissions:
        if remove or submission.is_draft:
            submission.body = ""
            submission.body_html = ""
            submission.state = SubmissionState.WITHDRAWN.value
            submission.withdrawn_at = submission.withdrawn_at or moment
            submission.answers.clear()
            submission.attachments.clear()
            submission.organisation_name = None
            submission.region = None
        elif submission.consent == Consent.NAMED.value:
            submission.consent = Consent.ANONYMOUS.value
        submission.user_id = None
        submission.submitter_name = ""
        submission.submitter_contact = None
    for column in (
        Submission.entered_by_id,
        Submission.moderated_by_id,
        Submission.organisation_confirmed_by_id,
    ):
        session.execute(
            update(Submission)
            .where(column == user.id)
            .values({column.key: None})
            .execution_options(synchronize_session="fetch")
        )
    session.flush()
    return len(submissions)


__all__ = ["export_submissions", "forget_submissions", "or_"]
