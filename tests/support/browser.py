"""Helpers the real-browser tests share: the open version, seeded accounts and comments, page lookups."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from playwright.sync_api import Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.comments.services import QuoteInput, post_comment
from app.extensions import db
from app.models import Clause, Policy, User, Version
from tests.factories import make_user

POLICY_SLUG = "data-protection-and-use-policy"
VERSION_SLUG = "revised-draft"
SECTION = f"/policies/{POLICY_SLUG}/versions/{VERSION_SLUG}/sections/purpose-and-scope"
CLAUSE_KEY = "purpose-1"
PASSAGE = "the day-to-day practices expected of agencies"
TRACKING = re.compile(r"KR-[0-9A-Z]{4}-[0-9A-Z]{4}")
# The comment form refuses a post sooner than COMMENTS_MIN_FILL_SECONDS (1 s in the live server's config) after
# showing it, as it would a bot's; a person takes longer, so the tests wait that long before sending.
FILL_WAIT_MS = 1_100

Seed = Callable[[Callable[[Session], Any]], Any]


def unique(word: str) -> str:
    return f"{word} {uuid.uuid4().hex[:10]}"


@contextmanager
def comment_period_open(app: Flask) -> Iterator[str]:
    """Open the revised draft's comment period (closed since 2019) for a while; yield its section page's path.

    The period is put back as it was afterwards, so the other browser tests meet the drafts as imported.
    """
    query = (
        select(Version)
        .join(Policy, Version.policy_id == Policy.id)
        .where(Policy.slug == POLICY_SLUG, Version.slug == VERSION_SLUG)
    )
    with app.app_context():
        with Session(db.engine) as session:
            version = session.scalars(query).one()
            saved = (version.comments_open_at, version.comments_close_at, version.open_when_superseded)
            now = dt.datetime.now(dt.UTC)
            version.comments_open_at = now - dt.timedelta(days=1)
            version.comments_close_at = now + dt.timedelta(days=30)
            # The final supersedes the revised draft: its period is left open on purpose, as drafters may.
            version.open_when_superseded = True
            session.commit()
        try:
            yield SECTION
        finally:
            with Session(db.engine) as session:
                version = session.scalars(query).one()
                version.comments_open_at, version.comments_close_at, version.open_when_superseded = saved
                session.commit()


def new_commenter(seed: Seed, name: str | None = None) -> tuple[str, str]:
    """A verified commenter account; returns (email, display name). Its password is factories.PASSWORD."""
    email = f"{uuid.uuid4().hex[:12]}@browser.example.org"
    display_name = name or unique("Commenter")

    def store(session: Session) -> None:
        make_user(session, email=email, display_name=display_name)

    seed(store)
    return email, display_name


def seed_comment(seed: Seed, body: str, quote: str | None = None) -> str:
    """Post a comment on clause 1.1 of the open version through the service; return its tracking number."""
    email, _name = new_commenter(seed)

    def store(session: Session) -> str:
        user = session.scalars(select(User).where(User.email == email)).one()
        clause = session.scalars(
            select(Clause)
            .join(Version, Clause.version_id == Version.id)
            .join(Policy, Version.policy_id == Policy.id)
            .where(Policy.slug == POLICY_SLUG, Version.slug == VERSION_SLUG, Clause.key == CLAUSE_KEY)
        ).one()
        passage = QuoteInput.from_form(quote, "", "", "") if quote else None
        return post_comment(session, user, clause, body, "name", passage).tracking_number

    return str(seed(store))


def comment_article(page: Page, body: str) -> Any:
    return page.locator("article.comment").filter(has_text=body)
