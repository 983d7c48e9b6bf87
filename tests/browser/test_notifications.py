"""Following a policy in a real browser, receiving the new-version email (from the outbox the queue worker
drains), and unsubscribing with one click; axe on every page on the way.
"""

from __future__ import annotations

import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.drafting import services as drafting
from app.models import Policy, PolicyFollow, Role
from app.notify.queue import drain
from tests.factories import PASSWORD, make_user, make_version
from tests.support.browser import Seed, new_commenter

pytestmark = pytest.mark.browser


def mails_to(outbox: Path, email: str) -> list[EmailMessage]:
    found = []
    for path in sorted(outbox.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == email:
            found.append(message)
    return found  # type: ignore[return-value]


def run_the_queue_worker(app: Flask, live_server: str) -> None:
    """What `flask notify work --once` does, with links built from the live server's URL (its public URL)."""
    saved = app.config.get("PUBLIC_URL")
    app.config["PUBLIC_URL"] = live_server
    try:
        with app.app_context():
            drain()
    finally:
        app.config["PUBLIC_URL"] = saved


def test_follow_a_policy_get_the_new_version_email_and_unsubscribe_in_one_click(
    page: Page,
    seed: Seed,
    sign_in,
    axe_check,
    browser_app: Flask,
    browser_database: tuple[Path, str],
    live_server: str,
) -> None:
    slug = f"followed-{uuid.uuid4().hex[:8]}"
    seed(lambda session: make_version(session, policy_slug=slug, label="First draft"))
    email, _name = new_commenter(seed)
    outbox = Path(browser_database[0]) / "outbox"

    sign_in(page, "commenter", email=email, password=PASSWORD)
    page.goto(f"/policies/{slug}")
    page.get_by_role("link", name="Follow this policy by email").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow Test Policy")
    axe_check(page)
    page.get_by_role("button", name="Follow this policy").click()
    expect(page.get_by_text("You follow this policy.")).to_be_visible()
    axe_check(page)

    def publish_next(session: Session) -> None:
        drafter = make_user(session, role=Role.DRAFTER.value)
        found = session.scalars(select(Policy).where(Policy.slug == slug)).one()
        drafting.start_working_version(session, found, "Second draft", drafter)

    seed(publish_next)

    def publish(session: Session) -> None:
        found = session.scalars(select(Policy).where(Policy.slug == slug)).one()
        working = next(v for v in found.versions if v.status == "working")
        drafter = make_user(session, role=Role.DRAFTER.value)
        drafting.publish_version(session, working, drafter)

    seed(publish)
    assert mails_to(outbox, email) == []  # publishing only queued it
    run_the_queue_worker(browser_app, live_server)
    (news,) = [m for m in mails_to(outbox, email) if "New version" in m["Subject"]]
    assert "Second draft" in news["Subject"]
    assert news["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = news["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe.startswith(live_server + "/unsubscribe/")

    # The link in the email, in a browser that is not signed in (mail is read anywhere): one click.
    page.context.clear_cookies()
    page.goto(unsubscribe)
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe")
    axe_check(page)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    expect(page.get_by_text("We will not send you emails about Test Policy any more.")).to_be_visible()
    axe_check(page)

    def follows(session: Session) -> int:
        found = session.scalars(select(Policy).where(Policy.slug == slug)).one()
        return session.scalar(
            select(func.count()).select_from(PolicyFollow).where(PolicyFollow.policy_id == found.id)
        )

    assert seed(follows) == 0


def test_follow_by_email_without_an_account(
    page: Page,
    seed: Seed,
    axe_check,
    browser_app: Flask,
    browser_database: tuple[Path, str],
    live_server: str,
) -> None:
    slug = f"followed-{uuid.uuid4().hex[:8]}"
    seed(lambda session: make_version(session, policy_slug=slug, label="First draft"))
    email = f"{uuid.uuid4().hex[:12]}@browser.example.org"
    outbox = Path(browser_database[0]) / "outbox"

    page.goto(f"/policies/{slug}/follow")
    page.get_by_label("Email address").fill(email)
    page.locator("main form [type='submit']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    axe_check(page)
    run_the_queue_worker(browser_app, live_server)
    (confirm,) = mails_to(outbox, email)
    link = next(
        line for line in confirm.get_body(("plain",)).get_content().split() if "/follow/confirm/" in line
    )
    page.goto(link)
    axe_check(page)
    page.get_by_role("button", name="Yes, follow this policy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You follow Test Policy")
