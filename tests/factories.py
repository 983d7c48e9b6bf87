"""Test data made the way production makes it: factory_boy factories that call the services.

`UserFactory` creates accounts through `app.auth.services.create_user` (clean email and name, hashed password);
`CommentFactory` posts through `app.comments.services.post_comment`, so fingerprints, campaign groups and the
clauses' kept counts are what a real post leaves. Each takes the session as its first argument
(`UserFactory(session=session, role="drafter")`). The small functions below (`make_user`, `make_comment`, …) are the
names the tests call; they are thin wrappers over the factories.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.services import create_user
from app.comments.services import QuoteInput, post_comment
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
    """A comment, posted by the comments service: `CommentFactory(session=session, user=..., clause=...)`."""

    class Meta:
        model = Comment

    body = factory.Sequence(lambda n: f"I think this clause should say more about consent ({n}).")
    display_as = "name"
    quote: QuoteInput | None = None
    state = CommentState.PUBLISHED.value

    @classmethod
    def _create(
        cls,
        model_class: type[Comment],
        session: Session,
        user: User,
        clause: Clause,
        body: str,
        display_as: str,
        quote: QuoteInput | None,
        state: str,
    ) -> Comment:
        version = session.get_one(Version, clause.version_id)
        comment = post_comment(session, user, clause, body, display_as, quote, now=_moment_open(version))
        if comment.state != state:
            # No service takes a comment straight to any state; set it and recount as the repair command does.
            comment.state = state
            session.flush()
            refresh_clause_counts(session, [clause.id])
        return comment


def _moment_open(version: Version) -> dt.datetime:
    """Now, or a moment inside the version's comment period when that has closed or not yet opened."""
    now = dt.datetime.now(dt.UTC)
    opens, closes = version.comments_open_at, version.comments_close_at
    if opens is not None and closes is not None and not (opens <= now < closes):
        return opens + (closes - opens) / 2
    return now


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
    user: User,
    version: Version,
    clause_key: str | None = None,
    body: str = "I think this clause should say more about consent.",
    state: str = CommentState.PUBLISHED.value,
    **kw: Any,
) -> Comment:
    """Post a comment through the service: on `clause_key`, or the version's first clause."""
    query = select(Clause).where(Clause.version_id == version.id)
    query = query.where(Clause.key == clause_key) if clause_key else query.order_by(Clause.id)
    clause = session.scalars(query.limit(1)).one()
    return CommentFactory(session=session, user=user, clause=clause, body=body, state=state, **kw)
