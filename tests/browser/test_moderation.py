"""Moderation in a real browser: a moderator hides a reported comment with a public reason; a visitor then sees
the tombstone in its place; and axe on the moderation pages and on a section page holding a passage comment and
a tombstone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Comment, User
from app.moderation.services import report_comment
from tests.factories import PASSWORD
from tests.support.browser import (
    CLAUSE_KEY,
    PASSAGE,
    Seed,
    comment_article,
    comment_period_open,
    new_commenter,
    seed_comment,
    unique,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def open_section(browser_app: Flask) -> Iterator[str]:
    """The path of a section page whose version takes comments during this module."""
    with comment_period_open(browser_app) as section:
        yield section


def seed_report(seed: Seed, tracking_number: str) -> None:
    """Another member reports the comment (below the hold threshold, so it stays published and queued)."""
    email, _name = new_commenter(seed)

    def store(session: Session) -> None:
        reporter = session.scalars(select(User).where(User.email == email)).one()
        comment = session.scalars(select(Comment).where(Comment.tracking_number == tracking_number)).one()
        report_comment(session, reporter, comment, "It names a private person.", threshold=100)

    seed(store)


def test_a_moderator_hides_a_comment_and_the_public_sees_the_tombstone(
    page: Page, browser: Browser, base_url: str, seed: Seed, sign_in, axe_check, open_section: str
) -> None:
    body = unique("This comment names a private person and gives their street.")
    reason = unique("It shared someone's personal details")
    tracking = seed_comment(seed, body)
    seed_report(seed, tracking)

    sign_in(page, "moderator")
    page.goto("/moderation")
    expect(page.get_by_role("heading", level=1)).to_have_text("Moderation queue")
    axe_check(page)
    page.get_by_role("link", name=f"Review and act — {tracking}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Comment {tracking}")
    expect(page.locator(".mod-body")).to_contain_text(body)
    axe_check(page)

    page.get_by_label("Public reason").fill(reason)
    page.get_by_role("button", name="Hide comment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Comment {tracking}")
    expect(page.locator(".flashes")).to_contain_text(f"Comment {tracking} hidden.")
    expect(page.get_by_role("button", name="Restore comment")).to_be_visible()
    axe_check(page)

    visitor = browser.new_context(base_url=base_url)
    try:
        reader = visitor.new_page()
        reader.goto(open_section)
        expect(reader.locator("main")).to_contain_text(f"Removed by a moderator: {reason}")
        expect(reader.locator("main")).not_to_contain_text(body)
        reader.goto("/moderation/log")
        expect(reader.locator("main")).to_contain_text(reason)
        axe_check(reader)
    finally:
        visitor.close()


def test_a_section_page_with_a_passage_comment_and_a_tombstone_passes_axe(
    page: Page, browser: Browser, base_url: str, seed: Seed, sign_in, axe_check, open_section: str
) -> None:
    kept = unique("A comment on a passage that stays up.")
    hidden = unique("A comment a moderator hides.")
    reason = unique("Off topic")
    seed_comment(seed, kept, quote=PASSAGE)
    tracking = seed_comment(seed, hidden)

    sign_in(page, "moderator")
    page.goto(f"/moderation/comments/{tracking}")
    page.get_by_label("Public reason").fill(reason)
    page.get_by_role("button", name="Hide comment").click()
    expect(page.get_by_role("button", name="Restore comment")).to_be_visible()
    page.goto("/moderation?show=hidden")
    expect(page.locator("main")).to_contain_text(tracking)
    axe_check(page)

    visitor = browser.new_context(base_url=base_url)
    try:
        reader = visitor.new_page()
        reader.goto(open_section)
        expect(comment_article(reader, kept).locator("blockquote.comment__quote")).to_contain_text(PASSAGE)
        expect(reader.locator(f"#clause-{CLAUSE_KEY} mark.quoted-passage").first).to_be_visible()
        expect(reader.locator(".comment__tombstone").filter(has_text=reason)).to_have_text(
            f"Removed by a moderator: {reason}"
        )
        axe_check(reader)
    finally:
        visitor.close()

    # A signed-in member sees the comment actions (reply, report) too.
    email, _name = new_commenter(seed)
    member = browser.new_context(base_url=base_url)
    try:
        signed_in = member.new_page()
        sign_in(signed_in, "commenter", email=email, password=PASSWORD)
        signed_in.goto(open_section)
        expect(comment_article(signed_in, kept)).to_be_visible()
        axe_check(signed_in)
    finally:
        member.close()
