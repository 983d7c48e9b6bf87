"""Test data builders bound to the test session: small functions, explicit arguments."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.services import create_user
from app.drafts.parsing import parse_draft
from app.drafts.rendering import render_comment
from app.drafts.services import store_version
from app.models import Clause, Comment, Policy, Role, User, Version

PASSWORD = "correct horse battery"
_counter = itertools.count(1)

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


def make_user(session: Session, role: str = Role.COMMENTER.value, verified: bool = True, **kw: str) -> User:
    """Create an account with PASSWORD; unique email unless given."""
    n = next(_counter)
    return create_user(
        session,
        kw.get("email", f"user{n}@example.org"),
        kw.get("display_name", f"Person {n}"),
        PASSWORD,
        role,
        verified=verified,
    )


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
    state: str = "published",
    **kw: object,
) -> Comment:
    """Store a comment directly (no service): on `clause_key`, or the version's first clause."""
    query = select(Clause).where(Clause.version_id == version.id)
    query = query.where(Clause.key == clause_key) if clause_key else query.order_by(Clause.id)
    clause = session.scalars(query.limit(1)).one()
    comment = Comment(
        user_id=user.id if user is not None else None,
        version_id=version.id,
        clause_id=clause.id,
        body=body,
        body_html=render_comment(body),
        fingerprint_hash=hashlib.sha256(body.encode()).hexdigest(),
        state=state,
        **kw,
    )
    session.add(comment)
    session.flush()
    return comment
