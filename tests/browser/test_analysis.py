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


def test_an_analyst_takes_a_wrongly_grouped_comment_out_by_keyboard(
    page: Page, seed: Seed, sign_in, axe_check, open_section: str
) -> None:
    from app.models import CampaignGroup, Comment

    word = "totara" + uuid.uuid4().hex[:8]
    letter = (
        f"Please protect the {word} stands along the ridge because they shelter birds and hold the soil "
        "together when the winter storms come through the valley."
    )
    for _ in range(3):
        seed_comment(seed, letter)

    def grouped(session: Session) -> tuple[int, list[int]]:
        ids = list(session.scalars(select(Comment.id).where(Comment.body == letter).order_by(Comment.id)))
        group_id = session.get_one(Comment, ids[0]).campaign_group_id
        assert group_id is not None
        return group_id, ids

    group_id, ids = seed(grouped)
    sign_in(page, "reviewer")
    page.goto(f"{WORKBENCH}/groups")
    axe_check(page)
    page.goto(f"{WORKBENCH}/groups/{group_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(group_id))
    axe_check(page)
    checkbox = page.locator(f"#member-{ids[-1]}")
    checkbox.focus()
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    page.get_by_role("button", name="Take the ticked comments out of the group").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Took 1 comment out of the group.")).to_be_visible()
    expect(page.locator(f"#member-{ids[-1]}")).to_have_count(0)

    def kept(session: Session) -> tuple[int, int | None]:
        group = session.get_one(CampaignGroup, group_id)
        return group.member_count, session.get_one(Comment, ids[-1]).campaign_group_id

    assert seed(kept) == (2, None)


def test_a_drafter_answers_a_search_result_after_confirming_the_count(
    page: Page, seed: Seed, sign_in, axe_check, open_section: str
) -> None:
    word = "harakeke" + uuid.uuid4().hex[:8]
    seed_comment(seed, f"Plant {word} along the stream banks.")
    seed_comment(seed, f"More {word} in the wetlands, please.")
    sign_in(page, "drafter")
    page.goto(f"{WORKBENCH}/response?q={word}")
    expect(page.get_by_text("linked to 2 comments")).to_be_visible()
    axe_check(page)
    page.get_by_label("Noted", exact=True).check()
    page.get_by_label("Response", exact=True).fill("We will plant along the streams.")
    page.get_by_role("button", name="Check the response").click()
    confirm = page.get_by_role("button", name="Confirm: answer 2 comments")
    expect(confirm).to_be_visible()
    axe_check(page)
    confirm.click()
    expect(page.get_by_text("Response saved for 2 comments.")).to_be_visible()


def _item_of(seed: Seed, tracking: str) -> int:
    from app.models import Comment

    return int(seed(lambda s: s.scalars(select(Comment.id).where(Comment.tracking_number == tracking)).one()))


def _passages(seed: Seed, tag_id: int) -> list[tuple[str | None, int | None, int | None]]:
    def read(session: Session) -> list[tuple[str | None, int | None, int | None]]:
        rows = session.scalars(select(TagApplication).where(TagApplication.tag_id == tag_id)).all()
        return [(a.quote_exact, a.quote_start, a.quote_end) for a in rows]

    return list(seed(read))


def test_an_analyst_tags_a_passage_selected_with_the_mouse(
    page: Page, seed: Seed, sign_in, axe_check, open_section: str
) -> None:
    word = "raupo" + uuid.uuid4().hex[:8]
    # An emoji before the passage: the browser counts it as two units, the server as one character.
    body = f"Kia ora 🌿 the {word} wetlands need protecting before the next dry summer."
    comment_id = _item_of(seed, seed_comment(seed, body))
    tag_id = seed_tag(seed, "Wetlands " + uuid.uuid4().hex[:6])
    sign_in(page, "reviewer")
    page.goto(f"{WORKBENCH}/items/comment/{comment_id}")
    expect(page.get_by_role("button", name="Select a passage with the keyboard")).to_be_visible()
    passage = f"{word} wetlands need protecting"
    at = body.index(passage)
    # The selection made as a mouse drag leaves it (a Range in the item's text), with a space on each side.
    page.evaluate(
        """([passage]) => {
            const root = document.getElementById("item-text");
            const node = root.firstChild;
            const at = node.nodeValue.indexOf(passage);
            const range = document.createRange();
            range.setStart(node, at - 1);
            range.setEnd(node, at + passage.length + 1);
            const sel = window.getSelection();
            sel.removeAllRanges();
            sel.addRange(range);
        }""",
        [passage],
    )
    expect(page.locator("#start")).to_have_value(str(at))
    expect(page.locator("#end")).to_have_value(str(at + len(passage)))
    expect(page.locator("#passage-live")).to_contain_text(f"Passage chosen: “{passage}”")
    axe_check(page)
    page.locator("#tag").select_option(str(tag_id))
    page.get_by_role("button", name="Add tag", exact=True).click()
    expect(page.get_by_text("Tagged “Wetlands")).to_be_visible()
    assert _passages(seed, tag_id) == [(passage, at, at + len(passage))]
    expect(page.locator(".applied")).to_contain_text(f"“{passage}”")


def test_an_analyst_tags_a_passage_selected_by_keyboard_alone(
    page: Page, seed: Seed, sign_in, axe_check, open_section: str
) -> None:
    word = "kowhai" + uuid.uuid4().hex[:8]
    body = f"The {word} trees by the school feed the tui every spring."
    comment_id = _item_of(seed, seed_comment(seed, body))
    tag_name = "Trees " + uuid.uuid4().hex[:6]
    tag_id = seed_tag(seed, tag_name)
    sign_in(page, "reviewer")
    page.goto(f"{WORKBENCH}/items/comment/{comment_id}")
    start = page.get_by_role("button", name="Select a passage with the keyboard")
    start.focus()
    page.keyboard.press("Enter")
    text = page.locator("#item-text")
    expect(text).to_be_focused()
    expect(page.locator("#passage-live")).to_contain_text("Passage chosen: “The”")
    axe_check(page)
    page.keyboard.press("ArrowRight")  # the second word alone
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")  # ... and two more: "<word> trees by"
    passage = f"{word} trees by"
    expect(page.locator("#passage-live")).to_contain_text(f"Passage chosen: “{passage}”")
    page.keyboard.press("Escape")  # cancelled: the fields go back to empty
    expect(page.locator("#start")).to_have_value("")
    expect(start).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Enter")  # kept: on to the tag
    expect(page.locator("#tag")).to_be_focused()
    at = body.index(passage)
    expect(page.locator("#start")).to_have_value(str(at))
    expect(page.locator("#end")).to_have_value(str(at + len(passage)))
    options = page.locator("#tag option").all_inner_texts()
    page.keyboard.press("Home")
    for _ in range(options.index(tag_name)):
        page.keyboard.press("ArrowDown")
    expect(page.locator("#tag")).to_have_value(str(tag_id))
    page.get_by_role("button", name="Add tag", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"Tagged “{tag_name}”.")).to_be_visible()
    assert _passages(seed, tag_id) == [(passage, at, at + len(passage))]
    axe_check(page)


