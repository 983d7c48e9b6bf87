"""Issue 13 items 6 and 8 in a real browser: the fixed pages in te reo Māori pass axe, and every primary action
is a real-looking button at least 44 px tall on a phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.factories import PASSWORD
from tests.support.browser import CLAUSE_KEY, Seed, comment_period_open, new_commenter, unique

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="module")
def open_section(browser_app: Flask) -> Iterator[str]:
    with comment_period_open(browser_app) as section:
        yield section


def _buttons_are_44px(page: Page, selector: str) -> None:
    boxes = page.eval_on_selector_all(
        selector,
        """els => els.filter(e => e.offsetParent !== null).map(e => {
            const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
            return {text: e.value || e.textContent.trim(), h: r.height, bg: s.backgroundColor};
        })""",
    )
    assert boxes, f"no {selector} on {page.url}"
    for box in boxes:
        assert box["h"] >= 44, box
        assert box["bg"] not in ("rgba(0, 0, 0, 0)", "transparent"), box


def test_the_comment_form_in_te_reo_passes_axe_and_its_button_is_44px(
    browser: Browser, base_url: str, seed: Seed, sign_in, open_section: str, axe_check
) -> None:
    context = browser.new_context(base_url=base_url, viewport=PHONE)
    page = context.new_page()
    try:
        email, _name = new_commenter(seed)
        sign_in(page, "commenter", email=email, password=PASSWORD)
        form = open_section.replace("/sections/purpose-and-scope", f"/clauses/{CLAUSE_KEY}/comment")
        page.goto(
            "/language/mi?next=" + form
        )  # the language switch: a cookie, so the receipt is in te reo too
        expect(page.locator("html")).to_have_attribute("lang", "mi")
        send = page.locator("input[type=submit][value='Tukuna te tākupu']")
        expect(send).to_be_visible()
        _buttons_are_44px(page, "main input[type=submit], main button")
        axe_check(page)
        # A paste and an immediate send by a person goes through (the activity sign), in te reo Māori too.
        page.locator("textarea[name=body]").fill(unique("He tākupu i whakapirihia"))
        page.wait_for_timeout(50)
        send.click()
        page.wait_for_load_state()
        expect(page.locator("h1")).to_contain_text("Rīhiti")
        axe_check(page)
    finally:
        context.close()


def test_the_section_page_footer_and_sign_in_link_in_te_reo(
    browser: Browser, base_url: str, open_section: str, axe_check
) -> None:
    context = browser.new_context(base_url=base_url, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(open_section + "?lang=mi")
        link = page.get_by_role("link", name="Takiuru mai kia tuku tākupu")
        expect(link).to_be_visible()
        assert (link.get_attribute("href") or "").startswith("/login?next=" + open_section)
        footer = page.locator("footer nav")
        for label in ("Tūmataiti", "Āheinga", "Whakapā mai", "Rangitaki tiaki tākupu"):
            expect(footer.get_by_role("link", name=label)).to_be_visible()
        axe_check(page)
        page.goto("/accessibility?lang=mi")
        expect(page.locator("h1")).to_have_text("Tauākī āheinga")
        axe_check(page)
    finally:
        context.close()


def test_signing_in_from_a_page_comes_back_to_it(
    browser: Browser, base_url: str, seed: Seed, open_section: str
) -> None:
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    try:
        email, _name = new_commenter(seed)
        page.goto(open_section)
        page.locator(".site-nav").get_by_role("link", name="Sign in").click()
        form = page.locator("form:has(input[name='password'])")
        form.locator("input[name='email']").fill(email)
        form.locator("input[name='password']").fill(PASSWORD)
        form.locator("[type='submit']").click()
        page.wait_for_load_state()
        assert page.url == base_url + open_section
    finally:
        context.close()
