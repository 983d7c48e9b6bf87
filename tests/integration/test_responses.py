"""“You said, we did”: responses to comments and campaign groups, on the public page, receipts and compare pages."""

from __future__ import annotations

import pytest
from flask import render_template
from sqlalchemy import select

from app.diffing.cache import clear_cache
from app.models import AuditEvent, CampaignGroup, Comment, Response, Role
from tests.factories import login, make_comment, make_user
from tests.support.revisions import (
    FORM,
    POLICY,
    assert_inert,
    clause,
    form_body,
    hostile_payloads,
    no_rate_limits,  # noqa: F401 - a fixture, used by name
    version,
)

pytestmark = pytest.mark.usefixtures("no_rate_limits")

PUBLIC = f"/policies/{POLICY}/versions/consultation-draft/responses"


@pytest.fixture
def drafter_client(client, session, imported):
    login(client, make_user(session, Role.DRAFTER.value))
    return client


@pytest.fixture
def comment(session, imported):
    made = make_comment(
        session,
        make_user(session),
        version(session, "consultation-draft"),
        "purpose-1",
        body="Say it more plainly please.",
    )
    session.commit()  # a refused request rolls back to here, not past the test's own data
    return made


@pytest.fixture
def group(session, imported):
    first = version(session, "consultation-draft")
    target = clause(session, "consultation-draft", "using-8")
    campaign = CampaignGroup(
        version_id=first.id, clause_id=target.id, fingerprint="remove it", member_count=3
    )
    session.add(campaign)
    session.flush()
    for n in range(3):
        make_comment(
            session, make_user(session), first, "using-8", body=f"Remove this clause, it is not needed. ({n})"
        ).campaign_group_id = campaign.id
    session.commit()
    return campaign


def respond_url(comment_id: int) -> str:
    return f"/drafting/{POLICY}/consultation-draft/comments/{comment_id}/response"


def test_a_drafter_records_a_response_and_everyone_sees_it(session, drafter_client, client, comment):
    revised = version(session, "revised-draft")
    page = drafter_client.get(respond_url(comment.id))
    assert page.status_code == 200
    assert "Say it more plainly please." in page.get_data(as_text=True)
    response = drafter_client.post(
        respond_url(comment.id),
        data={
            "outcome": "accepted",
            "text": "We rewrote clause 1.1 in plain words.",
            "changed_in": str(revised.id),
            "clauses": "1.1",
        },
    )
    assert response.status_code == 303
    stored = session.scalars(select(Response).where(Response.comment_id == comment.id)).one()
    assert stored.changed_clause_keys == ["purpose-1"]
    assert stored.changed_in_version_id == revised.id
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "response.record")).first()
    # The public response to submissions.
    public = client.get(PUBLIC).get_data(as_text=True)
    assert "Say it more plainly please." in public
    assert "We rewrote clause 1.1 in plain words." in public
    assert "Accepted" in public
    # The compare page shows it next to the change it led to.
    clear_cache()
    compare = client.get(f"/policies/{POLICY}/compare/consultation-draft...revised-draft").get_data(
        as_text=True
    )
    at = compare.index('id="diff-purpose-1"')
    assert "We rewrote clause 1.1 in plain words." in compare[at : at + 6000]
    # The commenter's receipt.
    with drafter_client.application.test_request_context():
        receipt = render_template("comments/_receipt_response.html", comment=comment)
    assert "We rewrote clause 1.1 in plain words." in receipt
    assert "Accepted" in receipt


def test_a_response_can_be_changed(session, drafter_client, comment):
    drafter_client.post(
        respond_url(comment.id), data={"outcome": "noted", "text": "Thanks.", "changed_in": "", "clauses": ""}
    )
    drafter_client.post(
        respond_url(comment.id),
        data={"outcome": "not_accepted", "text": "On reflection, no.", "changed_in": "", "clauses": ""},
    )
    stored = session.scalars(select(Response).where(Response.comment_id == comment.id)).all()
    assert len(stored) == 1
    assert stored[0].outcome == "not_accepted"
    assert stored[0].updated_at is not None


