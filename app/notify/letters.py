"""What each outbox row becomes: who gets which letter, and how a letter becomes a MIME message.

Runs in the queue worker only (`app.notify.queue.deliver`), inside a request context built from the configured
public URL (KORERO_PUBLIC_URL), so every link in a letter points at the real site whatever Host header any
request carried. Each letter is rendered in its reader's language, as plain text and HTML, and every
notification carries a one-click unsubscribe (RFC 8058): `List-Unsubscribe` with an https link and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from babel.dates import format_datetime
from flask import current_app, render_template, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.auth import services as auth_services
from app.drafts.parsing import NZ
from app.mail import build_message
from app.models import (
    Answer,
    Comment,
    CommentState,
    NotificationKind,
    NotificationSettings,
    OutboxMessage,
    OutboxStatus,
    PolicyFollow,
    Response,
    Submission,
    User,
    Version,
)
from app.models.base import utcnow
from app.notify import tokens
from app.submissions.visibility import public_text


@dataclass
class Letter:
    """One message to one person, before rendering."""

    to: str
    subject: str
    template: str  # notify/email/<template>.txt and .html
    context: dict[str, Any]
    locale: str = "en"
    unsubscribe: tokens.Unsubscribe | None = None
    user_id: int | None = None
    digest: bool = False  # held for this person's daily digest instead of sent now
    extra: dict[str, Any] = field(default_factory=dict)


def public_base() -> str:
    config = current_app.config
    if config.get("PUBLIC_URL"):
        return str(config["PUBLIC_URL"]).rstrip("/")
    if config.get("SERVER_NAME"):
        return f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{config['SERVER_NAME']}"
    return "http://localhost:5000"  # development without KORERO_PUBLIC_URL (production requires it)


@contextmanager
def public_request_context() -> Iterator[None]:
    """A request context on the public URL, for `url_for` and the templates outside any real request."""
    with current_app.test_request_context("/", base_url=public_base()):
        yield


def link(endpoint: str, **values: Any) -> str:
    """An absolute link from the public URL (never from any request's Host header)."""
    return public_base() + url_for(endpoint, **values)


def secret_key() -> str:
    return str(current_app.config["SECRET_KEY"])


# --- whom to tell ---------------------------------------------------------------------------------------------


def settings_for(session: Session, user: User) -> NotificationSettings:
    """An account's settings (the defaults when it never saved any); not added to the session."""
    found = session.get(NotificationSettings, user.id)
    return found or NotificationSettings(
        user_id=user.id,
        receipt=True,
        reply=True,
        response=True,
        moderation=True,
        new_version=True,
        closing=True,
        digest=False,
        locale=current_app.config["BABEL_DEFAULT_LOCALE"],
    )


def _for_account(
    session: Session, user: User | None, kind: NotificationKind, subject: str, template: str, **context: Any
) -> list[Letter]:
    """A letter of `kind` to `user`, if it wants that kind and may still be mailed."""
    if user is None or not user.is_active:
        return []
    settings = settings_for(session, user)
    if not settings.wants(kind.value):
        return []
    return [
        Letter(
            to=user.email,
            subject=subject,
            template=template,
            context={"name": user.display_name, **context},
            locale=settings.locale,
            unsubscribe=tokens.Unsubscribe(user_id=user.id, kind=kind.value),
            user_id=user.id,
            digest=settings.digest and kind is not NotificationKind.RECEIPT,
        )
    ]


def _followers(
    session: Session, policy_id: int, kind: NotificationKind
) -> Iterator[tuple[PolicyFollow, str, str, bool]]:
    """(follow, address, locale, digest) of everyone who follows the policy and wants `kind`."""
    follows = session.scalars(
        select(PolicyFollow)
        .where(PolicyFollow.policy_id == policy_id, PolicyFollow.confirmed_at.is_not(None))
        .order_by(PolicyFollow.id)
    )
    for follow in follows:
        if follow.user_id is not None:
            user = session.get(User, follow.user_id)
            if user is None or not user.is_active:
                continue
            settings = settings_for(session, user)
            if settings.wants(kind.value):
                yield follow, user.email, settings.locale, settings.digest
        elif follow.email:
            yield follow, follow.email, follow.locale, False


def _comment_context(comment: Comment) -> dict[str, Any]:
    version = comment.version
    return {
        "number": comment.tracking_number,
        "policy": version.policy.title,
        "version": version.label,
        "clause": comment.clause.number,
        "thread": link("comments.thread", comment_id=comment.parent_id or comment.id),
        "receipt": link("comments.receipt", tracking_number=comment.tracking_number),
    }


def _comment(session: Session, comment_id: object) -> Comment | None:
    """A comment with what every letter about it shows (its author, clause, version and policy) in one query."""
    if not isinstance(comment_id, int):
        return None
    return session.scalar(
        select(Comment)
        .where(Comment.id == comment_id)
        .options(joinedload(Comment.user), joinedload(Comment.clause), joinedload(Comment.version))
    )


def _receipt(session: Session, row: OutboxMessage) -> list[Letter]:
    comment = _comment(session, row.payload.get("comment_id"))
    if comment is None or comment.user is None:
        return []
    return _for_account(
        session,
        comment.user,
        NotificationKind.RECEIPT,
        _("Your comment %(number)s is received", number=comment.tracking_number),
        "receipt",
        body=comment.body,
        held=comment.state == CommentState.HELD.value,
        **_comment_context(comment),
    )


def _reply(session: Session, row: OutboxMessage) -> list[Letter]:
    reply = _comment(session, row.payload.get("comment_id"))
    if reply is None or reply.parent is None or reply.state != CommentState.PUBLISHED.value:
        return []
    if not reply.may_publish:
        return []  # its author asked us not to publish it: the parent's author is the public here
    parent = reply.parent
    if parent.user is None or parent.user_id == reply.user_id:
        return []
    return _for_account(
        session,
        parent.user,
        NotificationKind.REPLY,
        _("A reply to your comment %(number)s", number=parent.tracking_number),
        "reply",
        body=public_text(reply),  # the parent's author reads it as the public does
        **_comment_context(parent),
    )


def _response(session: Session, row: OutboxMessage) -> list[Letter]:
    response = session.get(Response, row.payload.get("response_id"))
    if response is None:
        return []
    if response.comment_id is not None:
        comments = [response.comment] if response.comment is not None else []
    elif response.submission_id is not None or response.answer_id is not None:
        return _submission_response(session, response)
    elif response.campaign_group_id is None:
        return []  # no target: never read as "every comment with no group"
    else:
        comments = list(
            session.scalars(
                select(Comment)
                .where(Comment.campaign_group_id == response.campaign_group_id)
                .order_by(Comment.id)
            )
        )
    letters: list[Letter] = []
    seen: set[int] = set()
    for comment in comments:
        if comment is None or comment.user is None or comment.user_id in seen:
            continue
        seen.add(comment.user.id)
        letters += _for_account(
            session,
            comment.user,
            NotificationKind.RESPONSE,
            _("The drafters responded to your comment %(number)s", number=comment.tracking_number),
            "response",
            outcome=response.outcome,
            text=response.text,
            **_comment_context(comment),
        )
    return letters


def _submission_response(session: Session, response: Response) -> list[Letter]:
    """The letter to whoever made the answered submission (or the submission of the answered answer).

    Only to an account the submission is credited to, and only if that account wants response letters (its
    notification settings, as for comments). An offline submitter without an account gave a contact for the
    receipt, not a request to be told of responses, so nothing is sent to it; nor to the staff who entered it.
    """
    question = None
    submission: Submission | None = None
    if response.answer_id is not None:
        answer = session.get(Answer, response.answer_id)
        if answer is not None:
            submission, question = answer.submission, answer.question.prompt
    elif response.submission_id is not None:
        submission = session.get(Submission, response.submission_id)
    if submission is None or submission.is_draft or submission.user is None:
        return []
    version = submission.version
    return _for_account(
        session,
        submission.user,
        NotificationKind.RESPONSE,
        _("The drafters responded to your submission %(number)s", number=submission.tracking_number),
        "submission_response",
        outcome=response.outcome,
        text=response.text,
        question=question,
        number=submission.tracking_number,
        policy=version.policy.title,
        version=version.label,
        receipt=link("submissions.receipt", tracking_number=submission.tracking_number),
    )


def _moderation(session: Session, row: OutboxMessage) -> list[Letter]:
    comment = _comment(session, row.payload.get("comment_id"))
    if comment is None or comment.user is None:
        return []
    return _for_account(
        session,
        comment.user,
        NotificationKind.MODERATION,
        _("A moderator's decision about your comment %(number)s", number=comment.tracking_number),
        "moderation",
        action=str(row.payload.get("action", "")),
        reason=comment.moderation_reason,
        **_comment_context(comment),
    )


def _nz_moment(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return format_datetime(moment, "d MMMM y, h:mm a", tzinfo=NZ, locale=str(get_locale() or "en"))


def _version_letters(
    session: Session,
    row: OutboxMessage,
    kind: NotificationKind,
    subject: Callable[[Version], str],
    template: str,
) -> list[Letter]:
    version = session.get(Version, row.payload.get("version_id"))
    if version is None or not version.is_public:
        return []
    context = {
        "policy": version.policy.title,
        "version": version.label,
        "change_note": version.change_note,
        "closes_at": _nz_moment(version.comments_close_at),
        "url": link("drafts.version", policy_slug=version.policy.slug, version_slug=version.slug),
    }
    letters = []
    for follow, address, locale, digest in _followers(session, version.policy_id, kind):
        letters.append(
            Letter(
                to=address,
                subject=subject(version),
                template=template,
                context=context,
                locale=locale,
                # One click stops this follow (the account page turns off a kind for every policy).
                unsubscribe=tokens.Unsubscribe(follow_id=follow.id),
                user_id=follow.user_id,
                digest=digest,
            )
        )
    return letters


def _new_version(session: Session, row: OutboxMessage) -> list[Letter]:
    return _version_letters(
        session,
        row,
        NotificationKind.NEW_VERSION,
        lambda v: _("New version of %(policy)s: %(version)s", policy=v.policy.title, version=v.label),
        "new_version",
    )


def _closing(session: Session, row: OutboxMessage) -> list[Letter]:
    return _version_letters(
        session,
        row,
        NotificationKind.CLOSING,
        lambda v: _("%(policy)s closes for comment in 3 days", policy=v.policy.title),
        "closing",
    )


def _confirm_follow(session: Session, row: OutboxMessage) -> list[Letter]:
    follow = session.get(PolicyFollow, row.payload.get("follow_id"))
    if follow is None or follow.email is None or follow.confirmed_at is not None:
        return []
    token = tokens.make_follow_token(secret_key(), follow.id, follow.email)
    return [
        Letter(
            to=follow.email,
            subject=_("Confirm that you want news of %(policy)s", policy=follow.policy.title),
            template="confirm_follow",
            context={"policy": follow.policy.title, "url": link("notify.confirm_follow", token=token)},
            locale=follow.locale,
        )
    ]


def _password_reset(session: Session, row: OutboxMessage) -> list[Letter]:
    """The reset link, if the address has an active account; nothing otherwise (the request could not tell)."""
    user = auth_services.get_user_by_email(session, str(row.payload.get("email", "")))
    if user is None or not user.is_active:
        return []
    token = auth_services.reset_token(secret_key(), user)
    return [
        Letter(
            to=user.email,
            subject=_("Reset your %(site)s password", site=current_app.config["SITE_NAME"]),
            template="reset",
            context={"user": user, "link": link("auth.reset_password", token=token)},
            locale=row.locale,
        )
    ]


def _account_letter(session: Session, row: OutboxMessage) -> list[Letter]:
    """The confirmation link of a new account, or the warning that someone tried to register its address."""
    user = session.get(User, row.payload.get("user_id"))
    if user is None or not user.is_active:
        return []
    site = current_app.config["SITE_NAME"]
    if row.kind == "confirm_email":
        if user.is_verified:
            return []
        token = auth_services.email_token(secret_key(), user)
        return [
            Letter(
                to=user.email,
                subject=_("Confirm your email address for %(site)s", site=site),
                template="confirm_email",
                context={"user": user, "link": link("auth.verify_email", token=token), "days": 3},
                locale=row.locale,
            )
        ]
    return [
        Letter(
            to=user.email,
            subject=_("Someone tried to register with your email address"),
            template="already_registered",
            context={"user": user, "login": link("auth.login"), "reset": link("auth.forgot_password")},
            locale=row.locale,
        )
    ]


def _digest(session: Session, row: OutboxMessage) -> list[Letter]:
    user = session.get(User, row.user_id) if row.user_id is not None else None
    if user is None or not user.is_active:
        return []
    items = row.payload.get("items", [])
    if not items:
        return []
    settings = settings_for(session, user)
    return [
        Letter(
            to=user.email,
            subject=_("Your daily %(site)s digest", site=current_app.config["SITE_NAME"]),
            template="digest",
            context={"name": user.display_name, "items": items},
            locale=settings.locale,
            unsubscribe=tokens.Unsubscribe(user_id=user.id, kind=tokens.ALL),
            user_id=user.id,
        )
    ]


HANDLERS: dict[str, Callable[[Session, OutboxMessage], list[Letter]]] = {
    NotificationKind.RECEIPT.value: _receipt,
    NotificationKind.REPLY.value: _reply,
    NotificationKind.RESPONSE.value: _response,
    NotificationKind.MODERATION.value: _moderation,
    NotificationKind.NEW_VERSION.value: _new_version,
    NotificationKind.CLOSING.value: _closing,
    "confirm_follow": _confirm_follow,
    "password_reset": _password_reset,
    "confirm_email": _account_letter,
    "already_registered": _account_letter,
    "digest": _digest,
}


def letters_for(session: Session, row: OutboxMessage) -> list[Letter]:
    handler = HANDLERS.get(row.kind)
    if handler is None:
        raise ValueError(f"no handler for outbox kind {row.kind!r}")
    return handler(session, row)


# --- digests --------------------------------------------------------------------------------------------------


def store_digest_item(session: Session, letter: Letter) -> None:
    """Hold a letter (as its subject, a line and a link) for its reader's next daily digest."""
    with public_request_context(), force_locale(letter.locale):
        text = render_template(f"notify/email/{letter.template}.txt", **letter.context, digest_item=True)
    session.add(
        OutboxMessage(
            kind="digest_item",
            payload={"subject": letter.subject, "text": text.strip()},
            user_id=letter.user_id,
            locale=letter.locale,
            status=OutboxStatus.HELD.value,
        )
    )
    session.flush()


def queue_digests(session: Session) -> int:
    """Gather every held digest item into one digest per account (queued for the worker); return how many."""
    from app.notify.queue import enqueue

    held = list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.HELD.value, OutboxMessage.kind == "digest_item")
            .order_by(OutboxMessage.user_id, OutboxMessage.id)
        )
    )
    by_user: dict[int, list[OutboxMessage]] = {}
    for item in held:
        if item.user_id is not None:
            by_user.setdefault(item.user_id, []).append(item)
    now = utcnow()
    for user_id, items in by_user.items():
        enqueue(
            session,
            "digest",
            {"items": [item.payload for item in items]},
            user_id=user_id,
            locale=items[-1].locale,
        )
        for item in items:
            item.status = OutboxStatus.DONE.value
            item.done_at = now
    session.flush()
    return len(by_user)


# --- rendering ------------------------------------------------------------------------------------------------


def render_letter(letter: Letter) -> EmailMessage:
    """The MIME message: plain text and HTML alternatives, and the unsubscribe headers of RFC 8058."""
    context = dict(letter.context)
    unsubscribe_url = None
    if letter.unsubscribe is not None:
        unsubscribe_url = link(
            "notify.unsubscribe", token=tokens.make_unsubscribe_token(secret_key(), letter.unsubscribe)
        )
        context["unsubscribe_url"] = unsubscribe_url
        context["settings_url"] = link("auth.account", _anchor="notifications")
    text = render_template(f"notify/email/{letter.template}.txt", **context)
    body_html = render_template(
        "notify/email/layout.html",
        subject=letter.subject,
        content=render_template(f"notify/email/{letter.template}.html", **context),
        lang=letter.locale,
        **context,
    )
    message = build_message(letter.to, letter.subject, text)
    message.add_alternative(body_html, subtype="html")
    if unsubscribe_url is not None:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Content-Language"] = letter.locale
    return message
