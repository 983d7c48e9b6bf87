"""Publish with review: ask, approve (someone else, the revision they saw), confirm, publish; conflicts as a diff."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.drafting import services
from app.drafts.services import get_policy
from app.models import AuditEvent, Policy, Role, Version
from tests.factories import login, make_user, make_version
from tests.support.revisions import no_rate_limits  # noqa: F401 - a fixture, used by name

pytestmark = pytest.mark.usefixtures("no_rate_limits")

SMALL = "test-policy"
WS = f"/drafting/{SMALL}"


@pytest.fixture
def people(session):
    return {
        "asker": make_user(session, Role.DRAFTER.value),
        "reviewer": make_user(session, Role.DRAFTER.value),
        "admin": make_user(session, Role.ADMIN.value),
    }


@pytest.fixture
def working(session, people) -> Version:
    make_version(session, policy_slug=SMALL, label="First draft")
    session.expire_all()
    policy = get_policy(session, SMALL)
    version = services.start_working_version(session, policy, "Second draft", people["asker"])
    session.commit()
    return version


def two_people(session) -> None:
    session.scalars(select(Policy).where(Policy.slug == SMALL)).one().publish_signoffs = 2
    session.commit()


def as_(app, user):
    client = app.test_client()
    login(client, user)
    return client


def test_one_person_publishes_after_the_confirmation_page(session, app, people, working):
    asker = as_(app, people["asker"])
    page = asker.get(f"{WS}/{working.slug}/publish")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "What will be public" in body
    assert "cannot be undone" in body
    assert asker.post(f"{WS}/{working.slug}/publish").status_code == 303
    session.expire_all()
    assert working.status == "published"


def test_two_people_ask_review_approve_publish(session, app, people, working):
    two_people(session)
    asker, reviewer = as_(app, people["asker"]), as_(app, people["reviewer"])
    # Without a review the publish is refused, and the confirmation page says why.
    assert asker.post(f"{WS}/{working.slug}/publish").status_code == 409
    assert "needs a review first" in asker.get(f"{WS}/{working.slug}/publish").get_data(as_text=True)
    assert asker.post(f"{WS}/{working.slug}/request-publication").status_code == 303
    # The one who asked cannot approve.
    assert asker.post(f"{WS}/{working.slug}/approve", data={"revision": working.revision}).status_code == 403
    review = reviewer.get(f"{WS}/{working.slug}/review")
    assert review.status_code == 200
    assert "What changed since" in review.get_data(as_text=True)
    assert (
        reviewer.post(f"{WS}/{working.slug}/approve", data={"revision": working.revision}).status_code == 303
    )
    assert (
        reviewer.post(f"{WS}/{working.slug}/approve", data={"revision": working.revision}).status_code == 409
    )
    confirm = asker.get(f"{WS}/{working.slug}/publish").get_data(as_text=True)
    assert "Approved by:" in confirm
    assert people["reviewer"].display_name in confirm
    assert asker.post(f"{WS}/{working.slug}/publish").status_code == 303
    session.expire_all()
    assert working.status == "published"
    actions = [
        e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.target_id == working.id))
    ]
    assert "version.request_publication" in actions
    assert "version.approve_publication" in actions


def test_an_edit_after_approval_voids_it(session, app, people, working):
    two_people(session)
    asker, admin = as_(app, people["asker"]), as_(app, people["admin"])
    asker.post(f"{WS}/{working.slug}/request-publication")
    assert admin.post(f"{WS}/{working.slug}/approve", data={"revision": working.revision}).status_code == 303
    asker.post(
        f"{WS}/{working.slug}/clauses/purpose-1/reword", data={"c-purpose-1-text": "Changed after review."}
    )
    assert asker.post(f"{WS}/{working.slug}/publish").status_code == 409
    session.expire_all()
    assert working.status == "working"
    # An approval of a revision the reviewer did not see is refused too.
    stale = admin.post(f"{WS}/{working.slug}/approve", data={"revision": working.revision - 1})
    assert stale.status_code == 409


def test_withdraw_a_request(session, app, people, working):
    two_people(session)
    asker = as_(app, people["asker"])
    asker.post(f"{WS}/{working.slug}/request-publication")
    assert asker.post(f"{WS}/{working.slug}/withdraw-request").status_code == 303
    session.expire_all()
    assert working.publication_requested_at is None


def test_only_admins_set_the_signoffs(session, app, people, working):
    assert (
        as_(app, people["asker"]).post(f"/drafting/{SMALL}/signoffs", data={"signoffs": "1"}).status_code
        == 403
    )
    admin = as_(app, people["admin"])
    assert admin.post(f"/drafting/{SMALL}/signoffs", data={"signoffs": "2"}).status_code == 303
    assert admin.post(f"/drafting/{SMALL}/signoffs", data={"signoffs": "3"}).status_code == 400
    session.expire_all()
    assert get_policy(session, SMALL).publish_signoffs == 2


def test_a_save_conflict_shows_a_diff_and_offers_theirs_mine_or_a_merge(session, app, people, working):
    mine, theirs = as_(app, people["asker"]), as_(app, people["reviewer"])
    source = services.get_section_source(session, working, "purpose")
    opened = {"text": source.text, "revision": str(working.revision), "text_hash": source.hash, "save": "1"}
    their_text = source.text.replace("look after", "take care of")
    assert (
        theirs.post(f"{WS}/{working.slug}/sections/purpose", data={**opened, "text": their_text}).status_code
        == 303
    )
    my_text = source.text.replace("every agency", "each agency")
    response = mine.post(f"{WS}/{working.slug}/sections/purpose", data={**opened, "text": my_text})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "word by word" in page
    assert '<del class="del">' in page
    assert "take care of" in page
    assert '<ins class="ins">' in page
    assert "each agency" in page
    assert "Take theirs" in page
    assert "Keep mine" in page
    assert people["reviewer"].display_name in page
    session.expire_all()
    assert f'name="revision" value="{working.revision}"' in page  # "Keep mine" posts against their revision
    # Keep mine: the page's own form carries the new revision, so the second try is saved.
    session.expire_all()
    current = services.get_section_source(session, working, "purpose")
    kept = mine.post(
        f"{WS}/{working.slug}/sections/purpose",
        data={"text": my_text, "revision": str(working.revision), "text_hash": current.hash, "save": "1"},
    )
    assert kept.status_code == 303
    session.expire_all()
    assert "each agency" in services.get_section_source(session, working, "purpose").text
