"""Carry-forward: comments on the consultation draft re-anchored into the revised draft and the final."""

from __future__ import annotations

import pytest
from flask import render_template
from sqlalchemy import select

from app.diffing.anchoring import make_anchor
from app.drafting.services import start_working_version
from app.drafts.services import get_policy
from app.models import Comment, CommentPlacement, Role
from app.placements.carrying import carry_forward
from app.placements.history import carried_comments, placement_history
from tests.factories import login, make_comment, make_user
from tests.support.revisions import (
    POLICY,
    clause,
    no_rate_limits,  # noqa: F401 - a fixture, used by name
    version,
)

pytestmark = pytest.mark.usefixtures("no_rate_limits")


def comment_on(
    session, user, version_slug: str, key: str, passage: str | None = None, body: str | None = None
) -> Comment:
    """A published comment on a clause of a version, about `passage` of it if given."""
    # One person's comments differ in their words, as the duplicate rule requires.
    body = body or f"A comment on {key}" + (f" about “{passage}”." if passage else ".")
    quote = {}
    if passage is not None:
        text = clause(session, version_slug, key).text
        start = text.index(passage)
        anchor = make_anchor(text, start, start + len(passage))
        quote = {
            "quote_exact": anchor.exact,
            "quote_prefix": anchor.prefix,
            "quote_suffix": anchor.suffix,
            "quote_start": anchor.start,
            "quote_end": anchor.end,
        }
    return make_comment(session, user, version(session, version_slug), key, body=body, **quote)


def placement(session, comment: Comment, version_slug: str) -> CommentPlacement | None:
    return session.scalar(
        select(CommentPlacement).where(
            CommentPlacement.comment_id == comment.id,
            CommentPlacement.version_id == version(session, version_slug).id,
        )
    )


@pytest.fixture
def carried(session, imported):
    """Comments on the consultation draft of every kind, carried into the revised draft and then the final."""
    user = make_user(session)
    comments = {
        "unchanged": comment_on(session, user, "consultation-draft", "purpose-2"),
        "moved": comment_on(session, user, "consultation-draft", "he-tangata-7"),
        "reworded_clause": comment_on(session, user, "consultation-draft", "purpose-1"),
        "intact_passage": comment_on(
            session, user, "consultation-draft", "purpose-1", "information about the people and communities"
        ),
        "edited_passage": comment_on(
            session, user, "consultation-draft", "purpose-1", "is handled with care"
        ),
        "removed": comment_on(session, user, "consultation-draft", "using-8"),
        "merged": comment_on(
            session, user, "consultation-draft", "kaitiakitanga-5", "significant collection of information"
        ),
        "split": comment_on(
            session,
            user,
            "consultation-draft",
            "transparency-1",
            "who to contact with questions or complaints",
        ),
        "reply": None,
    }
    reply = make_comment(session, user, version(session, "consultation-draft"), "purpose-2", body="A reply.")
    reply.parent_id = comments["unchanged"].id
    comments["reply"] = reply
    session.flush()
    first = carry_forward(session, version(session, "consultation-draft"), version(session, "revised-draft"))
    second = carry_forward(session, version(session, "revised-draft"), version(session, "final"))
    session.commit()  # a refused request rolls back to here, not past the test's own data
    return comments, first, second


def test_statuses_in_the_revised_draft(session, carried):
    comments, report, _second = carried
    expected = {
        "unchanged": ("unchanged", "purpose-2"),
        "moved": ("moved", "he-tangata-7"),
        "reworded_clause": ("text_changed", "purpose-1"),
        "intact_passage": ("unchanged", "purpose-1"),
        "removed": ("orphaned", None),
        "merged": ("moved", "kaitiakitanga-4"),
        "split": ("moved", "transparency-15"),
    }
    for name, (status, key) in expected.items():
        found = placement(session, comments[name], "revised-draft")
        assert found is not None, name
        assert (found.status, found.clause_key) == (status, key), name
    edited = placement(session, comments["edited_passage"], "revised-draft")
    assert edited.status in {"text_changed", "needs_review"}
    if edited.status == "text_changed":
        assert edited.quote_exact
        assert "handled" in edited.quote_exact
    assert placement(session, comments["reply"], "revised-draft") is None  # replies follow their comment
    assert report.total == 8
    assert sum(report.by_status.values()) == 8


def test_passages_point_at_their_text_in_the_new_version(session, carried):
    comments, _first, _second = carried
    for name in ("intact_passage", "merged", "split"):
        found = placement(session, comments[name], "revised-draft")
        text = clause(session, "revised-draft", found.clause_key).text
        assert text[found.quote_start : found.quote_end] == found.quote_exact == comments[name].quote_exact
    # The original anchor is never overwritten.
    original = session.get(Comment, comments["split"].id)
    assert original.quote_exact == "who to contact with questions or complaints"
    assert original.clause.key == "transparency-1"


def test_statuses_carry_on_into_the_final(session, carried):
    comments, _first, _second = carried
    assert placement(session, comments["unchanged"], "final").status == "unchanged"
    assert placement(session, comments["moved"], "final").status == "unchanged"  # it did not move again
    assert placement(session, comments["split"], "final").clause_key == "transparency-15"
    # Orphaned in the revised draft: not carried further; its history says where the text went.
    assert placement(session, comments["removed"], "final") is None
    history = placement_history(session, comments["removed"])
    assert [step.status for step in history] == ["original", "orphaned"]
    assert history[1].version.slug == "revised-draft"


