"""Test data made the way production makes it: factory_boy factories that call the services.

`UserFactory` creates accounts through `app.auth.services.create_user` (clean email and name, hashed password);
`CommentFactory` posts through `app.comments.services.post_comment`, so fingerprints, campaign groups and the
clauses' kept counts are what a real post leaves. Each takes the session as its first argument
(`UserFactory(session=session, role="drafter")`). The small functions below (`make_user`, `make_comment`, …) are the
names the tests call; they are thin wrappers over the factories.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import factory
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.services import create_user
from app.comments.services import QuoteInput, post_comment, post_reply, withdraw_comment
from app.drafts.parsing import parse_draft
from app.drafts.services import store_version
from app.models import Clause, Comment, CommentState, Policy, Role, User, Version
from app.moderation.services import refresh_clause_counts

PASSWORD = "correct horse battery"

SMALL_DRAFT = """---
title: {title}
version: {label}
status: {status}
date: 2019-01-10
{period}---
# {title}

## Purpose {{#purpose}}

1. This policy explains how agencies look after information about people. {{#purpose-1}}
2. It applies to every agency that collects or uses that information. {{#purpose-2}}

## Principles {{#principles}}

- Put people first when deciding what to collect. {{#principles-1}}
- Be open about what is collected and why. {{#principles-2}}
"""


class UserFactory(factory.Factory):
    """An account, created by the auth service: `UserFactory(session=session, role=...)`."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    password = PASSWORD
    role = Role.COMMENTER.value
    verified = True

    @classmethod
    def _create(cls, model_class: type[User], session: Session, **fields: Any) -> User:
        return create_user(session, **fields)


class CommentFactory(factory.Factory):
    """A comment, posted by the comments service: `CommentFactory(session=session, user=..., clause=...)`.

    `parent` makes a reply (`post_reply`); `state` other than published is reached the way production reaches
    it where a service does (`withdraw_comment`), else set and recounted as the repair command does.
    """

    class Meta:
        model = Comment

    body = factory.Sequence(lambda n: f"I think this clause should say more about consent ({n}).")
    display_as = "name"
    quote: QuoteInput | None = None
    parent: Comment | None = None
    state = CommentState.PUBLISHED.value
    moderation_reason: str | None = None

    @classmethod
    def _create(
        cls,
        model_class: type[Comment],
        session: Session,
        user: User | None,
        clause: Clause,
        body: str,
        display_as: str,
        quote: QuoteInput | None,
        parent: Comment | None,
        state: str,
        moderation_reason: str | None,
    ) -> Comment:
        author = user if user is not None else UserFactory(session=session)
        text = (
            body or "These words are withdrawn straight away."
        )  # a post needs words; withdrawing drops them
        # Each post is a request of its own in production, with nothing loaded from an earlier one: in one
        # long session, _assign_campaign reads a stale `campaign_group` of the matched comment and splits a
        # campaign in two (reported to the comments branch).
        session.expire_all()
        version = session.get_one(Version, clause.version_id)
        with _taking_comments(session, version) as now:
            if parent is not None:
                comment = post_reply(session, author, parent, text, display_as, now=now)
            else:
                comment = post_comment(session, author, clause, text, display_as, quote, now=now)
        if state == CommentState.WITHDRAWN.value:
            withdraw_comment(session, author, comment)
        elif comment.state != state:
            # No service takes a comment straight to any state; set it and recount as the repair command does.
            comment.state = state
            comment.moderation_reason = moderation_reason
            session.flush()
            refresh_clause_counts(session, [clause.id])
        if user is None:
            comment.user_id = None  # as an account deleted with its comments kept
            session.flush()
        return comment


@contextmanager
def _taking_comments(session: Session, version: Version) -> Iterator[dt.datetime]:
    """Yield a moment the version takes comments at: now, inside its past period, or in a period lent for it.

    A version with no comment period takes no comments, so it is lent one for the post and put back after; a
    superseded version is lent `open_when_superseded` the same way.
    """
    now = dt.datetime.now(dt.UTC)
    opens, closes = version.comments_open_at, version.comments_close_at
    if version.superseded_by is not None and not version.open_when_superseded:
        # A comment on a superseded version was made while it was current: lend it that for the post.
        version.open_when_superseded = True
        session.flush()
        try:
            with _taking_comments(session, version) as moment:
                yield moment
        finally:
            version.open_when_superseded = False
            session.flush()
        return
    if opens is not None and closes is not None:
        yield now if opens <= now < closes else opens + (closes - opens) / 2
        return
    version.comments_open_at, version.comments_close_at = (
        now - dt.timedelta(days=1),
        now + dt.timedelta(days=1),
    )
    session.flush()
    try:
        yield now
    finally:
        version.comments_open_at, version.comments_close_at = opens, closes
        session.flush()


def make_user(session: Session, role: str = Role.COMMENTER.value, verified: bool = True, **kw: str) -> User:
    """Create an account with PASSWORD; unique email unless given."""
    return UserFactory(session=session, role=role, verified=verified, **kw)


def make_version(
    session: Session,
    policy_slug: str = "test-policy",
    label: str = "First draft",
    status: str = "published",
    open_for_comment: bool = True,
    markdown: str | None = None,
    moderation: str = "post",
) -> Version:
    """Store a small version of a policy (created if missing), open for comment by default."""
    policy = session.scalar(select(Policy).where(Policy.slug == policy_slug))
    if policy is None:
        policy = Policy(slug=policy_slug, title="Test Policy", moderation=moderation)
        session.add(policy)
        session.flush()
    now = dt.datetime.now(dt.UTC)
    period = ""
    if open_for_comment:
        opens = (now - dt.timedelta(days=1)).isoformat(timespec="seconds")
        closes = (now + dt.timedelta(days=30)).isoformat(timespec="seconds")
        period = f"comments_open: '{opens}'\ncomments_close: '{closes}'\n"
    text = markdown or SMALL_DRAFT.format(title="Test Policy", label=label, status=status, period=period)
    position = len(policy.versions) + 1 if policy.versions else 1
    parent = policy.versions[-1] if policy.versions else None
    document = parse_draft(text)
    slug = label.lower().replace(" ", "-")
    version = store_version(session, policy, document, slug, position, parent)
    session.expire(policy, ["versions"])
    return version


def login(client, user: User, password: str = PASSWORD):
    """Sign in through the real login form (the auth blueprint's `auth.login`)."""
    return client.post("/login", data={"email": user.email, "password": password}, follow_redirects=False)


def make_comment(
    session: Session,
    user: User | None,
    version: Version,
    clause_key: str | None = None,
    body: str = "I think this clause should say more about consent.",
    state: str = CommentState.PUBLISHED.value,
    *,
    display_as: str = "name",
    parent_id: int | None = None,
    quote_exact: str | None = None,
    quote_prefix: str = "",
    quote_suffix: str = "",
    quote_start: int | None = None,
    moderation_reason: str | None = None,
    quote_end: int | None = None,
) -> Comment:
    """Post a comment through the service: on `clause_key`, or the version's first clause."""
    query = select(Clause).where(Clause.version_id == version.id)
    query = query.where(Clause.key == clause_key) if clause_key else query.order_by(Clause.id)
    clause = session.scalars(query.limit(1)).one()
    start = None if quote_start is None else str(quote_start)
    return CommentFactory(
        session=session,
        user=user,
        clause=clause,
        body=body,
        state=state,
        display_as=display_as,
        parent=session.get_one(Comment, parent_id) if parent_id is not None else None,
        quote=QuoteInput.from_form(quote_exact, quote_prefix, quote_suffix, start),
        moderation_reason=moderation_reason,
    )


def make_questions(session: Session, version: Version, source: str, results_live: bool = False) -> list:
    """Set a version's consultation questions through the service, as a drafter would."""
    from app.submissions.services import set_questions

    drafter = make_user(session, Role.DRAFTER.value)
    return set_questions(session, drafter, version, source, results_live)


def make_submission(
    session: Session,
    user: User,
    version: Version,
    body: str = "The draft reads well, but the glossary needs more plain words.",
    *,
    consent: str = "named",
    send: bool = True,
    answers: dict | None = None,
    **fields: Any,
) -> Any:
    """Save (and by default send) a person's submission on a version through the service."""
    from app.submissions.services import SubmissionInput, save_submission

    data = SubmissionInput(body=body, consent=consent, answers=answers or {}, **fields)
    with _taking_comments(session, version) as moment:
        return save_submission(session, user, version, data, send=send, now=moment)
