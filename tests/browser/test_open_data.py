"""The open-data pages in a real browser: the API docs page, and making and revoking an access token."""

from __future__ import annotations

import json
import re
import urllib.request

from playwright.sync_api import Page, expect


def test_the_api_docs_page_passes_axe_and_links_the_document(page: Page, axe_check) -> None:
    response = page.goto("/api/v1/docs")
    assert response is not None
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Open data: the Kōrero API")
    expect(page.get_by_role("link", name="The OpenAPI 3.1 document (JSON)")).to_be_visible()
    axe_check(page)


def test_a_commenter_makes_a_token_uses_it_and_revokes_it(
    page: Page, live_server: str, sign_in, axe_check
) -> None:
    sign_in(page, "commenter")
    page.goto("/account")
    page.get_by_role("link", name="Manage your access tokens").click()
    expect(page).to_have_url(re.compile(r"/account/tokens$"))
    axe_check(page)
    page.get_by_label("Name (to tell your tokens apart)").fill("Browser test token")
    page.get_by_label("Post comments and replies as you").check()
    page.get_by_role("button", name="Make a token").click()
    token = page.locator("code.token").inner_text()
    assert token.startswith("kr_")
    axe_check(page)
    request = urllib.request.Request(  # noqa: S310 - the live test server on 127.0.0.1
        f"{live_server}/api/v1/token", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request) as reply:  # noqa: S310 - the live test server on 127.0.0.1
        assert json.load(reply)["name"] == "Browser test token"
    page.get_by_role("row", name=re.compile("Browser test token")).get_by_role(
        "button", name="Revoke"
    ).first.click()
    expect(page.get_by_text("The token is revoked: it no longer works.")).to_be_visible()
