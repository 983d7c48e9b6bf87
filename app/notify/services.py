"""Notification use cases: save an account's settings, follow and unfollow a policy, confirm a follow made
by email, unsubscribe with one click, queue the "closes in 3 days" reminders.

Each takes the session first, flushes and never commits, and raises `NotifyError` (an InputError) or a
`LinkError` for a link that cannot be used. Mail is only ever queued (`app.notify.queue.enqueue`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from flask_babel import gettext as _
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth import tokens as auth_tokens
from app.auth.services import LinkError, clean_email, normalise_email
from app.exceptions import InputError
from app.models import (
    KINDS,
    NotificationKind,
    NotificationSettings,
    OutboxMessage,
    Policy,
    PolicyFollow,
    User,
    Version,
    VersionStatus,
)
from app.models.base import utcnow
from app.notify import tokens
from app.notify.queue import enqueue

CLOSING_NOTICE = dt.timedelta(days=3)


class NotifyError(InputError):
    """A follow or a setting that cannot be saved; `field` names the form field."""

    code = "invalid-notification-input"


class NotifyLinkError(LinkError):
    """A follow-confirmation or unsubscribe link that cannot be used, shown on its own page."""

    template: ClassVar[str] = "notify/link_problem.html"


def _link_error(error: auth_tokens.TokenError, purpose: str) -> NotifyLinkError:
    if isinstance(error, auth_tokens.TokenExpired):
        return NotifyLinkError(_("This link has expired."), purpose, expired=True)
    return NotifyLinkError(_("This link is not valid. It may have been copied only in part."), purpose)


# --- settings -------------------------------------------------------------------------------------------------


def get_settings(session: Session, user: User) -> NotificationSettings:
    """The account's settings row, created with the defaults when it has none yet."""
    settings = session.get(NotificationSettings, user.id)
    if settings is None:
        settings = NotificationSettings(
            user_id=user.id,
            receipt=True,
            reply=True,
            response=True,
            moderation=True,
            new_version=True,
            closing=True,
            digest=False,
            locale="en",
        )
        session.add(settings)
        session.flush()
    return settings


def save_settings(
    session: Session, user: User, wanted: set[str], digest: bool, locale: str
) -> NotificationSettings:
    """Turn on exactly the kinds in `wanted`; `digest` gathers them into one mail a day."""
    unknown = wanted - KINDS
    if unknown:
        raise NotifyError(_("Choose from the notifications listed."), status=400)
    settings = get_settings(session, user)
    for kind in KINDS:
        setattr(settings, kind, kind in wanted)
    settings.digest = digest
    settings.locale = locale
    settings.updated_at = utcnow()
    session.flush()
    return settings


# --- following ------------------------------------------------------------------------------------------------


def follow_of(session: Session, policy: Policy, user: User) -> PolicyFollow | None:
    return session.scalar(
        select(PolicyFollow).where(PolicyFollow.policy_id == policy.id, PolicyFollow.user_id == user.id)
    )


def follow_policy(session: Session, user: User, policy: Policy, locale: str) -> PolicyFollow:
    """Follow a policy from an account (its address is confirmed by the account); twice is once."""
    existing = follow_of(session, policy, user)
    if existing is not None:
        return existing
    follow = PolicyFollow(policy_id=policy.id, user_id=user.id, confirmed_at=utcnow(), locale=locale)
    try:
        with session.begin_nested():
            session.add(follow)
    except IntegrityError:  # the same account followed at the same moment in another request
        return session.scalars(
            select(PolicyFollow).where(PolicyFollow.policy_id == policy.id, PolicyFollow.user_id == user.id)
        ).one()
    return follow


def unfollow_policy(session: Session, user: User, policy: Policy) -> bool:
    """Stop following; return whether there was a follow to stop."""
    result = session.execute(
        delete(PolicyFollow).where(PolicyFollow.policy_id == policy.id, PolicyFollow.user_id == user.id)
    )
    session.flush()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def follow_by_email(session: Session, policy: Policy, email: str, locale: str) -> None:
    """Ask to follow without an account: queue a confirmation link (double opt-in); nothing is sent until then.

    The answer is the same whether or not the address already follows, so the form reveals nothing; an address
    that already follows gets no second mail.
    """
    address = clean_email(email)
    follow = session.scalar(
        select(PolicyFollow).where(PolicyFollow.policy_id == policy.id, PolicyFollow.email == address)
    )
    if follow is None:
        follow = PolicyFollow(policy_id=policy.id, email=address, locale=locale)
        try:
            with session.begin_nested():
                session.add(follow)
        except IntegrityError:
            return  # the same address asked at the same moment: that request sends the link
    elif follow.confirmed_at is not None:
        return
    enqueue(session, "confirm_follow", {"follow_id": follow.id}, locale=locale)


