"""Commenting in a real browser: register, confirm, select a passage, comment, get a receipt, see it listed;
the same by keyboard only; and axe on every page a commenter meets.

The imported drafts' comment periods are closed, so these tests open the revised draft's for the length of the
module (`open_section`) and put it back afterwards; the browser database lives for the session, so every account
and comment text here is unique.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.factories import PASSWORD
from tests.support.browser import (
    CLAUSE_KEY,
    FILL_WAIT_MS,
    PASSAGE,
    TRACKING,
    Seed,
    comment_article,
    comment_period_open,
    new_commenter,
    unique,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def open_section(browser_app: Flask) -> Iterator[str]:
    """The path of a section page whose version takes comments during this module."""
    with comment_period_open(browser_app) as section:
        yield section


def confirmation_link(outbox: Path, email: str, app: Flask | None = None) -> str:
    """The path of the confirmation link in the mail the queue worker wrote for `email` (run here, in `app`)."""
    if app is not None:
        from app.notify.queue import drain

        with app.app_context():
            drain()
    for path in sorted(outbox.glob("*.eml"), reverse=True):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == email:
            found = re.search(r"/verify-email/[^\s]+", message.get_body(("plain",)).get_content())
            assert found, f"no confirmation link in the mail to {email}"
            return found.group(0)
    raise AssertionError(f"no mail to {email} in {outbox}")


def select_text(page: Page, clause_key: str, passage: str) -> None:
    """Select `passage` inside a clause's text as a reader would (a Range added to the document's selection)."""
    page.evaluate(
        """([key, passage]) => {
            const root = document.querySelector(`#clause-${key} [data-clause-text]`);
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode())) {
                const at = node.nodeValue.indexOf(passage);
                if (at !== -1) {
                    const range = document.createRange();
                    range.setStart(node, at);
                    range.setEnd(node, at + passage.length);
                    const selection = window.getSelection();
                    selection.removeAllRanges();
                    selection.addRange(range);
                    return;
                }
            }
            throw new Error(`"${passage}" is not in clause ${key}`);
        }""",
        [clause_key, passage],
    )


def focused(page: Page) -> dict[str, Any]:
    """What has the focus, and whether it shows it (the :focus-visible ring from site.css)."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {
                tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute("name"), type: el.type || null,
                value: el.value === undefined ? null : el.value, text: (el.textContent || "").trim(),
                visible: el.matches(":focus-visible") && style.outlineStyle !== "none"
                    && parseFloat(style.outlineWidth) > 0,
            };
        }"""
    )


def tab_until(page: Page, matches: Callable[[dict[str, Any]], bool], limit: int = 60) -> dict[str, Any]:
    """Press Tab until the focused element matches; fail after `limit` presses."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if matches(now):
            return now
    raise AssertionError(f"Tab never reached the element wanted; last focused: {focused(page)}")


# --- 1. register, confirm, select a passage, comment, receipt, listed -------------------------------------------


