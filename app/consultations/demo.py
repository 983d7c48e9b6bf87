"""The living demo: one made-up consultation, open for comment now, with a little of everything in it.

`korero setup` / `korero serve` call `ensure_demo_consultation` outside production, after the demo accounts.
Running it again changes nothing except, when the demo's period has run out, moving it so it is open today:
a newcomer always finds something to comment on. The text, the people and their comments are invented for
this project; every page of the demo says it is demo data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.services import DEMO_PASSWORD, create_user, get_user_by_email
from app.comments.services import post_comment, post_reply
from app.drafts.parsing import NZ, parse_draft
from app.drafts.services import store_version
from app.models import Clause, Comment, Policy, PolicyDocument, Role, User, Version
from app.moderation.services import hide_comment
from app.responses.services import respond

DEMO_SLUG = "demo-public-library-data-policy"
DEMO_TITLE = "Demo: Public Library Data Policy"
OPEN_DAYS_BEFORE = 3  # the period opened this many days before the run
OPEN_DAYS_AFTER = 28  # and closes this many days after it, at 5 pm New Zealand time

DEMO_DRAFT = """---
title: '{title}'
version: Consultation draft
status: published
date: {date}
summary: How a city's libraries look after what they learn about the people who borrow from them.
change_note: The first draft, shared for comment.
comments_open: '{opens}'
comments_close: '{closes}'
questions:
  - ask: Do the libraries keep the right things about their members, no more and no less?
    kind: agree5
    section: keep
  - ask: Which of these would you most want to be told about each year?
    kind: multiple
    choices: [How often the police asked for records, What the borrowing counts were used for, Who saw member records]
  - ask: Is there anything else the libraries should promise about your records?
    kind: text
---
# {title}

## What this policy is for {{#purpose}}

