"""Revisions in a real browser: a drafter edits, previews and publishes; a visitor reads the redline; a comment
made on the first draft says what became of its text in the final."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

pytestmark = pytest.mark.browser

POLICY = "data-protection-and-use-policy"
INSERTED = "Every agency publishes a plain-language summary of this policy."


def test_a_drafter_edits_previews_and_publishes_and_a_visitor_sees_the_redline(
    page: Page, browser: Browser, base_url: str, sign_in, axe_check
) -> None:
    label = f"Browser review {uuid.uuid4().hex[:8]}"
    sign_in(page, "drafter")
    page.goto("/drafting/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Drafting")
    axe_check(page)
    # Other browser tests add policies of their own: use this policy's form.
    page.locator(f"#label-{POLICY}").fill(label)
    page.locator(f"section:has(#p-{POLICY})").get_by_role("button", name="Start a new version").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(label)
    axe_check(page)

    page.get_by_role("link", name=re.compile(r"^Edit as Markdown — Purpose and scope$")).click()
    editor = page.get_by_label("Section text (Markdown)")
    text = editor.input_value()
    assert "{#purpose-2}" in text
    edited = text.replace("grew out of a public conversation", "grew out of a conversation", 1).replace(
        "{#purpose-2}", f"{{#purpose-2}}\n\n11. {INSERTED} {{#purpose-summary}}", 1
    )
    editor.fill(edited)
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#live-preview")
    expect(preview).to_contain_text(INSERTED)
    expect(page.get_by_label("Section text (Markdown)")).to_have_value(edited)  # nothing lost on preview
    axe_check(page)
    page.get_by_role("button", name="Save section").click()
    expect(page.get_by_role("status")).to_contain_text("Section saved.")

    page.get_by_role("link", name=f"Publish “{label}”…").click()
    expect(page.locator("main")).to_contain_text("Publishing cannot be undone.")
    axe_check(page)
    page.get_by_role("button", name=f"Yes, publish “{label}” now").click()
    expect(page.get_by_role("status")).to_contain_text("is published")
    slug = page.url.rstrip("/").rsplit("/", 1)[-1]

    # A visitor (no account) opens the compare page.
    visitor = browser.new_context(base_url=base_url)
    try:
        reader = visitor.new_page()
        reader.goto(f"/policies/{POLICY}/compare/final...{slug}")
        expect(reader.get_by_role("heading", level=1)).to_contain_text("What changed")
        expect(reader.locator("ins").filter(has_text=INSERTED)).to_have_count(1)
        expect(reader.locator("del").filter(has_text="public")).not_to_have_count(0)
        expect(reader.locator("ins").filter(has_text=INSERTED)).to_contain_text("inserted:")  # read out aloud
        axe_check(reader)
        reader.get_by_role("link", name="Side by side").click()
        expect(reader.locator(".sbs__new ins").filter(has_text=INSERTED)).to_have_count(1)
        axe_check(reader)
        reader.set_viewport_size({"width": 320, "height": 800})
        expect(reader.locator(".sbs__old").first).to_be_visible()
    finally:
        visitor.close()


def test_a_comment_on_the_first_draft_shows_its_status_on_the_final(page: Page, seed, axe_check) -> None:
    from app.models import Clause, Comment, CommentPlacement, Version
    from app.placements.carrying import carry_forward

    def make(session) -> str:
        versions = {v.slug: v for v in session.scalars(select(Version))}
        first = versions["consultation-draft"]
        clause = session.scalars(
            select(Clause).where(Clause.version_id == first.id, Clause.key == "purpose-1")
        ).one()
        comment = Comment(
            version_id=first.id,
            clause_id=clause.id,
            body="Please say this more simply.",
            body_html="<p>Please say this more simply.</p>",
            fingerprint_hash=uuid.uuid4().hex,
            state="published",
        )
        session.add(comment)
        session.flush()
        # Imported versions were not published through the workspace: carry forward as publishing does.
        for old, new in (("consultation-draft", "revised-draft"), ("revised-draft", "final")):
            done = session.scalar(
                select(CommentPlacement.id).where(
                    CommentPlacement.comment_id == comment.id, CommentPlacement.version_id == versions[new].id
                )
            )
            if done is None:
                carry_forward(session, versions[old], versions[new])
        return comment.tracking_number

    tracking = seed(make)
    page.goto(f"/receipts/{tracking}")
    history = page.locator(".placement-history")
    expect(history).to_contain_text("Consultation draft")
    expect(history.locator("li").filter(has_text="Revised draft")).to_contain_text("text changed")
    expect(history.locator("li").filter(has_text="Final")).to_contain_text("unchanged")
    history.get_by_role("link", name="see how the text changed").click()
    expect(page).to_have_url(re.compile(r"/compare/consultation-draft\.\.\.revised-draft#diff-purpose-1$"))
    expect(page.locator("#diff-purpose-1")).to_contain_text("Clause reworded")


def test_the_response_to_submissions_page_is_accessible(page: Page, axe_check) -> None:
    page.goto(f"/policies/{POLICY}/versions/consultation-draft/responses")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Response to submissions")
    axe_check(page)