def follow_for_token(session: Session, secret_key: str, token: str) -> PolicyFollow:
    try:
        follow_id, email = tokens.read_follow_token(secret_key, token)
    except auth_tokens.TokenError as error:
        raise _link_error(error, "follow") from None
    follow = session.get(PolicyFollow, follow_id)
    if follow is None or follow.email != email:
        raise _link_error(auth_tokens.TokenInvalid("gone"), "follow")
    return follow


def confirm_follow(session: Session, secret_key: str, token: str) -> PolicyFollow:
    """Confirm a follow made by email; confirming twice is harmless."""
    follow = follow_for_token(session, secret_key, token)
    if follow.confirmed_at is None:
        follow.confirmed_at = utcnow()
        session.flush()
    return follow


# --- unsubscribing --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unsubscribed:
    """What an unsubscribe link stopped, said in words on its page."""

    what: str  # a NotificationKind value, "all", or "follow"
    policy_title: str | None = None


def read_unsubscribe(secret_key: str, token: str) -> tokens.Unsubscribe:
    try:
        return tokens.read_unsubscribe_token(secret_key, token)
    except auth_tokens.TokenError as error:
        raise _link_error(error, "unsubscribe") from None


def describe_unsubscribe(session: Session, claim: tokens.Unsubscribe) -> Unsubscribed:
    """What the link would stop (for the page that asks for the one click)."""
    if claim.follow_id is not None:
        follow = session.get(PolicyFollow, claim.follow_id)
        return Unsubscribed("follow", follow.policy.title if follow is not None else None)
    return Unsubscribed(claim.kind or tokens.ALL)


def unsubscribe(session: Session, secret_key: str, token: str) -> Unsubscribed:
    """Stop what the link names. Idempotent: a second click (or a gone follow) changes nothing and succeeds."""
    claim = read_unsubscribe(secret_key, token)
    if claim.follow_id is not None:
        follow = session.get(PolicyFollow, claim.follow_id)
        title = follow.policy.title if follow is not None else None
        if follow is not None:
            session.delete(follow)
            session.flush()
        return Unsubscribed("follow", title)
    user = session.get(User, claim.user_id) if claim.user_id is not None else None
    kind = claim.kind or tokens.ALL
    if kind != tokens.ALL and kind not in KINDS:
        raise _link_error(auth_tokens.TokenInvalid("kind"), "unsubscribe")
    if user is not None:
        settings = get_settings(session, user)
        for each in KINDS if kind == tokens.ALL else {kind}:
            setattr(settings, each, False)
        if kind == tokens.ALL:
            settings.digest = False
        settings.updated_at = utcnow()
        session.flush()
    return Unsubscribed(kind)


# --- reminders ------------------------------------------------------------------------------------------------


def queue_closing_reminders(session: Session, now: dt.datetime | None = None) -> int:
    """Queue "closes in 3 days" for every public version whose period ends within 3 days; once per version.

    Idempotent: the outbox's dedupe key (`closing:<version id>`) makes a second run, or two at once, add
    nothing. Run it daily or hourly (`flask notify closing`).
    """
    now = now or utcnow()
    versions = session.scalars(
        select(Version).where(
            Version.status != VersionStatus.WORKING.value,
            Version.comments_close_at.is_not(None),
            Version.comments_close_at > now,
            Version.comments_close_at <= now + CLOSING_NOTICE,
            or_(Version.comments_open_at.is_(None), Version.comments_open_at <= now),
        )
    )
    queued = 0
    for version in versions:
        row = enqueue(
            session,
            NotificationKind.CLOSING.value,
            {"version_id": version.id},
            dedupe_key=f"closing:{version.id}",
        )
        queued += row is not None
    return queued


# --- privacy --------------------------------------------------------------------------------------------------


def follows_of(session: Session, user: User) -> list[PolicyFollow]:
    """The account's follows, and those made by email with its address (before or without signing in)."""
    return list(
        session.scalars(
            select(PolicyFollow)
            .where(or_(PolicyFollow.user_id == user.id, PolicyFollow.email == normalise_email(user.email)))
            .order_by(PolicyFollow.id)
        )
    )


def export_notifications(session: Session, user: User) -> dict[str, object]:
    settings = session.get(NotificationSettings, user.id)
    return {
        "settings": None
        if settings is None
        else {
            **{kind: bool(getattr(settings, kind)) for kind in sorted(KINDS)},
            "daily_digest": settings.digest,
            "language": settings.locale,
        },
        "follows": [
            {
                "policy": follow.policy.slug,
                "by": "account" if follow.user_id is not None else "email",
                "confirmed_at": follow.confirmed_at.isoformat() if follow.confirmed_at else None,
                "since": follow.created_at.isoformat() if follow.created_at else None,
            }
            for follow in follows_of(session, user)
        ],
    }


def forget_notifications(session: Session, user: User) -> None:
    """Delete the account's settings, follows (also those by its address) and mail still waiting for it."""
    for follow in follows_of(session, user):
        session.delete(follow)
    settings = session.get(NotificationSettings, user.id)
    if settings is not None:
        session.delete(settings)
    session.execute(delete(OutboxMessage).where(OutboxMessage.user_id == user.id))
    session.flush()