def test_typed_positions_still_work_and_bad_ones_are_refused(
    page: Page, seed: Seed, sign_in, open_section: str
) -> None:
    word = "rimu" + uuid.uuid4().hex[:8]
    body = f"Keep the {word} walkway open all year."
    comment_id = _item_of(seed, seed_comment(seed, body))
    tag_id = seed_tag(seed, "Walkways " + uuid.uuid4().hex[:6])
    sign_in(page, "reviewer")
    page.goto(f"{WORKBENCH}/items/comment/{comment_id}")
    page.locator("#tag").select_option(str(tag_id))
    page.locator("#start").fill("5")
    page.locator("#end").fill(str(len(body) + 40))  # past the end of the text
    page.get_by_role("button", name="Add tag", exact=True).click()
    expect(page.get_by_text("Choose a passage inside the comment's words.")).to_be_visible()
    assert _passages(seed, tag_id) == []
    page.goto(f"{WORKBENCH}/items/comment/{comment_id}")
    page.locator("#tag").select_option(str(tag_id))
    page.locator("#start").fill("0")
    page.locator("#end").fill("4")
    page.get_by_role("button", name="Add tag", exact=True).click()
    expect(page.get_by_text("Tagged “Walkways")).to_be_visible()
    assert _passages(seed, tag_id) == [("Keep", 0, 4)]


def test_an_analyst_makes_a_new_group_then_merges_it_back_choosing_the_response(
    page: Page, seed: Seed, sign_in, axe_check, open_section: str
) -> None:
    from app.models import CampaignGroup, Comment, Response, Role, User
    from app.responses.services import respond

    word = "pohutukawa" + uuid.uuid4().hex[:8]
    letter = (
        f"Please save the {word} on the headland because it flowers every summer and the children of the "
        "bay have climbed it for as long as anyone can remember."
    )
    for _ in range(4):
        seed_comment(seed, letter)

    def grouped(session: Session) -> tuple[int, list[int]]:
        ids = list(session.scalars(select(Comment.id).where(Comment.body == letter).order_by(Comment.id)))
        group_id = session.get_one(Comment, ids[0]).campaign_group_id
        assert group_id is not None
        return group_id, ids

    group_id, ids = seed(grouped)
    sign_in(page, "reviewer")
    page.goto(f"{WORKBENCH}/groups/{group_id}")
    for comment_id in ids[2:]:
        box = page.locator(f"#member-{comment_id}")
        box.focus()
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    page.get_by_role("button", name="Make the ticked comments a new group").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("of 2 comments.")).to_be_visible()
    new_id = seed(lambda s: s.get_one(Comment, ids[2]).campaign_group_id)
    assert new_id not in (None, group_id)
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(new_id))
    axe_check(page)

    def answer_both(session: Session) -> tuple[int, int]:
        drafter = session.scalars(select(User).where(User.role == Role.DRAFTER.value)).first()
        old = respond(
            session, drafter, session.get_one(CampaignGroup, group_id), "noted", "Old answer.", None, ""
        )
        new = respond(
            session, drafter, session.get_one(CampaignGroup, new_id), "accepted", "New answer.", None, ""
        )
        return old.id, new.id

    old_response, new_response = seed(answer_both)
    page.reload()
    page.locator("#into").select_option(str(group_id))
    page.get_by_role("button", name="Merge into that group").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Merge group")
    expect(page.get_by_text("New answer.")).to_be_visible()
    axe_check(page)
    page.get_by_label(f"Group {new_id}'s response", exact=False).check()
    page.get_by_role("button", name="Merge and keep the chosen response").click()
    expect(page.get_by_text(f"Merged into group {group_id}")).to_be_visible()

    def after(session: Session) -> tuple[int | None, int | None, int]:
        kept = session.get_one(Response, new_response)
        aside = session.get_one(Response, old_response)
        return (
            kept.campaign_group_id,
            aside.campaign_group_id,
            session.get_one(CampaignGroup, group_id).member_count,
        )

    assert seed(after) == (group_id, new_id, 4)