def test_history_follows_a_comment_through_every_version(session, carried):
    comments, _first, _second = carried
    history = placement_history(session, comments["reworded_clause"])
    assert [(s.version.slug, s.status) for s in history] == [
        ("consultation-draft", "original"),
        ("revised-draft", "text_changed"),
        ("final", "unchanged"),
    ]
    assert history[1].previous.slug == "consultation-draft"
    assert history[1].clause_number == clause(session, "revised-draft", "purpose-1").number


def test_receipt_partial_shows_the_status_and_links_to_the_clause_diff(app, session, carried):
    comments, _first, _second = carried
    with app.test_request_context():
        html = render_template("comments/_receipt_response.html", comment=comments["reworded_clause"])
        removed = render_template("comments/_receipt_response.html", comment=comments["removed"])
    assert "text changed" in html
    assert f"/policies/{POLICY}/compare/consultation-draft...revised-draft#diff-purpose-1" in html
    assert "the text was removed in Revised draft" in removed


def test_section_partial_shows_carried_comments_with_status(app, session, carried):
    comments, _first, _second = carried
    final = version(session, "final")

    with app.test_request_context():
        html = render_template(
            "diffing/_carried_comments.html",
            version=final,
            clause=clause(session, "final", "purpose-1"),
            carried_comments=carried_comments(session, final, ["purpose-1"]),
        )
    assert comments["reworded_clause"].tracking_number in html
    assert "unchanged" in html


def test_publishing_carries_comments_forward(session, client, imported):
    drafter = make_user(session, Role.DRAFTER.value)
    user = make_user(session)
    on_final = comment_on(session, user, "final", "purpose-2", "grew out of a public conversation")
    gone = comment_on(session, user, "final", "purpose-3")
    session.expire_all()
    working = start_working_version(session, get_policy(session, POLICY), "Review 2020", drafter)
    source = working.source_markdown
    start = source.index("3. It covers the whole life of information")
    end = source.index("\n", start)
    working.source_markdown = source[:start] + source[end + 1 :]
    session.flush()
    login(client, drafter)
    assert client.post(f"/drafting/{POLICY}/{working.slug}/publish").status_code == 303
    assert placement(session, on_final, working.slug).status == "unchanged"
    assert placement(session, gone, working.slug).status == "orphaned"


def test_uncertain_placements_wait_for_a_drafter(session, client, carried):
    comments, _first, _second = carried
    found = placement(session, comments["edited_passage"], "revised-draft")
    found.status, found.clause_key = "needs_review", "purpose-1"
    found.quote_exact = found.quote_prefix = found.quote_suffix = None
    found.quote_start = found.quote_end = None
    session.flush()
    drafter = make_user(session, Role.DRAFTER.value)
    login(client, drafter)
    page = client.get(f"/drafting/{POLICY}/revised-draft/placements")
    assert page.status_code == 200
    assert comments["edited_passage"].tracking_number in page.get_data(as_text=True)
    url = f"/drafting/{POLICY}/revised-draft/placements/{found.id}"
    prefix = f"p{found.id}-"
    wrong = client.post(
        url,
        data={
            prefix + "where": "clause",
            prefix + "clause_key": "purpose-1",
            prefix + "quote": "words that are not there",
        },
    )
    assert wrong.status_code == 422
    assert "not in the clause" in wrong.get_data(as_text=True)
    ok = client.post(
        url,
        data={
            prefix + "where": "clause",
            prefix + "clause_key": "purpose-1",
            prefix + "quote": "will be handled carefully",
        },
    )
    assert ok.status_code == 303
    session.refresh(found)
    assert found.status == "text_changed"
    assert found.confirmed_by_id == drafter.id
    assert found.quote_exact == "will be handled carefully"
    assert comments["edited_passage"].tracking_number not in client.get(
        f"/drafting/{POLICY}/revised-draft/placements"
    ).get_data(as_text=True)


def test_a_drafter_may_say_the_text_was_removed(session, client, carried):
    comments, _first, _second = carried
    found = placement(session, comments["moved"], "revised-draft")
    found.status = "needs_review"
    session.flush()
    login(client, make_user(session, Role.DRAFTER.value))
    prefix = f"p{found.id}-"
    response = client.post(
        f"/drafting/{POLICY}/revised-draft/placements/{found.id}", data={prefix + "where": "removed"}
    )
    assert response.status_code == 303
    session.refresh(found)
    assert found.status == "orphaned"
    assert found.clause_key is None


def test_placements_of_another_version_are_404(session, client, carried):
    comments, _first, _second = carried
    found = placement(session, comments["moved"], "revised-draft")
    login(client, make_user(session, Role.DRAFTER.value))
    response = client.post(f"/drafting/{POLICY}/final/placements/{found.id}", data={})
    assert response.status_code == 404
    assert client.post(f"/drafting/{POLICY}/final/placements/99999999", data={}).status_code == 404


def test_the_final_section_page_shows_carried_comments_with_their_status(client, session, carried):
    comments, _first, _second = carried
    page = client.get("/policies/data-protection-and-use-policy/versions/final/sections/purpose-and-scope")
    assert page.status_code == 200
    assert comments["unchanged"].tracking_number in page.text
    assert comments["reworded_clause"].tracking_number in page.text
    assert comments["removed"].tracking_number not in page.text  # orphaned: nowhere to sit
    assert "comments from earlier versions" in page.text or "comment from an earlier version" in page.text