def test_a_new_member_comments_on_a_selected_passage(
    page: Page,
    seed: Seed,
    sign_in,
    browser_app: Flask,
    browser_database: tuple[Path, str],
    open_section: str,
) -> None:
    email = f"{uuid.uuid4().hex[:12]}@browser.example.org"
    name = unique("Aroha")
    password = "kōrero browser passphrase"
    body = unique("Say who checks that agencies do this.")

    page.goto("/register")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Display name").fill(name)
    page.get_by_label("Password").fill(password)
    page.locator("main form [type='submit']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    # Confirm the address with the link the live server "sent" (written to its instance/outbox/).
    instance, _url = browser_database
    page.goto(confirmation_link(instance / "outbox", email, browser_app))
    expect(page.get_by_text("your email address is confirmed")).to_be_visible()
    # Registering signed the new member in; signing out and in again shows the password works too.
    page.locator("form[action$='/logout'] [type='submit']").first.click()
    sign_in(page, "commenter", email=email, password=password)

    page.goto(open_section)
    button = page.get_by_role("link", name="Comment on this passage")
    expect(button).to_have_count(0)
    select_text(page, CLAUSE_KEY, PASSAGE)
    expect(button).to_be_visible()
    # The button sits right after the clause's text, so Tab reaches it next.
    expect(page.locator(f"#clause-{CLAUSE_KEY} [data-clause-text] + a.passage-button")).to_be_visible()
    button.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Comment on clause 1.1")
    expect(page.get_by_label("The passage you are commenting on (optional)")).to_have_value(PASSAGE)
    page.get_by_label("Your comment").fill(body)
    page.get_by_role("radio", name="Publish it with my name").check()
    page.wait_for_timeout(FILL_WAIT_MS)
    page.get_by_role("button", name="Send comment").click()

    expect(page).to_have_url(re.compile(r"/receipts/KR-[0-9A-Z]{4}-[0-9A-Z]{4}$"))
    tracking = TRACKING.search(page.url)
    assert tracking is not None
    expect(page.locator("main")).to_contain_text(tracking.group(0))
    expect(page.locator("main")).to_contain_text(body)

    page.goto(open_section)
    listed = comment_article(page, body)
    expect(listed).to_have_count(1)
    expect(listed.locator(".comment__author")).to_have_text(name)
    expect(listed.locator("blockquote.comment__quote")).to_contain_text(f"“{PASSAGE}”")
    expect(page.locator(f"#clause-{CLAUSE_KEY} mark.quoted-passage").first).to_have_text(PASSAGE)


# --- 2. the same by keyboard only -----------------------------------------------------------------------------


def test_a_member_comments_by_keyboard_only(page: Page, seed: Seed, sign_in, open_section: str) -> None:
    email, _name = new_commenter(seed)
    body = unique("Keyboard comment: add a contact for questions.")
    sign_in(page, "commenter", email=email, password=PASSWORD)
    page.goto(open_section)

    # From the top of the page, Tab to clause 1.1's "Comment on this clause" link; Enter follows it.
    link = tab_until(page, lambda f: f["tag"] == "a" and f["text"] == "Comment on this clause 1.1")
    assert link["visible"], link
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Comment on clause 1.1")

    comment_box = tab_until(page, lambda f: f["name"] == "body")
    assert (comment_box["tag"], comment_box["visible"]) == ("textarea", True), comment_box
    page.keyboard.type(body)
    page.keyboard.press("Tab")
    quote_box = focused(page)
    assert (quote_box["name"], quote_box["visible"]) == ("quote_exact", True), quote_box
    page.keyboard.press("Tab")
    radio = focused(page)
    assert (radio["type"], radio["value"], radio["visible"]) == ("radio", "name", True), radio
    # Arrow keys move within the radio group; Space chooses the focused option.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    radio = focused(page)
    assert (radio["type"], radio["value"]) == ("radio", "anonymous"), radio
    expect(page.get_by_role("radio", name="Publish it without my name")).to_be_checked()
    # The group is one tab stop (its three options are reached by arrows): the honeypot field is out of the
    # tab order, so the next stop is the send button.
    page.keyboard.press("Tab")
    send = focused(page)
    assert (send["tag"], send["value"], send["visible"]) == ("input", "Send comment", True), send
    page.wait_for_timeout(FILL_WAIT_MS)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/receipts/KR-[0-9A-Z]{4}-[0-9A-Z]{4}$"))
    expect(page.locator("main")).to_contain_text(body)

    page.goto(open_section)
    listed = comment_article(page, body)
    expect(listed).to_have_count(1)
    expect(listed.locator(".comment__author")).to_have_text("Anonymous member of the public")
    expect(listed.locator("blockquote.comment__quote")).to_have_count(0)


def test_a_member_chooses_do_not_publish_by_keyboard_and_the_public_never_sees_it(
    page: Page, browser: Browser, base_url: str, seed: Seed, sign_in, axe_check, open_section: str
) -> None:
    email, _name = new_commenter(seed)
    body = unique("Only for the drafting team: my own circumstances.")
    sign_in(page, "commenter", email=email, password=PASSWORD)
    page.goto(open_section)
    tab_until(page, lambda f: f["tag"] == "a" and f["text"] == "Comment on this clause 1.1")
    page.keyboard.press("Enter")
    group = page.get_by_role("group", name="May we publish your comment?")
    expect(group).to_be_visible()
    expect(group.get_by_role("radio")).to_have_count(3)
    # The help text says why we ask, and is the group's description.
    expect(group).to_have_accessible_description(re.compile("We ask because"))
    axe_check(page)

    tab_until(page, lambda f: f["name"] == "body")
    page.keyboard.type(body)
    page.keyboard.press("Tab")  # the passage box
    page.keyboard.press("Tab")  # into the radio group, on its checked option
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    radio = focused(page)
    assert (radio["type"], radio["value"], radio["visible"]) == ("radio", "private", True), radio
    expect(
        page.get_by_role("radio", name="Do not publish it (the drafting team still reads it)")
    ).to_be_checked()
    page.keyboard.press("Tab")
    page.wait_for_timeout(FILL_WAIT_MS)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/receipts/KR-[0-9A-Z]{4}-[0-9A-Z]{4}$"))
    expect(page.locator("main")).to_contain_text(body)
    expect(page.locator("main")).to_contain_text("not published, as its author asked")
    receipt = page.url
    axe_check(page)

    visitor = browser.new_context(base_url=base_url)
    try:
        anonymous = visitor.new_page()
        anonymous.goto(open_section)
        expect(anonymous.get_by_text(body)).to_have_count(0)
        assert anonymous.goto(receipt).status == 404
    finally:
        visitor.close()


# --- 4. axe on a commenter's pages ----------------------------------------------------------------------------


def test_a_commenters_pages_pass_axe(
    page: Page, browser: Browser, base_url: str, seed: Seed, sign_in, axe_check, open_section: str
) -> None:
    email, _name = new_commenter(seed)

    # Signed out: register, sign in, privacy, receipt lookup.
    visitor = browser.new_context(base_url=base_url)
    try:
        anonymous = visitor.new_page()
        for path, heading in [
            ("/register", "Create an account"),
            ("/login", None),
            ("/privacy", None),
            ("/receipts", None),
        ]:
            anonymous.goto(path)
            expect(anonymous.get_by_role("heading", level=1)).to_have_count(1)
            if heading:
                expect(anonymous.get_by_role("heading", level=1)).to_have_text(heading)
            axe_check(anonymous)
        # A lookup that finds nothing shows its error on the same page.
        anonymous.goto("/receipts?number=not-a-number")
        expect(anonymous.locator(".error-message").first).to_be_visible()
        axe_check(anonymous)
    finally:
        visitor.close()

    sign_in(page, "commenter", email=email, password=PASSWORD)
    page.goto("/account")
    axe_check(page)

    # The form page, prefilled with a passage, then sent with an error (empty comment), then for real.
    page.goto(open_section)
    select_text(page, CLAUSE_KEY, PASSAGE)
    page.get_by_role("link", name="Comment on this passage").click()
    expect(page.get_by_label("The passage you are commenting on (optional)")).to_have_value(PASSAGE)
    axe_check(page)
    page.wait_for_timeout(FILL_WAIT_MS)
    page.get_by_role("button", name="Send comment").click()
    expect(page.locator(".error-summary")).to_be_visible()
    axe_check(page)
    page.get_by_label("Your comment").fill(unique("An axe-checked comment."))
    page.wait_for_timeout(FILL_WAIT_MS)
    page.get_by_role("button", name="Send comment").click()
    expect(page).to_have_url(re.compile(r"/receipts/KR-"))
    axe_check(page)
