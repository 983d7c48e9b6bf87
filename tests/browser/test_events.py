"""Engagement events in a real browser, by keyboard only: intake staff record a hui (a refusal first, then
fixed), attach what was heard, and the public pages list it; axe (WCAG 2.2 A/AA) on every page met."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from app.drafts.parsing import NZ
from tests.browser.test_commenting import focused, tab_until
from tests.support.browser import POLICY_SLUG, VERSION_SLUG, unique

pytestmark = pytest.mark.browser


def test_intake_staff_record_a_hui_and_its_summary_by_keyboard(
    page: Page, sign_in, axe_check: Callable[..., None]
) -> None:
    place = unique("Tūrangawaewae Marae")
    summary = unique("People asked to be told before their data is shared.")
    held_on = (dt.datetime.now(dt.UTC).astimezone(NZ).date() - dt.timedelta(days=1)).isoformat()
    sign_in(page, "intake")
    page.goto(f"/intake/{POLICY_SLUG}/{VERSION_SLUG}/events")
    axe_check(page)

    link = tab_until(page, lambda f: f["tag"] == "a" and f["text"] == "Record an event")
    assert link["visible"], link
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Record an event")
    axe_check(page)

    radio = tab_until(page, lambda f: f["name"] == "kind")
    assert (radio["type"], radio["value"], radio["visible"]) == ("radio", "hui", True), radio
    page.keyboard.press("ArrowDown")  # arrows move within the group: a workshop
    assert focused(page)["value"] == "workshop"
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "held_on"
    page.keyboard.type(held_on)
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "place"
    page.keyboard.type(place)
    page.keyboard.press("Tab")
    page.keyboard.type("Waikato")
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "host"
    page.keyboard.type("Waikato-Tainui")
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "attendees"
    page.keyboard.type("-12")
    page.keyboard.press("Tab")
    send = focused(page)
    assert (send["value"], send["visible"]) == ("Save event", True), send
    page.keyboard.press("Enter")

    # Refused: the summary of problems takes the focus and links to the field; what was typed is kept.
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("whole number")
    expect(alert).to_be_focused()
    expect(page.get_by_label("Place")).to_have_value(place)
    axe_check(page)
    tab_until(page, lambda f: f["tag"] == "a" and "whole number" in f["text"])
    page.keyboard.press("Enter")
    expect(page.get_by_label("Number of people (optional)")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("35")
    tab_until(page, lambda f: f["value"] == "Save event")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Engagement events on")
    row = page.get_by_role("row").filter(has_text=place)
    expect(row).to_contain_text("Workshop")
    axe_check(page)

    tab_until(page, lambda f: f["tag"] == "a" and f["text"] == f"Add what we heard — {place}")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"What we heard at {place}")
    axe_check(page)
    box = tab_until(page, lambda f: f["name"] == "body")
    assert box["tag"] == "textarea"
    page.keyboard.type(summary)
    tab_until(page, lambda f: f["value"] == "Save summary")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Summary saved as submission KR-")
    expect(page.get_by_role("row").filter(has_text=place)).to_contain_text("KR-")

    # The public version page lists the event with its date as <time>, and links to the summary.
    visitor = page.context.browser.new_page()  # type: ignore[union-attr]
    try:
        visitor.goto(page.url.split("/intake/")[0] + f"/policies/{POLICY_SLUG}/versions/{VERSION_SLUG}")
        events = visitor.get_by_role("region", name="Hui, workshops and meetings")
        listed = events.get_by_role("row").filter(has_text=place)
        expect(listed.locator(f'time[datetime="{held_on}"]')).to_have_count(1)
        expect(listed).to_contain_text("35")
        listed.get_by_role("link", name="Read the summary").click()
        expect(visitor.locator("main")).to_contain_text(summary)
        expect(visitor.locator("main")).to_contain_text("Waikato-Tainui")
        axe_check(visitor)
    finally:
        visitor.close()
