"""Reading in a real browser: home → policy → version → section, keyboard, small screens, axe, no JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

POLICY = "/policies/data-protection-and-use-policy"
VERSION = f"{POLICY}/versions/consultation-draft"
SECTION = f"{VERSION}/sections/how-to-use-this-policy"
FINAL = f"{POLICY}/versions/final"
READING_PAGES = ["/", POLICY, VERSION, SECTION, FINAL]


def test_a_reader_goes_from_home_to_a_section(page: Page) -> None:
    page.goto("/")
    expect(page.locator("h1")).to_have_count(1)
    page.get_by_role("link", name="Data Protection and Use Policy").first.click()
    expect(page).to_have_url(re.compile(f"{POLICY}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Data Protection and Use Policy")

    page.locator("ol.timeline").get_by_role("link", name="Consultation draft").click()
    expect(page).to_have_url(re.compile(f"{VERSION}$"))
    expect(page.locator(".banner--draft")).to_contain_text("Draft — not government policy.")
    toc = page.get_by_role("navigation", name="Contents")
    expect(toc.get_by_role("heading", name="Contents")).to_be_visible()

    # A contents link jumps to its section on the same page.
    toc.get_by_role("link", name=re.compile(r"^2\. How to use this policy$")).click()
    expect(page).to_have_url(re.compile(r"#section-how-to-use-this-policy$"))
    expect(page.locator("#section-how-to-use-this-policy h2")).to_be_in_viewport()

    # The consultation draft was replaced and is closed: it says so first, and its contents say "read".
    expect(page.locator(".banner--superseded")).to_contain_text("This version has been replaced.")
    toc.get_by_role("link", name=re.compile(r"^read — How to use this policy")).click()
    expect(page).to_have_url(re.compile(f"{SECTION}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("2. How to use this policy")
    expect(page.locator(".banner--draft")).to_contain_text("Draft — not government policy.")
    numbers = page.locator("ol.clauses .clause__num").all_inner_texts()
    assert numbers[:3] == ["2.1", "2.2", "2.3"]
    expect(page.locator("ol.clauses .clause__body").first).to_contain_text("The policy has two layers.")

    # The pager reaches the next section; the clause permalink moves the URL to the clause.
    page.locator("nav.pager a[rel=next]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^3\. "))
    page.locator("ol.clauses .clause__num").first.click()
    expect(page).to_have_url(re.compile(r"#clause-[\w-]+$"))


def test_the_final_version_has_no_draft_banner(page: Page) -> None:
    page.goto(FINAL)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Data Protection and Use Policy")
    expect(page.locator(".banner--draft")).to_have_count(0)


def test_the_skip_link_is_first_and_moves_focus_to_main(page: Page) -> None:
    page.goto(SECTION)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside main, not back at the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


@pytest.mark.parametrize("path", READING_PAGES)
def test_no_horizontal_scroll_at_320_px(page: Page, path: str) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(path)
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
    )
    assert widths["scroll"] <= widths["client"], f"{path} scrolls sideways at 320 px: {widths}"


@pytest.mark.parametrize("path", [*READING_PAGES, "/no-such-page", f"{POLICY}/versions/no-such-version"])
def test_pages_pass_axe(page: Page, axe_check, path: str) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == (404 if "no-such" in path else 200)
    axe_check(page)


def test_the_404_page_says_so(page: Page) -> None:
    response = page.goto("/no-such-page")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    page.get_by_role("link", name="Go to the list of policies").click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_pages_read_without_javascript(browser: Browser, live_server: str) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=live_server)
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_role("link", name="Data Protection and Use Policy").first.click()
        page.locator("ol.timeline").get_by_role("link", name="Consultation draft").click()
        expect(page.locator(".banner--draft")).to_contain_text("Draft — not government policy.")
        page.get_by_role("link", name=re.compile(r"^read — How to use this policy")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("2. How to use this policy")
        expect(page.locator("ol.clauses > li")).not_to_have_count(0)
        # The collapsed list of all sections opens without script (it is a <details>).
        page.get_by_text("All sections of this version").click()
        expect(page.locator("details.toc a[aria-current=page]")).to_be_visible()
    finally:
        context.close()