def test_a_campaign_is_answered_once_and_counted(session, drafter_client, client, group):
    url = f"/drafting/{POLICY}/consultation-draft/groups/{group.id}/response"
    assert "3 people sent this comment" in drafter_client.get(url).get_data(as_text=True)
    response = drafter_client.post(
        url,
        data={
            "outcome": "accepted",
            "text": "We removed it.",
            "changed_in": str(version(session, "revised-draft").id),
            "clauses": "",
        },
    )
    assert response.status_code == 303
    public = client.get(PUBLIC).get_data(as_text=True)
    section = public[public.index('id="asks-using-8"') :]
    assert section.count("Remove this clause") == 1  # shown once ...
    assert '<td class="n">3</td>' in section  # ... with how many asked it
    assert "We removed it." in section
    # Each member sees the group's response on their receipt.
    one = session.scalars(select(Comment).where(Comment.campaign_group_id == group.id)).first()
    with client.application.test_request_context():
        receipt = render_template("comments/_receipt_response.html", comment=one)
    assert "We removed it." in receipt
    assert "everyone who sent the same" in receipt


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"outcome": "maybe", "text": "x"}, "Choose what was done"),
        ({"outcome": "accepted", "text": "   "}, "Write the response"),
        ({"outcome": "accepted", "text": "x", "clauses": "1.1"}, "Choose the version"),
        (
            {"outcome": "accepted", "text": "x", "changed_in": "revised", "clauses": "99.9, nope"},
            "not clauses of",
        ),
        # The one text validator's words (app.text.clean_text).
        ({"outcome": "accepted", "text": "x" * 5001}, "5,000 characters or fewer"),
        ({"outcome": "accepted", "text": "NUL\x00byte"}, "control characters"),
    ],
)
def test_bad_responses_are_refused(session, drafter_client, comment, fields, message):
    data = {"outcome": "", "text": "", "changed_in": "", "clauses": ""}
    data.update(fields)
    if data["changed_in"] == "revised":
        data["changed_in"] = str(version(session, "revised-draft").id)
    response = drafter_client.post(respond_url(comment.id), data=form_body(data), content_type=FORM)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert session.scalars(select(Response).where(Response.comment_id == comment.id)).first() is None


def test_changes_must_be_in_a_later_version(session, drafter_client, comment):
    data = {
        "outcome": "accepted",
        "text": "x",
        "changed_in": str(version(session, "consultation-draft").id),
        "clauses": "",
    }
    assert drafter_client.post(respond_url(comment.id), data=data).status_code == 400


def test_comments_of_other_versions_and_replies_are_404(session, drafter_client, comment):
    other = f"/drafting/{POLICY}/revised-draft/comments/{comment.id}/response"
    assert drafter_client.get(other).status_code == 404
    reply = make_comment(
        session,
        None,
        version(session, "consultation-draft"),
        "purpose-1",
        body="A reply",
        parent_id=comment.id,
    )
    assert drafter_client.get(respond_url(reply.id)).status_code == 404
    assert drafter_client.get(respond_url(99999999)).status_code == 404
    assert (
        drafter_client.get(f"/drafting/{POLICY}/consultation-draft/groups/99999999/response").status_code
        == 404
    )


def test_the_drafters_list_shows_comments_and_campaigns_once(session, drafter_client, comment, group):
    html = drafter_client.get(f"/drafting/{POLICY}/consultation-draft/comments").get_data(as_text=True)
    assert "Say it more plainly please." in html
    assert html.count("Remove this clause") == 1


def test_public_page_hides_unpublished_comments(session, client, imported):
    make_comment(
        session,
        make_user(session),
        version(session, "consultation-draft"),
        "purpose-2",
        body="Held words",
        state="held",
    )
    html = client.get(PUBLIC).get_data(as_text=True)
    assert "Held words" not in html
    assert client.get(f"/policies/{POLICY}/versions/nope/responses").status_code == 404


@pytest.mark.parametrize("role", [None, "commenter", "reviewer", "moderator"])
def test_only_drafters_respond(session, client, comment, role):
    if role:
        login(client, make_user(session, role))
    response = client.post(respond_url(comment.id), data={"outcome": "accepted", "text": "Sneaky"})
    assert response.status_code == (302 if role is None else 403)
    assert session.scalars(select(Response)).first() is None


@pytest.mark.parametrize("payload", hostile_payloads())
def test_hostile_response_texts_render_inert(session, drafter_client, client, comment, payload):
    response = drafter_client.post(
        respond_url(comment.id),
        data=form_body({"outcome": "accepted", "text": payload, "changed_in": "", "clauses": ""}),
        content_type=FORM,
    )
    assert response.status_code in (303, 422)
    assert_inert(client.get(PUBLIC).get_data(as_text=True), payload)
    with client.application.test_request_context():
        assert_inert(render_template("comments/_receipt_response.html", comment=comment), payload)
