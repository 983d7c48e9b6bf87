"""Drafting in a real browser: publish with review (ask, review the compare, approve, confirm), a save conflict
resolved through the diff, and choosing a passage to comment on by keyboard alone — axe on every page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.factories import PASSWORD
from tests.support.browser import (
    CLAUSE_KEY,
    POLICY_SLUG,
    VERSION_SLUG,
    Seed,
    comment_period_open,
    new_commenter,
)

pytestmark = pytest.mark.browser


def small_policy(seed: Seed) -> str:
    """A policy of its own with one published version, so these tests change nobody else's."""
    from tests.factories import make_version

    slug = f"review-{uuid.uuid4().hex[:8]}"
    seed(lambda session: make_version(session, policy_slug=slug, label="First draft", open_for_comment=False))
    return slug


def other_person(browser: Browser, base_url: str, sign_in, role: str) -> Page:
    page = browser.new_context(base_url=base_url).new_page()
    sign_in(page, role)
    return page


def test_publish_with_review(
    page: Page, browser: Browser, base_url: str, seed: Seed, sign_in, axe_check
) -> None:
    slug = small_policy(seed)
    admin = other_person(browser, base_url, sign_in, "admin")
    try:
        # The admin asks for two people's sign-off on this policy.
        admin.goto("/drafting/")
        card = admin.locator("section.drafting-policy").filter(has=admin.locator(f"#p-{slug}"))
        card.get_by_label(
            "Two people: a drafter asks, another drafter or an admin reviews and approves"
        ).check()
        card.get_by_role("button", name="Save").click()
        expect(admin.get_by_role("status").first).to_contain_text("Saved")
        axe_check(admin)

        # A drafter starts a version, rewords a clause by its text alone, and asks for a review.
        sign_in(page, "drafter")
        page.goto("/drafting/")
        page.locator(f"#label-{slug}").fill("Second draft")
        page.locator(f"section:has(#p-{slug})").get_by_role("button", name="Start a new version").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Second draft")
        page.get_by_role("link", name="Edit — Purpose", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Purpose")
        axe_check(page)
        box = page.get_by_label("Clause 1.1")
        assert "{#" not in box.input_value()  # keys stay out of sight
        box.fill("This policy explains how every agency looks after information about people.")
        page.get_by_role("button", name="Save clause 1.1").click()
        expect(page.get_by_role("status").first).to_contain_text("Clause saved.")
        page.get_by_role("link", name="Back to the sections").click()
        page.get_by_role("button", name="Ask for a review before publishing").click()
        expect(page.get_by_role("status").first).to_contain_text("Publication requested")
        axe_check(page)
        # Before the approval the confirmation page says a review is missing.
        page.goto(page.url.split("#")[0] + "/publish")
        expect(page.get_by_role("heading", level=2).first).to_have_text("This version needs a review first")

        # The admin reviews the compare and approves.
        admin.goto(f"/drafting/{slug}/second-draft")
        admin.get_by_role("link", name="Review the changes and approve").click()
        expect(admin.locator("ins").filter(has_text="every agency looks")).not_to_have_count(0)
        axe_check(admin)
        admin.get_by_role("button", name="Approve publication").click()
        expect(admin.get_by_role("status").first).to_contain_text("You approved")

        # The drafter confirms: the page says what becomes public and that it cannot be undone.
        page.goto(f"/drafting/{slug}/second-draft")
        page.get_by_role("link", name="Publish “Second draft”…").click()
        expect(page.get_by_role("heading", name="What will be public")).to_be_visible()
        expect(page.locator("main")).to_contain_text("Publishing cannot be undone.")
        expect(page.locator("main")).to_contain_text("Approved by: Demo admin")
        axe_check(page)
        page.get_by_role("button", name="Yes, publish “Second draft” now").click()
        expect(page.get_by_role("status").first).to_contain_text("is published")
    finally:
        admin.context.close()


def test_a_save_conflict_is_resolved_through_the_diff(
    page: Page, browser: Browser, base_url: str, seed: Seed, sign_in, axe_check
) -> None:
    slug = small_policy(seed)
    sign_in(page, "drafter")
    page.goto("/drafting/")
    page.locator(f"#label-{slug}").fill("Conflict draft")
    page.locator(f"section:has(#p-{slug})").get_by_role("button", name="Start a new version").click()
    edit = f"/drafting/{slug}/conflict-draft/sections/purpose"
    other = other_person(browser, base_url, sign_in, "admin")
    try:
        page.goto(edit)
        other.goto(edit)
        theirs = other.get_by_label("Section text (Markdown)")
        theirs.fill(
            theirs.input_value().replace("looks after", "takes care of").replace("look after", "take care of")
        )
        other.get_by_role("button", name="Save section").click()
        expect(other.get_by_role("status").first).to_contain_text("Section saved.")

        mine = page.get_by_label("Section text (Markdown)")
        mine.fill(mine.input_value().replace("every agency", "each agency"))
        page.get_by_role("button", name="Save section").click()
        # The conflict: the summary has the focus, the two texts are shown word by word.
        expect(page.locator(".error-summary")).to_be_focused()
        diff = page.locator(".conflict-diff")
        expect(diff.locator("del").filter(has_text="take care of")).to_have_count(1)
        expect(diff.locator("ins").filter(has_text="look after")).to_have_count(1)
        expect(page.locator("main")).to_contain_text("Demo admin saved this section")
        axe_check(page)
        # Merge by hand: both changes, saved against their revision.
        merged = page.get_by_label("Your version of the section")
        merged.fill(merged.input_value().replace("look after", "take care of"))
        page.get_by_role("button", name="Save section").click()
        expect(page.get_by_role("status").first).to_contain_text("Section saved.")
        page.goto(edit)
        text = page.get_by_label("Section text (Markdown)").input_value()
        assert "take care of" in text
        assert "each agency" in text
    finally:
        other.context.close()


@pytest.fixture(scope="module")
def open_form(browser_app: Flask) -> Iterator[str]:
    with comment_period_open(browser_app):
        yield f"/policies/{POLICY_SLUG}/versions/{VERSION_SLUG}/clauses/{CLAUSE_KEY}/comment"


def focused(page: Page) -> dict[str, Any]:
    return page.evaluate(
        "() => ({tag: document.activeElement.tagName.toLowerCase(), name: document.activeElement.getAttribute('name'),"
        " text: (document.activeElement.textContent || '').trim(), cls: document.activeElement.className})"
    )


def test_a_passage_is_chosen_by_keyboard_only(
    page: Page, seed: Seed, sign_in, axe_check, open_form: str
) -> None:
    email, _name = new_commenter(seed)
    sign_in(page, "commenter", email=email, password=PASSWORD)
    page.goto(open_form)
    words = page.locator(".quoted-clause [data-clause-text]").inner_text().split()
    for _ in range(40):
        page.keyboard.press("Tab")
        if focused(page)["text"] == "Select a passage with the keyboard":
            break
    else:
        raise AssertionError(f"Tab never reached the passage button: {focused(page)}")
    page.keyboard.press("Enter")
    live = page.locator("#passage-live")
    expect(page.locator(".quoted-clause [data-clause-text]")).to_be_focused()
    expect(live).to_contain_text("Selected:")
    axe_check(page)
    # Right twice: the third word alone; Shift+Right twice: three words from there.
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(live).to_contain_text(f"Selected: {words[2]} (1 word)")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    wanted = " ".join(words[2:5])
    expect(live).to_contain_text(f"Selected: {wanted} (3 words)")
    page.keyboard.press("Enter")
    expect(page.locator("[name=quote_exact]")).to_have_value(wanted)
    expect(page.locator("[name=quote_exact]")).to_be_focused()
    expect(live).to_contain_text(f"Passage chosen: {wanted}")
    assert page.locator("[name=quote_start]").input_value().isdigit()

    # Send with no comment: the refusal's error summary takes the focus.
    for _ in range(10):
        page.keyboard.press("Tab")
        if focused(page)["name"] == "submit" or focused(page)["text"] == "Send comment":
            break
    page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text("There is a problem")
    axe_check(page)
    assert re.search(r"/comment$", page.url)
