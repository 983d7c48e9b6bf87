"""Privacy use cases: export everything we hold about an account; delete the account.

Deleting keeps the public record honest without keeping the person: comments are either erased (a tombstone
says "Removed at the author's request") or kept with no link to anyone; then the account row goes, and every
reference to it is cut (the foreign keys are ON DELETE SET NULL; we null them here too, explicitly).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from app.auth.services import MAX_PASSWORD_LENGTH, login_throttles, verify_password
from app.comments.campaigns import fingerprint
from app.exceptions import InputError
from app.models import (
    AuditEvent,
    Comment,
    CommentPlacement,
    CommentReport,
    CommentState,
    DisplayAs,
    Response,
    User,
    audit,
)
from app.models.base import utcnow
from app.moderation.services import refresh_clause_counts
from app.notify import services as notify_services
from app.submissions.privacy import export_submissions, forget_submissions

EXPORT_FORMAT = "korero-account-export/1"
ACTION_ACCOUNT_DELETED = "account.deleted"
DELETED_ACCOUNT = "[deleted account]"
EMPTY_FINGERPRINT = fingerprint("")  # what a withdrawn comment's fingerprint is (see comments.services)


class PrivacyError(InputError):
    """A privacy request that cannot be done as asked; `field` names the form field the message belongs to."""

    code = "privacy-refused"

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field)


class CommentChoice(enum.StrEnum):
    REMOVE = "remove"  # erase the bodies; tombstones stay so replies and counts still make sense
    ANONYMISE = "anonymise"  # keep the words, cut the link to the person


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _actor_label(event: AuditEvent, user: User) -> str:
    if event.actor_id is None:
        return "automatic"
    if event.actor_id == user.id:
        return "you"
    return "staff"


def export_account(session: Session, user: User) -> dict[str, Any]:
    """Everything Kōrero holds about `user`, as plain JSON-ready data (never the password hash)."""
    comments = list(
        session.scalars(
            select(Comment)
            .where(Comment.user_id == user.id)
            .order_by(Comment.id)
            .options(
                selectinload(Comment.version),
                selectinload(Comment.clause),
                selectinload(Comment.parent),
            )
        )
    )
    comment_ids = [c.id for c in comments]
    reports = list(
        session.scalars(
            select(CommentReport)
            .where(CommentReport.reporter_id == user.id)
            .order_by(CommentReport.id)
            .options(selectinload(CommentReport.comment))
        )
    )
    about = [(AuditEvent.target_type == "user") & (AuditEvent.target_id == user.id)]
    if comment_ids:
        about.append((AuditEvent.target_type == "comment") & AuditEvent.target_id.in_(comment_ids))
    events = list(session.scalars(select(AuditEvent).where(or_(*about)).order_by(AuditEvent.id)))
    responses = list(
        session.scalars(select(Response).where(Response.author_id == user.id).order_by(Response.id))
    )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(utcnow()),
        "account": {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "created_at": _iso(user.created_at),
            "email_verified_at": _iso(user.email_verified_at),
            "suspended_at": _iso(user.suspended_at),
            "suspended_reason": user.suspended_reason,
            "failed_sign_ins": [
                {"failures": t.failures, "locked_until": _iso(t.locked_until), "at": _iso(t.updated_at)}
                for t in login_throttles(session, user)
            ],
            "not_included": "your password hash and session token: they are secrets, not information about you",
        },
        "comments": [
            {
                "tracking_number": c.tracking_number,
                "policy": c.version.policy.slug,
                "version": c.version.label,
                "version_slug": c.version.slug,
                "clause_key": c.clause.key,
                "clause_number": c.clause.number,
                "in_reply_to": c.parent.tracking_number if c.parent is not None else None,
                "body": c.body,
                "anchor": None
                if c.quote_exact is None
                else {
                    "exact": c.quote_exact,
                    "prefix": c.quote_prefix,
                    "suffix": c.quote_suffix,
                    "start": c.quote_start,
                    "end": c.quote_end,
                },
                "shown_as": c.display_as,
                "state": c.state,
                "moderation_reason": c.moderation_reason,
                "created_at": _iso(c.created_at),
                "edited_at": _iso(c.edited_at),
                "withdrawn_at": _iso(c.withdrawn_at),
            }
            for c in comments
        ],
        "submissions": export_submissions(session, user),
        "reports_made": [
            {
                "comment": r.comment.tracking_number,
                "reason": r.reason,
                "created_at": _iso(r.created_at),
                "resolved_at": _iso(r.resolved_at),
            }
            for r in reports
        ],
        "responses_written": [
            {"outcome": r.outcome, "text": r.text, "created_at": _iso(r.created_at)} for r in responses
        ],
        "notifications": notify_services.export_notifications(session, user),
        "audit_events": [
            {
                "action": e.action,
                "about": e.target_type,
                "comment": next((c.tracking_number for c in comments if c.id == e.target_id), None)
                if e.target_type == "comment"
                else None,
                "by": _actor_label(e, user),
                "reason": e.reason,
                "at": _iso(e.created_at),
            }
            for e in events
        ],
    }


@dataclass(frozen=True)
class DeletionReport:
    """What deleting an account did (nothing in it identifies the person)."""

    comments: int
    choice: CommentChoice


def _scrub(text: str, needles: list[str]) -> str:
    for needle in needles:
        text = re.sub(re.escape(needle), DELETED_ACCOUNT, text, flags=re.IGNORECASE)
    return text


def _scrub_value(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        return _scrub(value, needles)
    if isinstance(value, dict):
        return {k: _scrub_value(v, needles) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_value(v, needles) for v in value]
    return value


def _erase_comment(comment: Comment, moment: dt.datetime) -> None:
    comment.body = ""
    comment.body_html = ""
    comment.fingerprint_hash = EMPTY_FINGERPRINT
    comment.state = CommentState.WITHDRAWN.value
    comment.withdrawn_at = comment.withdrawn_at or moment
    comment.moderation_reason = None


def delete_account(session: Session, user: User, password: str | None, choice: str | None) -> DeletionReport:
    """Delete `user` after checking their password; erase or anonymise their comments as they chose."""
    try:
        chosen = CommentChoice(choice or "")
    except ValueError:
        raise PrivacyError(_("Choose what should happen to your comments."), "comments") from None
    password = password or ""
    if not password or len(password) > MAX_PASSWORD_LENGTH or not verify_password(user, password):
        raise PrivacyError(_("That password is not right. Enter the password you sign in with."), "password")

    moment = utcnow()
    comments = list(session.scalars(select(Comment).where(Comment.user_id == user.id)))
    clause_ids = {c.clause_id for c in comments}
    for comment in comments:
        if chosen is CommentChoice.REMOVE:
            _erase_comment(comment, moment)
        comment.user_id = None
        if comment.display_as == DisplayAs.NAME.value:  # "do not publish" stays unpublished
            comment.display_as = DisplayAs.ANONYMOUS.value

    forget_submissions(session, user, chosen is CommentChoice.REMOVE, moment)
    # Cut every other reference (the foreign keys would too; doing it here keeps the session's objects true).
    for report in session.scalars(select(CommentReport).where(CommentReport.reporter_id == user.id)):
        report.reporter_id = None
    for comment in session.scalars(select(Comment).where(Comment.moderated_by_id == user.id)):
        comment.moderated_by_id = None
    for placement in session.scalars(
        select(CommentPlacement).where(CommentPlacement.confirmed_by_id == user.id)
    ):
        placement.confirmed_by_id = None
    for response in session.scalars(select(Response).where(Response.author_id == user.id)):
        response.author_id = None
    needles = [user.email]
    if len(user.display_name) >= 3:
        needles.append(user.display_name)
    for event in session.scalars(
        select(AuditEvent).where(
            or_(
                AuditEvent.actor_id == user.id,
                (AuditEvent.target_type == "user") & (AuditEvent.target_id == user.id),
            )
        )
    ):
        if event.actor_id == user.id:
            event.actor_id = None
        if event.target_type == "user" and event.target_id == user.id:
            # Moderation decisions stay on the record, but no longer point at anyone.
            event.target_id = None
            event.reason = _scrub(event.reason, needles)
            event.details = _scrub_value(dict(event.details or {}), needles)

    notify_services.forget_notifications(session, user)
    session.flush()
    session.delete(user)
    session.flush()
    audit(
        session,
        None,
        ACTION_ACCOUNT_DELETED,
        "user",
        None,
        "deleted at the account holder's request",
        comments=chosen.value,
        comment_count=len(comments),
    )
    if chosen is CommentChoice.REMOVE:
        refresh_clause_counts(session, clause_ids)
    session.flush()
    return DeletionReport(comments=len(comments), choice=chosen)


__all__ = [
    "CommentChoice",
    "DeletionReport",
    "PrivacyError",
    "delete_account",
    "export_account",
]