1. Libraries learn a lot about people from what they borrow, search for and read. This policy says what our libraries keep, for how long, and who may see it. {{#purpose-1}}
2. It covers the branch libraries, the mobile library van and the e-book and audiobook apps we offer. {{#purpose-2}}

## What we keep {{#keep}}

- A member's name, address, date of birth and card number, so we can lend to them and remind them. {{#keep-1}}
- What a member has on loan now. Once an item is returned, the link between the member and the item is deleted. {{#keep-2}}
- Counts of how often each item is borrowed, with no member named, to decide what to buy. {{#keep-3}}

## Who may see it {{#see}}

1. Library staff see a member's record only while helping that member or recovering overdue items. {{#see-1}}
2. We do not sell member records or share them with advertisers. We share them with the police only when the law requires it, and we report each year how often that happened. {{#see-2}}
3. A member can ask to see everything we hold about them and get it within ten working days. {{#see-3}}
"""

WHY = (
    "We are renewing our library systems and want the rules about members' records settled first.\n\n"
    "Tell us what you would keep, what you would never keep, and who should be allowed to look."
)
NEXT_STEPS = (
    "When comments close we read every one, publish a response to each, and share a revised draft "
    "showing what changed because of what you said."
)

BACKGROUND_NOTE = """Background note (demo data, made up for Kōrero)

Today the libraries keep a member's loan history for two years, mostly because the old system did so
by default. Staff rarely look at it. The new system lets us choose, which is why we are asking.
"""

# (key, display name) of the made-up people who comment.
PEOPLE = [
    ("mere", "Mere (demo)"),
    ("sam", "Sam (demo)"),
    ("priya", "Priya (demo)"),
    ("tom", "Tom (demo)"),
    ("lena", "Lena (demo)"),
]
FIRST_COMMENT = (
    "Please say how long loan history is kept when a book comes back late. Is it deleted on return, "
    "or only once the fine is paid?"
)
REPLY = "Good question. The e-book app keeps its own history too; does the policy cover that?"
FORM_LETTER = (
    "Libraries must never sell or share what people borrow. Please write that in plain words, "
    "with no exceptions for partners."
)
OFF_TOPIC = "Cheap phone cases for sale, visit my shop today for a discount!"
HIDE_REASON = "Advertising, not a comment on the policy."
RESPONSE = (
    "Thank you. The revised draft will say that the link between a member and a returned item is deleted "
    "when it is returned, whether or not a fine is owed; fines are recorded without naming the item."
)


class DemoRefusedError(RuntimeError):
    """Demo data is never made in production."""


@dataclass(frozen=True)
class DemoReport:
    created: bool
    reopened: bool
    policy: Policy


def _period(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    today = now.astimezone(NZ).date()
    opens = dt.datetime.combine(today - dt.timedelta(days=OPEN_DAYS_BEFORE), dt.time(9), tzinfo=NZ)
    closes = dt.datetime.combine(today + dt.timedelta(days=OPEN_DAYS_AFTER), dt.time(17), tzinfo=NZ)
    return opens.astimezone(dt.UTC), closes.astimezone(dt.UTC)


def _person(session: Session, key: str, name: str) -> User:
    email = f"{key}@demo.korero.test"
    return get_user_by_email(session, email) or create_user(
        session, email, name, DEMO_PASSWORD, Role.COMMENTER.value, verified=True
    )


def _role_account(session: Session, role: Role) -> User:
    email = f"{role.value}@demo.korero.test"
    return get_user_by_email(session, email) or create_user(
        session, email, f"Demo {role.value}", DEMO_PASSWORD, role.value, verified=True
    )


def ensure_demo_consultation(session: Session, now: dt.datetime | None = None) -> DemoReport:
    """Create the demo consultation (or keep it open today); never in production."""
    if current_app.config.get("ENV") == "production":
        raise DemoRefusedError("demo data is never created in production (KORERO_ENV=production)")
    now = now or dt.datetime.now(dt.UTC)
    opens, closes = _period(now)
    policy = session.scalar(select(Policy).where(Policy.slug == DEMO_SLUG))
    if policy is not None:
        reopened = False
        public = [v for v in policy.versions if v.is_public]
        current = public[-1] if public else None  # the newest version takes the comments
        if current is not None and not current.accepts_comments_at(now):
            current.comments_open_at, current.comments_close_at = opens, closes
            reopened = True
        session.flush()
        return DemoReport(created=False, reopened=reopened, policy=policy)
    policy = Policy(
        slug=DEMO_SLUG,
        title=DEMO_TITLE,
        agency="Kōrero demo city libraries (made up)",
        contact_name="The demo library team",
        contact_email="library@demo.korero.test",
        why=WHY,
        next_steps=NEXT_STEPS,
        is_demo=True,
    )
    session.add(policy)
    session.flush()
    source = DEMO_DRAFT.format(
        title=DEMO_TITLE,
        date=opens.astimezone(NZ).date().isoformat(),
        opens=opens.astimezone(NZ).isoformat(timespec="minutes"),
        closes=closes.astimezone(NZ).isoformat(timespec="minutes"),
    )
    version = store_version(session, policy, parse_draft(source, "demo.md"), "consultation-draft", 1, None)
    version.published_at = opens
    note = BACKGROUND_NOTE.encode()
    session.add(
        PolicyDocument(
            policy_id=policy.id,
            position=1,
            title="Background note: how the libraries use members' records today (demo)",
            filename="background-note.txt",
            media_type="text/plain; charset=utf-8",
            size=len(note),
            sha256=hashlib.sha256(note).hexdigest(),
            content=note,
        )
    )
    session.flush()
    _comment(session, version, now)
    session.expire(policy, ["versions", "documents"])
    return DemoReport(created=True, reopened=False, policy=policy)


def _clause(session: Session, version: Version, key: str) -> Clause:
    return session.scalars(select(Clause).where(Clause.version_id == version.id, Clause.key == key)).one()


def _comment(session: Session, version: Version, now: dt.datetime) -> None:
    """Sample comments: one answered with a reply and a response, a campaign of three, one hidden."""
    people = {key: _person(session, key, name) for key, name in PEOPLE}
    drafter = _role_account(session, Role.DRAFTER)
    moderator = _role_account(session, Role.MODERATOR)
    first = post_comment(session, people["mere"], _clause(session, version, "keep-2"), FIRST_COMMENT, now=now)
    post_reply(session, people["sam"], first, REPLY, now=now)
    sharing = _clause(session, version, "see-2")
    for key in ("priya", "tom", "lena"):
        post_comment(session, people[key], sharing, FORM_LETTER, now=now)
        session.expire_all()  # each post is a request of its own: see the campaign as the next one would
    advert = post_comment(session, people["tom"], _clause(session, version, "purpose-1"), OFF_TOPIC, now=now)
    hide_comment(session, moderator, advert, HIDE_REASON)
    first = session.get_one(Comment, first.id)
    respond(session, drafter, first, "accepted", RESPONSE, None, "")
    session.flush()
