"""Staff split and merge campaign groups; answering a group or a search result at once, with a confirmation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.comments import campaign_edits
from app.exceptions import DomainError
from app.models import (
    AuditEvent,
    CampaignBandKey,
    CampaignGroup,
    Comment,
    CommentState,
    Response,
    Role,
    SearchDocument,
)
from app.responses.services import respond
from tests.factories import login, make_comment, make_user, make_version

BASE = "/analysis/test-policy/second-draft"
PUBLIC = "/policies/test-policy/versions/second-draft"
PARKS = (
    "I oppose the plan to sell the regional parks because they belong to everyone and future generations "
    "deserve the same green spaces that we enjoyed as children."
)
BUSES = (
    "Please keep the late night bus services running to the eastern suburbs because shift workers and "
    "students rely on them to get home safely after dark every single week."
)


@pytest.fixture
def version(session):
    make_version(session, label="First draft", open_for_comment=False)
    return make_version(session, label="Second draft")


def letters(session, version, text, count, clause="purpose-1", state=CommentState.PUBLISHED.value):
    made = [
        make_comment(session, make_user(session), version, clause, body=text, state=state)
        for _ in range(count)
    ]
    session.flush()
    return made


def kept_matches_members(session, group_id: int) -> None:
    """The kept count and representative equal what a recount of the members gives."""
    group = session.get(CampaignGroup, group_id)
    session.refresh(group)
    published = select(Comment.id).where(
        Comment.campaign_group_id == group_id, Comment.state == CommentState.PUBLISHED.value
    )
    counted = session.scalar(select(func.count()).select_from(published.subquery()))
    first = session.scalar(select(func.min(published.subquery().c.id)))
    assert (group.member_count, group.representative_id) == (counted, first)


@pytest.fixture
def staff(session):
    user = make_user(session, Role.REVIEWER.value)
    session.commit()
    return user


def test_splitting_the_representative_keeps_count_and_representative_right(session, version, staff):
    one, two, _three = letters(session, version, PARKS, 3)
    group = session.get(CampaignGroup, one.campaign_group_id)
    assert group.member_count == 3
    assert group.representative_id == one.id
    taken = campaign_edits.split_members(session, staff, version, group, [one.id])
    assert taken == 1
    session.refresh(one)
    assert one.campaign_group_id is None
    assert one.campaign_locked
    kept_matches_members(session, group.id)
    assert group.member_count == 2
    assert group.representative_id == two.id
    assert not session.scalars(select(CampaignBandKey).where(CampaignBandKey.comment_id == one.id)).all()
    document = session.scalar(
        select(SearchDocument).where(SearchDocument.kind == "comment", SearchDocument.ref_id == one.id)
    )
    assert document.campaign_group_id is None
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "campaign.split"))
    assert event.target_id == group.id


def test_a_held_member_taken_out_does_not_change_the_published_count(session, version, staff):
    one, _two = letters(session, version, PARKS, 2)
    (held,) = letters(session, version, PARKS, 1, state=CommentState.HELD.value)
    group = session.get(CampaignGroup, one.campaign_group_id)
    assert held.campaign_group_id == group.id
    campaign_edits.split_members(session, staff, version, group, [held.id])
    kept_matches_members(session, group.id)
    assert group.member_count == 2


def test_a_comment_taken_out_is_not_grouped_again_by_the_next_letter(session, version, staff):
    one, two = letters(session, version, PARKS, 2)
    group = session.get(CampaignGroup, one.campaign_group_id)
    campaign_edits.split_members(session, staff, version, group, [one.id, two.id])
    # The same letter again on the same clause: it may join the group's text, but never the two taken out.
    (later,) = letters(session, version, PARKS, 1)
    session.refresh(one)
    session.refresh(two)
    assert one.campaign_group_id is None
    assert two.campaign_group_id is None
    assert later.campaign_group_id in (None, group.id)
    kept_matches_members(session, group.id)


def test_splitting_what_is_not_a_member_is_refused_and_changes_nothing(session, version, staff):
    one, _two = letters(session, version, PARKS, 2)
    (other,) = letters(session, version, BUSES, 1, clause="purpose-2")
    group = session.get(CampaignGroup, one.campaign_group_id)
    with pytest.raises(DomainError):
        campaign_edits.split_members(session, staff, version, group, [other.id])
    with pytest.raises(DomainError):
        campaign_edits.split_members(session, staff, version, group, [])
    kept_matches_members(session, group.id)
    assert group.member_count == 2


def two_groups(session, version):
    parks = letters(session, version, PARKS, 3)
    buses = letters(session, version, BUSES, 2, clause="purpose-2")
    assert parks[0].campaign_group_id != buses[0].campaign_group_id
    return (
        session.get(CampaignGroup, parks[0].campaign_group_id),
        session.get(CampaignGroup, buses[0].campaign_group_id),
        parks,
        buses,
    )


def test_merging_moves_members_and_keeps_the_values_by_delta(session, version, staff):
    parks_group, buses_group, parks, buses = two_groups(session, version)
    moved = campaign_edits.merge_groups(session, staff, version, buses_group, parks_group)
    assert moved == 2
    kept_matches_members(session, parks_group.id)
    assert parks_group.member_count == 5
    assert parks_group.representative_id == parks[0].id
    session.refresh(buses_group)
    assert buses_group.merged_into_id == parks_group.id
    assert buses_group.member_count == 0
    assert {
        d.campaign_group_id
        for d in session.scalars(
            select(SearchDocument).where(
                SearchDocument.kind == "comment", SearchDocument.ref_id.in_([c.id for c in buses])
            )
        )
    } == {parks_group.id}
    # A later, edited copy of the merged group's letter finds that group by its text, and joins the group it
    # was merged into.
    edited = BUSES.replace("every single week", "every week of the year")
    (later,) = letters(session, version, edited, 1, clause="purpose-2")
    assert later.campaign_group_id == parks_group.id
    kept_matches_members(session, parks_group.id)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "campaign.merge"))
    assert event.target_id == parks_group.id
    assert event.details["source"] == buses_group.id


def test_merging_a_group_with_a_smaller_representative_takes_it(session, version, staff):
    parks_group, buses_group, _parks, _buses = two_groups(session, version)
    # The older group merged into the newer: the representative is the earliest published member of both.
    campaign_edits.merge_groups(session, staff, version, parks_group, buses_group)
    kept_matches_members(session, buses_group.id)
    assert buses_group.member_count == 5


def test_a_merged_groups_response_goes_with_its_members(session, version, staff):
    parks_group, buses_group, _parks, _buses = two_groups(session, version)
    drafter = make_user(session, Role.DRAFTER.value)
    respond(session, drafter, buses_group, "noted", "We heard you about buses.", None, "")
    campaign_edits.merge_groups(session, staff, version, buses_group, parks_group)
    response = session.scalar(select(Response).where(Response.text == "We heard you about buses."))
    session.refresh(response)
    assert response.campaign_group_id == parks_group.id


def test_merging_two_answered_groups_without_a_choice_is_refused_and_changes_nothing(session, version, staff):
    parks_group, buses_group, _parks, buses = two_groups(session, version)
    drafter = make_user(session, Role.DRAFTER.value)
    respond(session, drafter, buses_group, "noted", "Buses.", None, "")
    respond(session, drafter, parks_group, "noted", "Parks.", None, "")
    with pytest.raises(DomainError):
        campaign_edits.merge_groups(session, staff, version, buses_group, parks_group)
    session.refresh(buses[0])
    assert buses[0].campaign_group_id == buses_group.id


@pytest.mark.parametrize("keep", ["source", "target"])
def test_merging_two_answered_groups_keeps_the_chosen_response_and_sets_the_other_aside(
    session, version, staff, keep
):
    parks_group, buses_group, parks, buses = two_groups(session, version)
    drafter = make_user(session, Role.DRAFTER.value)
    on_buses = respond(session, drafter, buses_group, "noted", "Buses.", None, "")
    on_parks = respond(session, drafter, parks_group, "accepted", "Parks.", None, "")
    session.flush()
    kept, other = (on_buses, on_parks) if keep == "source" else (on_parks, on_buses)
    kept_id, other_id, other_text = kept.id, other.id, other.text
    campaign_edits.merge_groups(session, staff, version, buses_group, parks_group, kept_id)
    session.expire_all()
    # Every member, of either group, now shows the kept response.
    from app.responses.services import response_for_comment

    for comment in parks + buses:
        assert response_for_comment(session, session.get(Comment, comment.id)).id == kept_id
    kept_row, other_row = session.get(Response, kept_id), session.get(Response, other_id)
    assert kept_row.campaign_group_id == parks_group.id
    # The other is not deleted: same id and words, on the merged-away group that no comment points at.
    assert other_row.campaign_group_id == buses_group.id
    assert other_row.text == other_text
    assert not session.scalars(select(Comment).where(Comment.campaign_group_id == buses_group.id)).all()
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "campaign.merge"))
    assert event.details["kept_response"] == kept_id
    assert event.details["set_aside_response"]["id"] == other_id
    assert event.details["set_aside_response"]["text"] == other_text
    kept_matches_members(session, parks_group.id)


def test_a_stale_choice_of_response_is_refused_and_changes_nothing(session, version, staff):
    parks_group, buses_group, _parks, buses = two_groups(session, version)
    drafter = make_user(session, Role.DRAFTER.value)
    respond(session, drafter, parks_group, "noted", "Parks.", None, "")
    with pytest.raises(DomainError):
        campaign_edits.merge_groups(session, staff, version, buses_group, parks_group, 99999999)
    session.refresh(buses[0])
    assert buses[0].campaign_group_id == buses_group.id


# --- split into a new group ---------------------------------------------------------------------------------


def test_splitting_members_into_a_new_group_keeps_both_groups_by_delta(session, version, staff):
    members = letters(session, version, PARKS, 5)
    (held,) = letters(session, version, PARKS, 1, state=CommentState.HELD.value)
    group = session.get(CampaignGroup, members[0].campaign_group_id)
    chosen = [members[0].id, members[3].id, held.id]
    new_group = campaign_edits.split_into_new_group(session, staff, version, group, chosen)
    session.refresh(group)
    session.refresh(new_group)
    assert new_group.id != group.id
    assert new_group.version_id == version.id
    assert new_group.merged_into_id is None
    # The representative left: the old group takes its next published member, the new one its first.
    assert (group.member_count, group.representative_id) == (3, members[1].id)
    assert (new_group.member_count, new_group.representative_id) == (2, members[0].id)
    kept_matches_members(session, group.id)
    kept_matches_members(session, new_group.id)
    for comment_id in chosen:
        comment = session.get(Comment, comment_id)
        session.refresh(comment)
        assert comment.campaign_group_id == new_group.id
        assert comment.campaign_locked
        document = session.scalar(
            select(SearchDocument).where(
                SearchDocument.kind == "comment", SearchDocument.ref_id == comment_id
            )
        )
        assert document.campaign_group_id == new_group.id
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "campaign.split_new"))
    assert event.target_id == new_group.id
    assert event.details["source"] == group.id
    assert event.details["comments"] == sorted(chosen)
    # The next letter does not pull the chosen ones back.
    letters(session, version, PARKS, 1)
    for comment_id in chosen:
        comment = session.get(Comment, comment_id)
        session.refresh(comment)
        assert comment.campaign_group_id == new_group.id


@pytest.mark.parametrize("chosen", ["none", "one", "outsiders", "too_many"])
def test_a_bad_split_into_a_new_group_is_refused_and_changes_nothing(session, version, staff, chosen):
    members = letters(session, version, PARKS, 3)
    (other,) = letters(session, version, BUSES, 1, clause="purpose-2")
    group = session.get(CampaignGroup, members[0].campaign_group_id)
    session.commit()
    groups_before = session.scalar(select(func.count()).select_from(CampaignGroup))
    ids = {
        "none": [],
        "one": [members[1].id],
        "outsiders": [other.id, 99999999],
        "too_many": list(range(1, campaign_edits.MAX_SPLIT + 2)),
    }[chosen]
    with pytest.raises(DomainError):
        campaign_edits.split_into_new_group(session, staff, version, group, ids)
    session.rollback()  # as the request boundary does
    assert session.scalar(select(func.count()).select_from(CampaignGroup)) == groups_before
    kept_matches_members(session, group.id)
    assert group.member_count == 3


def test_merging_into_itself_or_another_versions_group_is_refused(session, version, staff):
    parks_group, _buses_group, _parks, _buses = two_groups(session, version)
    with pytest.raises(DomainError):
        campaign_edits.merge_groups(session, staff, version, parks_group, parks_group)
    other = make_version(session, policy_slug="other-policy", label="Other")
    foreign = letters(session, other, PARKS, 2)
    with pytest.raises(DomainError):
        campaign_edits.group_of_version(session, version, foreign[0].campaign_group_id)


# --- through the web ----------------------------------------------------------------------------------------


def test_staff_split_and_merge_through_the_web_and_the_public_pages_follow(
    app, client, session, version, staff
):
    parks_group, buses_group, parks, _buses = two_groups(session, version)
    session.commit()
    visitor = app.test_client()
    before = visitor.get(PUBLIC + f"/campaigns/{parks_group.id}").get_data(as_text=True)
    assert "3 people submitted this text" in before
    login(client, staff)
    page = client.get(BASE + f"/groups/{parks_group.id}")
    assert page.status_code == 200
    assert f"member-{parks[0].id}" in page.get_data(as_text=True)
    assert client.get(BASE + "/groups").status_code == 200
    split = client.post(BASE + f"/groups/{parks_group.id}/split", data={"member": str(parks[2].id)})
    assert split.status_code == 303
    after_split = visitor.get(PUBLIC + f"/campaigns/{parks_group.id}").get_data(as_text=True)
    assert "2 people submitted this text" in after_split
    merged = client.post(BASE + f"/groups/{buses_group.id}/merge", data={"into": str(parks_group.id)})
    assert merged.status_code == 303
    after_merge = visitor.get(PUBLIC + f"/campaigns/{parks_group.id}").get_data(as_text=True)
    assert "4 people submitted this text" in after_merge
    moved = visitor.get(PUBLIC + f"/campaigns/{buses_group.id}")
    assert moved.status_code == 302
    assert f"/campaigns/{parks_group.id}" in moved.headers["Location"]
    # Staff pages of the merged group lead to the one it went into.
    assert client.get(BASE + f"/groups/{buses_group.id}").status_code == 303


@pytest.mark.parametrize(
    "data",
    [
        {"member": "abc"},
        {"member": "99999999"},
        {},
        {"member": "-3"},
    ],
)
def test_bad_split_requests_answer_clearly(client, session, version, staff, data):
    one, _two = letters(session, version, PARKS, 2)
    session.commit()
    login(client, staff)
    response = client.post(BASE + f"/groups/{one.campaign_group_id}/split", data=data)
    assert response.status_code in (400, 409, 422)
    kept_matches_members(session, one.campaign_group_id)


@pytest.mark.parametrize("into", ["", "abc", "0", "99999999", "self"])
def test_bad_merge_requests_answer_clearly(client, session, version, staff, into):
    one, _two = letters(session, version, PARKS, 2)
    session.commit()
    login(client, staff)
    target = str(one.campaign_group_id) if into == "self" else into
    response = client.post(BASE + f"/groups/{one.campaign_group_id}/merge", data={"into": target})
    assert response.status_code in (400, 404, 409, 422)
    assert session.get(CampaignGroup, one.campaign_group_id).merged_into_id is None


def test_staff_split_into_a_new_group_through_the_web(app, client, session, version, staff):
    members = letters(session, version, PARKS, 4)
    group_id = members[0].campaign_group_id
    session.commit()
    login(client, staff)
    page = client.get(BASE + f"/groups/{group_id}").get_data(as_text=True)
    assert f"/groups/{group_id}/split-off" in page
    made = client.post(
        BASE + f"/groups/{group_id}/split-off", data={"member": [str(members[2].id), str(members[3].id)]}
    )
    assert made.status_code == 303
    new_id = session.scalar(select(Comment.campaign_group_id).where(Comment.id == members[2].id))
    assert new_id != group_id
    assert made.headers["Location"].endswith(f"/groups/{new_id}")
    assert "Made group" in client.get(made.headers["Location"]).get_data(as_text=True)
    # The same form again (a double submit) is refused with a message, not a 500, and makes nothing.
    again = client.post(
        BASE + f"/groups/{group_id}/split-off", data={"member": [str(members[2].id), str(members[3].id)]}
    )
    assert again.status_code == 409
    assert "any more" in again.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(CampaignGroup)) == 2


@pytest.mark.parametrize("data", [{}, {"member": "abc"}, {"member": "-1"}, {"member": "99999999"}])
def test_bad_split_into_a_new_group_requests_answer_clearly(client, session, version, staff, data):
    one, _two = letters(session, version, PARKS, 2)
    session.commit()
    login(client, staff)
    response = client.post(BASE + f"/groups/{one.campaign_group_id}/split-off", data=data)
    assert response.status_code in (400, 409, 422)
    assert session.scalar(select(func.count()).select_from(CampaignGroup)) == 1


def test_merging_two_answered_groups_through_the_web_asks_which_response_to_keep(
    client, session, version, staff
):
    parks_group, buses_group, _parks, buses = two_groups(session, version)
    drafter = make_user(session, Role.DRAFTER.value)
    on_buses = respond(session, drafter, buses_group, "noted", "We heard you about buses.", None, "")
    respond(session, drafter, parks_group, "noted", "We heard you about parks.", None, "")
    session.commit()
    login(client, staff)
    asked = client.post(BASE + f"/groups/{buses_group.id}/merge", data={"into": str(parks_group.id)})
    assert asked.status_code == 200
    body = asked.get_data(as_text=True)
    assert "We heard you about buses." in body
    assert "We heard you about parks." in body
    assert "set aside" in body
    assert session.get(CampaignGroup, buses_group.id).merged_into_id is None  # nothing changed yet
    done = client.post(
        BASE + f"/groups/{buses_group.id}/merge", data={"into": str(parks_group.id), "keep": str(on_buses.id)}
    )
    assert done.status_code == 303
    session.expire_all()
    assert session.get(Response, on_buses.id).campaign_group_id == parks_group.id
    assert session.get(CampaignGroup, buses_group.id).merged_into_id == parks_group.id
    # Posted again: the group is merged already; a clear refusal.
    again = client.post(
        BASE + f"/groups/{buses_group.id}/merge", data={"into": str(parks_group.id), "keep": str(on_buses.id)}
    )
    assert again.status_code == 409
    assert session.get(Comment, buses[0].id).campaign_group_id == parks_group.id


# --- answering a group or a search result at once -----------------------------------------------------------


@pytest.fixture
def drafter(client, session):
    user = make_user(session, Role.DRAFTER.value)
    session.commit()
    login(client, user)
    return user


ANSWER = {"outcome": "noted", "text": "We read every one of these.", "changed_in": "", "clauses": ""}


def test_answering_a_search_result_confirms_the_count_first(client, session, version, drafter):
    letters(session, version, PARKS, 2)
    own = make_comment(session, make_user(session), version, "purpose-2", body="Parks need toilets.")
    make_comment(session, make_user(session), version, "purpose-2", body="Nothing about green space here.")
    session.commit()
    form = client.get(BASE + "/response?q=parks")
    assert "linked to 3 comments" in form.get_data(as_text=True)
    checked = client.post(BASE + "/response", data={**ANSWER, "q": "parks", "step": "write"})
    page = checked.get_data(as_text=True)
    assert "Confirm: answer 3 comments" in page
    assert not session.scalars(select(Response)).all()  # nothing written before the confirmation
    done = client.post(BASE + "/response", data={**ANSWER, "q": "parks", "step": "confirm", "expected": "3"})
    assert done.status_code == 303
    answered = set(session.scalars(select(Response.comment_id)))
    assert own.id in answered
    assert len(answered) == 3
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "response.by_search"))
    assert event.details["count"] == 3
    assert event.details["search"] == {"q": "parks"}


def test_a_search_that_changed_since_the_check_asks_again(client, session, version, drafter):
    letters(session, version, PARKS, 2)
    session.commit()
    stale = client.post(BASE + "/response", data={**ANSWER, "q": "parks", "step": "confirm", "expected": "1"})
    assert stale.status_code == 200
    assert "it is now 2" in stale.get_data(as_text=True)
    assert not session.scalars(select(Response)).all()


def test_a_bad_response_is_refused_on_the_check_and_nothing_is_written(client, session, version, drafter):
    letters(session, version, PARKS, 2)
    session.commit()
    refused = client.post(BASE + "/response", data={**ANSWER, "text": "", "q": "parks", "step": "write"})
    assert refused.status_code == 422
    assert "Write the response" in refused.get_data(as_text=True)
    tampered = client.post(
        BASE + "/response",
        data={**ANSWER, "changed_in": "999999", "q": "parks", "step": "confirm", "expected": "2"},
    )
    assert tampered.status_code == 400
    assert not session.scalars(select(Response)).all()


def test_a_search_with_no_comment_cannot_be_answered(client, session, version, drafter):
    response = client.post(
        BASE + "/response", data={**ANSWER, "q": "zzzz", "step": "confirm", "expected": "0"}
    )
    assert response.status_code == 200
    assert "finds nothing to answer" in response.get_data(as_text=True)
    assert not session.scalars(select(Response)).all()


def test_answering_a_campaign_group_links_one_response_to_it(client, session, version, drafter):
    one, _two, _three = letters(session, version, PARKS, 3)
    session.commit()
    group_id = one.campaign_group_id
    form = client.get(BASE + f"/groups/{group_id}/response")
    assert "linked to 3 comments" in form.get_data(as_text=True)
    checked = client.post(BASE + f"/groups/{group_id}/response", data={**ANSWER, "step": "write"})
    assert "Confirm: answer 3 comments" in checked.get_data(as_text=True)
    done = client.post(
        BASE + f"/groups/{group_id}/response", data={**ANSWER, "step": "confirm", "expected": "3"}
    )
    assert done.status_code == 303
    response = session.scalar(select(Response))
    assert response.campaign_group_id == group_id
    assert response.comment_id is None
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "response.by_group"))
    assert event.details["count"] == 3


# --- set-aside responses: staff see them on the merged group's page; nobody else does ------------------------


SET_ASIDE = "Buses answer that the merge set aside."
LIBRARIES = (
    "Keep every branch library open on weekends because families, pensioners and students need a warm quiet "
    "place to read, study and borrow books without paying for the privilege."
)


def _merged_with_a_set_aside_response(session, version, staff):
    parks_group, buses_group, parks, buses = two_groups(session, version)
    drafter = make_user(session, Role.DRAFTER.value, display_name="Aroha Drafter")
    respond(session, drafter, buses_group, "not_accepted", SET_ASIDE, None, "")
    kept = respond(session, drafter, parks_group, "accepted", "The kept parks answer.", None, "")
    campaign_edits.merge_groups(session, staff, version, buses_group, parks_group, kept.id)
    session.commit()
    return parks_group, buses_group, parks + buses


def test_a_set_aside_response_is_shown_to_staff_on_the_merged_group_page(client, session, version, staff):
    staff.display_name = "Tama Reviewer"
    parks_group, buses_group, _members = _merged_with_a_set_aside_response(session, version, staff)
    found = campaign_edits.set_aside_responses(session, session.get(CampaignGroup, parks_group.id))
    assert [item.response.text for item in found] == [SET_ASIDE]
    assert found[0].old_group_id == buses_group.id
    assert found[0].set_aside_by.id == staff.id
    assert found[0].set_aside_at is not None
    login(client, staff)
    page = client.get(BASE + f"/groups/{parks_group.id}").get_data(as_text=True)
    assert "Responses set aside by merges" in page
    assert SET_ASIDE in page
    assert "Tama Reviewer" in page
    assert f"From group {buses_group.id}" in page
    assert "Not accepted" in page


def test_a_group_merged_twice_lists_every_response_its_merges_set_aside(session, version, staff):
    parks_group, _buses, _members = _merged_with_a_set_aside_response(session, version, staff)
    third = letters(session, version, LIBRARIES, 2)
    third_group = session.get(CampaignGroup, third[0].campaign_group_id)
    drafter = make_user(session, Role.DRAFTER.value)
    on_third = respond(session, drafter, third_group, "noted", "Libraries answer.", None, "")
    kept = session.scalar(select(Response).where(Response.campaign_group_id == parks_group.id))
    # The parks group (holding its own merge) goes into the third; the third's answer is kept.
    campaign_edits.merge_groups(session, staff, version, parks_group, third_group, on_third.id)
    session.commit()
    found = campaign_edits.set_aside_responses(session, session.get(CampaignGroup, third_group.id))
    assert sorted(item.response.text for item in found) == sorted([SET_ASIDE, kept.text])
    assert all(item.set_aside_by is not None for item in found)


def test_a_set_aside_response_is_never_shown_to_the_public_or_to_other_roles(client, session, version, staff):
    parks_group, buses_group, members = _merged_with_a_set_aside_response(session, version, staff)
    public = [
        f"{PUBLIC}/responses",
        f"{PUBLIC}/campaigns/{parks_group.id}",
        f"{PUBLIC}/campaigns/{buses_group.id}",
        f"{PUBLIC}/responses.atom",
        f"/api/v1{PUBLIC}/responses",
        f"/api/v1{PUBLIC}/responses.csv",
        f"/api/v1{PUBLIC}/responses.jsonl",
        *(f"/receipts/{c.tracking_number}" for c in members),
    ]
    for url in public:
        got = client.get(url, follow_redirects=True)
        assert got.status_code < 500, url
        assert SET_ASIDE not in got.get_data(as_text=True), url
    staff_page = BASE + f"/groups/{parks_group.id}"
    assert client.get(staff_page).status_code in (302, 303)  # a visitor is sent to sign in
    for role in (Role.COMMENTER.value, "intake"):
        other = make_user(session, role)
        session.commit()
        login(client, other)
        refused = client.get(staff_page)
        assert refused.status_code == 403, role
        assert SET_ASIDE not in refused.get_data(as_text=True)
        client.post("/logout")
