"""The consultation hub (issue 13, item 2): states on the home page, each policy's lead, superseded versions."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import g
from sqlalchemy import func, select

from app.caching import _ttl_until_period_changes, expire_page_at
from app.comments.errors import CommentingClosedError
from app.consultations.demo import DEMO_SLUG, DemoRefusedError, ensure_demo_consultation
from app.models import CampaignGroup, Comment, Policy, Response, Version
from tests.factories import login, make_comment, make_user, make_version

NOW = dt.datetime.now(dt.UTC)


def period(version: Version, opens: dt.datetime | None, closes: dt.datetime | None) -> None:
    version.comments_open_at, version.comments_close_at = opens, closes


def test_the_home_page_never_says_policies_are_open_when_none_is(client, session, imported):
    session.commit()
    page = client.get("/")
    assert page.status_code == 200
    assert "Policies open for kōrero" not in page.text
    assert "No consultation is open for comment right now." in page.text
    assert "Concluded" in page.text
    assert "Data Protection and Use Policy" in page.text
    assert "Read the outcome" in page.text
    assert "/versions/final" in page.text


def test_an_open_consultation_says_when_it_closes_in_new_zealand_time(client, session):
    version = make_version(session, policy_slug="open-one", open_for_comment=False)
    closes = dt.datetime(2030, 3, 1, 4, 59, tzinfo=dt.UTC)  # 5:59 pm on Friday 1 March 2030, NZDT
    period(version, NOW - dt.timedelta(days=1), closes)
    session.commit()
    page = client.get("/")
    assert "1 consultation is open for comment now." in page.text
    days = (closes.astimezone(dt.timezone(dt.timedelta(hours=13))).date() - _nz_today()).days
    assert f"Closes in {days} days" in page.text
    assert "Comments close at 5:59 PM on Friday 1 March 2030 (New Zealand time)." in page.text
    lead = client.get("/policies/open-one").text
    assert lead.index("Open for comment") < lead.index("<h2")  # the state leads the page
    assert "Closes in" in lead
    assert "Read and comment on First draft" in lead


def _nz_today() -> dt.date:
    from app.drafts.parsing import NZ

    return dt.datetime.now(NZ).date()


def test_upcoming_closed_and_concluded_consultations_and_the_filter(client, session):
    upcoming = make_version(session, policy_slug="soon", open_for_comment=False)
    period(upcoming, NOW + dt.timedelta(days=3), NOW + dt.timedelta(days=30))
    closed = make_version(session, policy_slug="closed", open_for_comment=False)
    period(closed, NOW - dt.timedelta(days=30), NOW - dt.timedelta(days=3))
    make_version(session, policy_slug="done", open_for_comment=False)
    final = make_version(session, policy_slug="done", label="Final", open_for_comment=False)
    final.status = "final"
    session.commit()
    page = client.get("/").text
    for heading in ("Open for comment", "Upcoming", "Closed, awaiting the outcome", "Concluded"):
        assert f">{heading}</h2>" in page
    assert "Opens in 3 days" in page or "Opens in 2 days" in page or "Opens in 4 days" in page
    assert "The team is considering what people said." in page
    only_closed = client.get("/?state=closed").text
    assert "/policies/closed" in only_closed
    assert "/policies/soon" not in only_closed
    assert "/policies/done" not in only_closed
    assert 'aria-current="page">Closed (1)' in only_closed
    assert client.get("/?state=nonsense").status_code == 200  # an unknown filter shows everything


def test_a_superseded_version_says_so_links_the_current_one_and_takes_no_comments(app, client, session):
    first = make_version(session, policy_slug="chain")
    second = make_version(session, policy_slug="chain", label="Second draft")
    commenter = make_user(session)
    session.commit()
    page = client.get(f"/policies/chain/versions/{first.slug}").text
    assert "This version has been replaced." in page
    assert f'href="/policies/chain/versions/{second.slug}">Second draft</a>' in page
    assert "This version no longer takes comments." in page
    assert "read and comment" not in page  # its contents now only say "read"
    assert "read and comment" in client.get(f"/policies/chain/versions/{second.slug}").text
    section = client.get(f"/policies/chain/versions/{first.slug}/sections/purpose").text
    assert "has been replaced by “Second draft” and no longer takes comments" in section
    signed_in = app.test_client()
    login(signed_in, commenter)
    refused = signed_in.post(
        f"/policies/chain/versions/{first.slug}/clauses/purpose-1/comment",
        data={"body": "Is this still open?", "display_as": "name"},
    )
    assert refused.status_code in (403, 409, 422)
    assert session.scalar(select(func.count()).select_from(Comment)) == 0
    from app.comments.services import post_comment
    from app.models import Clause

    clause = session.scalars(
        select(Clause).where(Clause.version_id == first.id, Clause.key == "purpose-1")
    ).one()
    with pytest.raises(CommentingClosedError):
        post_comment(session, commenter, clause, "Still open?")


def test_a_superseded_version_left_open_on_purpose_still_takes_comments(client, session):
    first = make_version(session, policy_slug="chain")
    make_version(session, policy_slug="chain", label="Second draft")
    first.open_when_superseded = True
    session.commit()
    page = client.get(f"/policies/chain/versions/{first.slug}").text
    assert "This version has been replaced." in page
    assert "Comments on this version stay open until its period ends." in page
    assert "read and comment" in page
    comment = make_comment(session, make_user(session), first)
    assert comment.state == "published"


def test_the_comment_period_is_shown_on_its_new_zealand_days_without_a_stray_space(client, session, imported):
    session.commit()
    page = client.get("/policies/data-protection-and-use-policy").text
    # The revised draft was published on 30 July 2019 and its period opened at midnight that day in New
    # Zealand (29 July in UTC): the page showed "29 July 2019" beside "Published 30 July 2019".
    assert 'Published <time datetime="2019-07-30">30 July 2019</time>.' in page
    assert ">30 July 2019</time>\n    –" in page or ">30 July 2019</time>" in page.split("Comment period:")[2]
    assert ">29 July 2019<" not in page
    assert not [line for line in page.splitlines() if line.strip() == "."]
    assert "</time> ." not in page
    assert "</time>\n." not in page


def test_a_countdown_page_expires_at_new_zealand_midnight(app, session):
    with app.test_request_context("/"):
        expire_page_at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=90))
        assert _ttl_until_period_changes(3600.0, session) <= 90
        assert g.get("korero_page_expires_at") is None  # used once, by the page that set it


# --- the living demo (issue 13, item 5) -------------------------------------------------------------------


def test_the_demo_consultation_is_open_now_with_a_little_of_everything(client, session):
    report = ensure_demo_consultation(session)
    assert report.created
    session.commit()
    policy = session.scalars(select(Policy).where(Policy.slug == DEMO_SLUG)).one()
    assert policy.is_demo
    version = policy.versions[0]
    assert version.accepts_comments_at(dt.datetime.now(dt.UTC))
    comments = session.scalars(select(Comment).where(Comment.version_id == version.id)).all()
    assert len([c for c in comments if c.parent_id is not None]) == 1  # a reply
    assert [c.state for c in comments].count("hidden") == 1  # a moderated comment
    group = session.scalars(select(CampaignGroup).where(CampaignGroup.version_id == version.id)).one()
    assert group.member_count == 3
    assert (
        session.scalar(select(func.count()).select_from(Response).where(Response.version_id == version.id))
        == 1
    )
    home = client.get("/").text
    assert "Demo: Public Library Data Policy" in home
    assert ">Demo</span>" in home
    page = client.get(f"/policies/{DEMO_SLUG}").text
    assert "Demo data." in page
    assert "commenter@demo.korero.test" in page


def test_the_demo_is_idempotent_and_reopens_when_its_period_has_run_out(session):
    ensure_demo_consultation(session)
    count = session.scalar(select(func.count()).select_from(Comment))
    again = ensure_demo_consultation(session)
    assert not again.created
    assert not again.reopened
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=90)
    reopened = ensure_demo_consultation(session, now=later)
    assert reopened.reopened
    version = reopened.policy.versions[0]
    assert version.accepts_comments_at(later)
    assert session.scalar(select(func.count()).select_from(Comment)) == count
    assert session.scalar(select(func.count()).select_from(Policy).where(Policy.slug == DEMO_SLUG)) == 1


def test_the_demo_is_never_created_in_production(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "ENV", "production")
    with pytest.raises(DemoRefusedError):
        ensure_demo_consultation(session)
    assert session.scalar(select(func.count()).select_from(Policy)) == 0


def test_a_drafter_leaves_a_replaced_versions_period_open_from_its_workspace(app, client, session):
    first = make_version(session, policy_slug="chain")
    make_version(session, policy_slug="chain", label="Second draft")
    drafter = make_user(session, "drafter")
    session.commit()
    assert (
        "This version no longer takes comments." in client.get(f"/policies/chain/versions/{first.slug}").text
    )
    as_drafter = app.test_client()
    login(as_drafter, drafter)
    workspace = as_drafter.get(f"/drafting/chain/{first.slug}").text
    assert "Keep taking comments on this version after a later version is published" in workspace
    response = as_drafter.post(f"/drafting/chain/{first.slug}/keep-open", data={"keep": "y"})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Version, first.id).open_when_superseded
    assert "stay open until its period ends" in client.get(f"/policies/chain/versions/{first.slug}").text
    as_drafter.post(f"/drafting/chain/{first.slug}/keep-open", data={})
    session.expire_all()
    assert not session.get(Version, first.id).open_when_superseded
