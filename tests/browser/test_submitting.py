"""Whole-version submissions in a real browser: the form with questions and an attachment by mouse, the same by
keyboard only, and staff intake; axe (WCAG 2.2 A/AA) on every page met.

The revised draft's period is opened for this module (`comment_period_open`) and its questions set; the browser
database lives for the session, so every account and text here is unique.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import PASSWORD
from tests.support import files
from tests.support.browser import (
    FILL_WAIT_MS,
    POLICY_SLUG,
    TRACKING,
    VERSION_SLUG,
    Seed,
    comment_period_open,
    new_commenter,
    unique,
)

pytestmark = pytest.mark.browser

FORM = f"/policies/{POLICY_SLUG}/versions/{VERSION_SLUG}/submission"
QUESTIONS = """
- ask: How clear is the purpose of the policy?
  kind: agree
  required: true
- ask: Which principles matter most to you?
  kind: multiple
  choices: [He Tāngata, Manaakitanga, Kaitiakitanga]
"""


@pytest.fixture(scope="module")
def open_version(browser_app: Flask) -> Iterator[None]:
    with comment_period_open(browser_app):
        yield


@pytest.fixture
def with_questions(seed: Seed, open_version: None) -> None:
    def store(session: Session) -> None:
        from app.models import Policy, User, Version
        from app.submissions.services import set_questions

        version = session.scalars(
            select(Version).join(Policy).where(Policy.slug == POLICY_SLUG, Version.slug == VERSION_SLUG)
        ).one()
        drafter = session.scalars(select(User).where(User.email == "drafter@demo.korero.test")).one()
        set_questions(session, drafter, version, QUESTIONS)

    seed(store)


def sign_in_as(page: Page, email: str) -> None:
    page.goto("/login")
    form = page.locator("form:has(input[name='password'])")
    form.locator("input[name='email']").fill(email)
    form.locator("input[name='password']").fill(PASSWORD)
    form.locator("[type='submit']").click()
    page.wait_for_load_state()


def focused(page: Page) -> dict[str, Any]:
    return page.evaluate(
        """() => { const el = document.activeElement;
            return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute("name"), type: el.type || null,
                    value: el.value === undefined ? null : el.value}; }"""
    )


def tab_until(page: Page, matches: Callable[[dict[str, Any]], bool], limit: int = 80) -> dict[str, Any]:
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if matches(now):
            return now
    raise AssertionError(f"Tab never reached the element wanted; last focused: {focused(page)}")


def test_a_member_sends_a_submission_with_answers_and_a_file(
    page: Page, seed: Seed, with_questions: None, axe_check: Callable[..., None], tmp_path: Path
) -> None:
    email, _name = new_commenter(seed)
    sign_in_as(page, email)
    page.goto(FORM)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Make a submission")
    axe_check(page)

    body = unique("Our whānau read the whole draft")
    page.get_by_label("What do you think of this draft?").fill(body)
    page.get_by_label("Agree", exact=True).check()
    page.get_by_label("Kaitiakitanga", exact=True).check()
    page.get_by_role("checkbox", name="8. Kaitiakitanga").check()
    page.get_by_label("On behalf of an organisation").check()
    page.get_by_label("Name of the organisation").fill(unique("Rōpū"))
    page.get_by_label("Community group or NGO").check()
    page.get_by_label("Publish it without my name").check()
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(files.pdf("Our letter to the drafting team"))
    page.get_by_label("Attach files (optional)").set_input_files(str(letter))
    page.wait_for_timeout(FILL_WAIT_MS)
    page.get_by_role("button", name="Send submission").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Submission receipt")
    expect(page.locator(".tracking-number")).to_have_text(TRACKING)
    expect(page.get_by_role("link", name="letter.pdf")).to_be_visible()
    expect(page.locator(".submission__body")).to_contain_text(body)
    axe_check(page)


def test_a_refused_submission_shows_the_problem_accessibly(
    page: Page, seed: Seed, with_questions: None, axe_check: Callable[..., None]
) -> None:
    email, _name = new_commenter(seed)
    sign_in_as(page, email)
    page.goto(FORM)
    page.get_by_label("What do you think of this draft?").fill(unique("No answer to the required one"))
    page.wait_for_timeout(FILL_WAIT_MS)
    page.get_by_role("button", name="Send submission").click()
    expect(page.locator(".error-summary")).to_contain_text("This question needs an answer")
    axe_check(page)


def test_a_member_saves_a_draft_and_sends_it_by_keyboard_only(
    page: Page, seed: Seed, with_questions: None, axe_check: Callable[..., None]
) -> None:
    email, _name = new_commenter(seed)
    sign_in_as(page, email)
    page.goto(FORM)
    tab_until(page, lambda f: f["name"] == "body")
    body = unique("Typed without a mouse")
    page.keyboard.type(body)
    # The agree scale: Tab into the radio group, arrows move and choose.
    tab_until(page, lambda f: f["type"] == "radio" and (f["name"] or "").startswith("q"))
    page.keyboard.press("Space")
    page.wait_for_timeout(FILL_WAIT_MS)
    tab_until(page, lambda f: f["name"] == "save")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("You have a draft saved")
    expect(page.get_by_label("What do you think of this draft?")).to_have_value(body)
    axe_check(page)

    page.wait_for_timeout(FILL_WAIT_MS)
    tab_until(page, lambda f: f["name"] == "submit")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Submission receipt")
    expect(page.locator(".tracking-number")).to_have_text(TRACKING)


def test_intake_staff_enter_a_posted_submission(
    page: Page, sign_in, open_version: None, axe_check: Callable[..., None], tmp_path: Path
) -> None:
    import datetime as dt

    from app.drafts.parsing import NZ

    sign_in(page, "intake")
    page.goto("/intake/")
    axe_check(page)
    page.goto(f"/intake/{POLICY_SLUG}/{VERSION_SLUG}")
    axe_check(page)
    name = unique("Mere Paper")
    page.get_by_label("Post").check()
    page.get_by_label("Day received (YYYY-MM-DD)").fill(
        dt.datetime.now(dt.UTC).astimezone(NZ).date().isoformat()
    )
    page.get_by_label("Submitter's name, as they gave it").fill(name)
    page.get_by_label("The submission, transcribed").fill(unique("Handwritten words"))
    page.get_by_label("Agree", exact=True).check()
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(files.pdf("Scanned page"))
    page.get_by_label("Scan or copy of the original").set_input_files(str(scan))
    page.get_by_role("button", name="Enter submission").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Submission receipt")
    expect(page.locator("main")).to_contain_text(name)
    axe_check(page)
