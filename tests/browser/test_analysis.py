"""The analysis workbench in a real browser: an analyst finds a comment, ticks it and tags it by keyboard alone;
axe on every workbench page and on the public search, activity and "what we heard" pages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Policy, Tag, TagApplication
from tests.support.browser import POLICY_SLUG, VERSION_SLUG, Seed, comment_period_open, seed_comment

pytestmark = pytest.mark.browser

WORKBENCH = f"/analysis/{POLICY_SLUG}/{VERSION_SLUG}"
PUBLIC = f"/policies/{POLICY_SLUG}/versions/{VERSION_SLUG}"


@pytest.fixture(scope="module")
def open_section(browser_app: Flask) -> Iterator[str]:
    with comment_period_open(browser_app) as section:
        yield section


def seed_tag(seed: Seed, name: str) -> int:
    def store(session: Session) -> int:
        policy = session.scalars(select(Policy).where(Policy.slug == POLICY_SLUG)).one()
        tag = Tag(policy_id=policy.id, name=name, description="Made by the browser test.")
        session.add(tag)
        session.flush()
        return tag.id

    return int(seed(store))


def test_an_analyst_tags_a_search_result_by_keyboard(
    page: Page, seed: Seed, sign_in, axe_check, open_section: str
) -> None:
    word = "kauri" + uuid.uuid4().hex[:8]
    seed_comment(seed, f"Protect the {word} forest near the river, please.")
    tag_name = "Forests " + uuid.uuid4().hex[:6]
    tag_id = seed_tag(seed, tag_name)

    sign_in(page, "reviewer")
    page.goto(f"{WORKBENCH}?q={word}")
    expect(page.locator("mark").first).to_have_text(word)
    axe_check(page)

    checkbox = page.locator("input[name='item']").first
    checkbox.focus()
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    page.locator("#bulk-tag").focus()
    page.keyboard.press("End")  # the newest tag is last in the list (by name it may not be): choose by keys
    options = page.locator("#bulk-tag option").all_inner_texts()
    position = options.index(tag_name)
    page.locator("#bulk-tag").focus()
    page.keyboard.press("Home")
    for _ in range(position):
        page.keyboard.press("ArrowDown")
    expect(page.locator("#bulk-tag")).to_have_value(str(tag_id))
    page.get_by_role("button", name="Apply tag").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"Tagged 1 item “{tag_name}”.")).to_be_visible()
    expect(page.locator(".result .tag", has_text=tag_name)).to_be_visible()

    def applied(session: Session) -> int:
        return len(session.scalars(select(TagApplication).where(TagApplication.tag_id == tag_id)).all())

    assert seed(applied) == 1

    page.locator(".result a", has_text="Code").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Code comment")
    axe_check(page)
    for path in ("/progress", "/themes", "/charts"):
        page.goto(WORKBENCH + path)
        axe_check(page)
    page.goto(f"/analysis/{POLICY_SLUG}/codebook")
    axe_check(page)
    page.goto("/analysis/")
    axe_check(page)


def test_public_analysis_pages_pass_axe(page: Page, axe_check) -> None:
    for path in ("/search?q=data", "/activity", "/what-we-heard"):
        page.goto(PUBLIC + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        axe_check(page)
