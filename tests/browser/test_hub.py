"""The consultation hub and creating a consultation from Word, in a real browser (issue 13, items 1, 2, 5)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from app.consultations.demo import DEMO_SLUG, ensure_demo_consultation
from app.drafts.parsing import NZ
from tests.support.browser import FILL_WAIT_MS
from tests.support.word import street_trees_docx

pytestmark = pytest.mark.browser

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _nz_local(moment: dt.datetime) -> str:
    return moment.astimezone(NZ).strftime("%Y-%m-%dT%H:%M")


def test_a_drafter_creates_a_consultation_from_a_word_document(page: Page, sign_in, axe_check) -> None:
    title = f"Street Trees Policy {uuid.uuid4().hex[:6]}"
    sign_in(page, "drafter")
    page.goto("/")
    page.get_by_role("link", name="Create a consultation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a consultation")
    axe_check(page)

    page.get_by_label("Title").fill(title)
    page.get_by_label("Summary").fill("Where the city plants street trees, and who decides.")
    page.get_by_label("Agency").fill("Parks and Streets Team")
    page.get_by_label("Contact email").fill("trees@example.govt.nz")
    page.get_by_label("Why we are asking").fill("We want to know which streets need shade first.")
    page.get_by_label("What happens next").fill("We read every comment and publish a revised draft.")
    now = dt.datetime.now(dt.UTC)
    page.get_by_label("Comments open").fill(_nz_local(now - dt.timedelta(hours=2)))
    page.get_by_label("Comments close").fill(_nz_local(now + dt.timedelta(days=20)))
    page.get_by_label("Or upload the first draft").set_input_files(
        files=[{"name": "street-trees.docx", "mimeType": DOCX, "buffer": street_trees_docx()}]
    )
    page.get_by_role("button", name="Preview").click()

    # The preview shows Word's headings as sections and its paragraphs and bullets as clauses; nothing is saved.
    preview = page.get_by_role("region", name=re.compile("^Preview of"))
    expect(preview).to_contain_text("2 sections, 4 clauses.")
    expect(preview.get_by_role("heading", name="2. How we plant")).to_be_visible()
    expect(preview).to_contain_text("Ask the people on the street before a tree is removed.")
    expect(page.get_by_label("First draft (Markdown)")).to_have_value(re.compile(r"## How we plant"))
    axe_check(page)

    page.get_by_role("button", name="Create the consultation").click()
    expect(page).to_have_url(re.compile(r"/drafting/street-trees-policy-[0-9a-f]{6}/consultation-draft$"))
    expect(page.locator(".flash--success")).to_contain_text("is created with its first draft")
    # Publishing goes through its confirmation page (what becomes public, and that it cannot be undone).
    page.get_by_role("link", name="Publish “Consultation draft”…").click()
    expect(page.locator("main")).to_contain_text("Publishing cannot be undone.")
    page.get_by_role("button", name="Yes, publish “Consultation draft” now").click()
    expect(page.locator(".flash--success")).to_contain_text("is published")

    # Published: the hub lists it among the open consultations, with its countdown and exact closing time.
    page.goto("/?state=open")
    card = page.locator("li.card", has=page.get_by_role("link", name=title))
    expect(card).to_contain_text("Open for comment")
    expect(card).to_contain_text(re.compile(r"Closes in (19|20|21) days"))
    expect(card).to_contain_text("(New Zealand time)")
    card.get_by_role("link", name=title).click()
    expect(page.locator(".state-lead").first).to_contain_text("Open for comment")
    expect(page.get_by_role("heading", name="Who is consulting")).to_be_visible()
    expect(page.get_by_text("Parks and Streets Team")).to_be_visible()
    axe_check(page)


@pytest.fixture
def demo(seed) -> str:
    seed(ensure_demo_consultation)
    return DEMO_SLUG


def test_the_hub_groups_consultations_by_state_and_filters_them(page: Page, demo: str, axe_check) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultations")
    expect(page.get_by_text("Policies open for kōrero")).to_have_count(0)
    for heading in ("Open for comment", "Upcoming", "Closed, awaiting the outcome", "Concluded"):
        expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()
    axe_check(page)
    concluded = page.get_by_role("navigation", name="Show consultations").get_by_role(
        "link", name=re.compile(r"^Concluded")
    )
    concluded.click()
    expect(page).to_have_url(re.compile(r"\?state=concluded$"))
    expect(page.get_by_role("heading", level=2)).to_have_text(["Concluded"])
    expect(page.get_by_role("link", name="Data Protection and Use Policy")).to_be_visible()
    expect(page.get_by_role("link", name="Final")).to_be_visible()  # the outcome, linked
    axe_check(page)


def test_a_newcomer_comments_on_the_demo_consultation(page: Page, demo: str, sign_in, axe_check) -> None:
    page.goto(f"/policies/{demo}")
    expect(page.locator(".banner--demo")).to_contain_text("Demo data.")
    expect(page.locator(".state-lead").first).to_contain_text("Open for comment")
    axe_check(page)
    sign_in(page, "commenter")
    page.goto(f"/policies/{demo}")
    page.get_by_role("link", name="Read and comment on Consultation draft").first.click()
    page.get_by_role("link", name=re.compile(r"^read and comment — What we keep")).click()
    expect(page.locator(".comment-period")).to_contain_text("Comments are open")
    axe_check(page)
    clause = page.locator("#clause-keep-3")
    clause.get_by_role("link", name=re.compile(r"^Comment on this clause")).click()
    body = f"Counts with no names are fine by me. {uuid.uuid4().hex[:6]}"
    page.get_by_label(re.compile("^Your comment")).fill(body)
    page.wait_for_timeout(FILL_WAIT_MS)
    page.get_by_role("button", name=re.compile("Send comment")).click()
    expect(page.get_by_text(re.compile(r"KR-[0-9A-Z]{4}-[0-9A-Z]{4}")).first).to_be_visible()
