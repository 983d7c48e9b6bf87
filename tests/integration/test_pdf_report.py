"""Comments reports: the staff report (everything) and the public one (published only, no personal details)."""

from __future__ import annotations

import re

import pytest

from app.models import CampaignGroup, CommentPlacement, Response
from tests.factories import login, make_comment, make_user, make_version
from tests.support.pdf import draft, fresh_cache, pdf_text

STAFF = "/policies/test-policy/versions/revised-draft/comments/report.pdf"
PUBLIC = "/policies/test-policy/versions/revised-draft/comments/public-report.pdf"
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture
def cache(app, tmp_path):
    with fresh_cache(app, tmp_path / "renditions") as fresh:
        yield fresh


@pytest.fixture
def commented(session):
    """A revised draft with published, held, hidden, anonymous, campaign and carried-forward comments."""
    first = make_version(
        session, label="First draft", markdown=draft("First draft", "published", "Short words.")
    )
    revised = make_version(
        session, label="Revised draft", markdown=draft("Revised draft", "published", "Short words.")
    )
    named = make_user(session, display_name="Aroha Named", email="aroha@example.org")
    shy = make_user(session, display_name="Hemi Hidden-Name", email="hemi@example.org")
    parent = make_comment(
        session, named, revised, "purpose-1", body="Published and named: please define agencies."
    )
    make_comment(
        session, shy, revised, "purpose-2", body="Published but anonymous comment.", display_as="anonymous"
    )
    make_comment(
        session, named, revised, "principles-1", body="Held comment waiting for a moderator.", state="held"
    )
    make_comment(
        session,
        shy,
        revised,
        "principles-2",
        body="Hidden comment text.",
        state="hidden",
        moderation_reason="Personal attack",
    )
    # The same text from several people (one account since deleted): the comments service groups them.
    members = [
        make_comment(
            session,
            member,
            revised,
            "guidelines-1",
            body="Campaign text: keep it short.",
            display_as="anonymous" if member is shy else "name",
        )
        for member in (named, shy, None)
    ]
    group = session.get_one(CampaignGroup, members[0].campaign_group_id)
    session.add(
        Response(
            campaign_group_id=group.id, version_id=revised.id, outcome="accepted", text="We shortened it."
        )
    )
    old = make_comment(
        session, named, first, "guidelines-2", body="Comment on the first draft, carried forward."
    )
    session.add(Response(comment_id=old.id, version_id=first.id, outcome="noted", text="Thank you, noted."))
    session.add(
        CommentPlacement(
            comment_id=old.id, version_id=revised.id, clause_key="guidelines-2", status="unchanged"
        )
    )
    make_comment(
        session,
        shy,
        revised,
        "purpose-1",
        body="A reply to the named comment.",
        parent_id=parent.id,
        display_as="anonymous",
    )
    return revised


def download(client, url: str):
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def test_public_report_has_only_published_comments_and_no_personal_details(client, cache, commented):
    response = download(client, PUBLIC)
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("public")
    text = pdf_text(response.data)
    assert "Published and named" in text
    assert "Aroha Named" in text
    assert "Published but anonymous comment" in text
    assert "Hemi Hidden-Name" not in text
    assert "Anonymous" in text
    assert "Held comment" not in text
    assert "Hidden comment text" not in text
    assert "Personal attack" not in text
    assert not EMAIL_RE.search(text), EMAIL_RE.search(text)
    assert "Campaign: sent by 3 people" in text
    assert "We shortened it." in text
    assert "Carried forward: text unchanged" in text
    assert "Thank you, noted." in text
    assert "Totals" in text.split("Purpose")[0]  # totals come first


def test_staff_report_has_everything(client, cache, commented, session):
    reviewer = make_user(session, role="reviewer")
    assert login(client, reviewer).status_code in (302, 303)
    response = download(client, STAFF)
    assert response.status_code == 200
    assert "private" in response.headers["Cache-Control"]
    text = pdf_text(response.data)
    for expected in (
        "Held comment waiting for a moderator",
        "Held for moderation",
        "Hidden comment text",
        "Hidden by a moderator",
        "Personal attack",
        "aroha@example.org",
        "Hemi Hidden-Name (shown publicly as anonymous)",
        "Campaign: sent by 3 people",
        "Carried forward: text unchanged",
        "A reply to the named comment",
        "Confidential",
    ):
        assert expected in " ".join(text.split()), expected
    totals = " ".join(text.split("1. Purpose")[0].split())
    assert re.search(r"Comments 8\b", totals), totals  # 4 top-level + 3 in the campaign + 1 carried forward


@pytest.mark.parametrize("role", ["reviewer", "drafter", "moderator", "admin"])
def test_staff_roles_get_the_staff_report(client, cache, commented, session, role):
    assert login(client, make_user(session, role=role)).status_code in (302, 303)
    assert download(client, STAFF).status_code == 200


def test_anonymous_users_are_sent_to_sign_in(client, cache, commented):
    response = download(client, STAFF)
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]


def test_signed_in_without_the_role_is_403(client, cache, commented, session):
    assert login(client, make_user(session, role="commenter")).status_code in (302, 303)
    assert download(client, STAFF).status_code == 403
    assert download(client, PUBLIC).status_code == 200


def test_report_changes_when_a_comment_is_added(client, cache, commented, session):
    first = download(client, PUBLIC)
    make_comment(session, make_user(session), commented, "purpose-2", body="A brand new comment.")
    second = download(client, PUBLIC)
    assert first.headers["ETag"] != second.headers["ETag"]
    assert "A brand new comment." in pdf_text(second.data)


def test_staff_link_appears_for_staff_only(client, commented, session):
    url = "/policies/test-policy/versions/revised-draft"
    assert "comments/report.pdf" not in client.get(url).get_data(as_text=True)
    login(client, make_user(session, role="reviewer"))
    assert "comments/report.pdf" in client.get(url).get_data(as_text=True)
