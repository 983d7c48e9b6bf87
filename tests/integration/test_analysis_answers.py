"""Free-text answers to consultation questions in the analysis workbench: found, filtered, coded, counted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.analysis import services
from app.models import AuditEvent, Role, SearchDocument, Tag, TagApplication
from tests.factories import login, make_questions, make_submission, make_user, make_version

BASE = "/analysis/test-policy/second-draft"
PUBLIC = "/policies/test-policy/versions/second-draft"
QUESTIONS = """
- ask: What would make the kaitiaki role clearer?
  kind: text
- ask: Which rivers matter most to you?
  kind: text
- ask: Do you agree with the purpose?
  kind: agree
"""


@pytest.fixture
def version(session):
    make_version(session, label="First draft", open_for_comment=False)
    return make_version(session, label="Second draft")


@pytest.fixture
def answers(session, version):
    kaitiaki, rivers, agree = make_questions(session, version, QUESTIONS)
    named = make_submission(
        session,
        make_user(session),
        version,
        "Overall fine.",
        answers={kaitiaki.id: "Name the kaitiaki in each region.", rivers.id: "The Waikato river."},
    )
    private = make_submission(
        session,
        make_user(session),
        version,
        "Overall fine too.",
        consent="private",
        answers={kaitiaki.id: "Kaitiaki words for staff only."},
    )
    unsent = make_submission(
        session, make_user(session), version, "Later.", send=False, answers={kaitiaki.id: "Kaitiaki draft."}
    )
    session.commit()
    return {
        "questions": (kaitiaki, rivers, agree),
        "named": named,
        "private": private,
        "unsent": unsent,
    }


@pytest.fixture
def staff(client, session):
    user = make_user(session, Role.REVIEWER.value)
    session.commit()
    login(client, user)
    return user


def _answer_id(submission, question) -> int:
    return next(a.id for a in submission.answers if a.question_id == question.id)


def test_free_text_answers_are_indexed_as_their_submission_allows(session, answers):
    kaitiaki, _rivers, agree = answers["questions"]
    rows = {
        d.ref_id: d for d in session.scalars(select(SearchDocument).where(SearchDocument.kind == "answer"))
    }
    named = rows[_answer_id(answers["named"], kaitiaki)]
    private = rows[_answer_id(answers["private"], kaitiaki)]
    assert named.public
    assert named.body == "Name the kaitiaki in each region."
    assert not private.public
    assert private.state == "private"
    assert len(rows) == 3  # two named answers, one private; the unsent one is not indexed
    assert all(d.channel == "online" for d in rows.values())
    # A choice answer has no words to search.
    assert not any(a.question_id == agree.id for a in answers["named"].answers)


def test_public_search_finds_only_public_answers(client, answers):
    page = client.get(PUBLIC + "/search?q=kaitiaki").get_data(as_text=True)
    assert "Name the" in page
    assert "An answer to" in page
    assert "staff only" not in page  # its maker asked us not to publish it
    assert "Kaitiaki draft" not in page  # never sent


def test_staff_search_finds_every_sent_answer_and_filters_by_question(client, answers, staff):
    kaitiaki, rivers, _agree = answers["questions"]
    page = client.get(BASE + f"?q=kaitiaki&question={kaitiaki.id}").get_data(as_text=True)
    assert "staff only" in page
    assert "Name the" in page
    assert "Waikato" not in page
    rivers_page = client.get(BASE + f"?question={rivers.id}").get_data(as_text=True)
    assert "Waikato" in rivers_page
    assert "Name the" not in rivers_page
    assert "Overall fine" not in rivers_page  # the question filter keeps answers only


@pytest.mark.parametrize("question", ["999999", "abc", "-1", "1 OR 1=1", "9" * 40])
def test_an_unknown_question_filter_is_dropped_with_a_message(client, answers, staff, question):
    response = client.get(BASE + "?q=kaitiaki&question=" + question)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "That question is not in this version" in page
    assert "Name the" in page


def test_a_question_of_another_version_is_not_a_filter(client, session, answers, staff):
    other = make_version(session, policy_slug="other-policy", label="Other")
    (foreign,) = make_questions(session, other, "- ask: Elsewhere?\n  kind: text")
    session.commit()
    page = client.get(BASE + f"?question={foreign.id}").get_data(as_text=True)
    assert "That question is not in this version" in page


def test_hiding_a_submission_takes_its_answers_out_of_public_search(client, session, answers):
    from app.submissions.services import moderate_submission

    moderator = make_user(session, Role.MODERATOR.value)
    moderate_submission(session, moderator, answers["named"], "hide", "It names a private person.")
    session.commit()
    page = client.get(PUBLIC + "/search?q=kaitiaki").get_data(as_text=True)
    assert "Name the" not in page
    kaitiaki = answers["questions"][0]
    row = session.scalar(
        select(SearchDocument).where(
            SearchDocument.kind == "answer", SearchDocument.ref_id == _answer_id(answers["named"], kaitiaki)
        )
    )
    assert row.state == "hidden"
    assert not row.public


def test_a_passage_redacted_from_a_submission_is_not_searchable_in_its_answers(
    client, session, answers, staff
):
    from app.submissions.services import redact_passage

    rivers = answers["questions"][1]
    named = "my neighbour Hinemoa Tamaki"
    submission = make_submission(
        session,
        make_user(session),
        answers["named"].version,
        f"Ask {named} about it.",
        answers={rivers.id: f"The river by {named}."},
    )
    redact_passage(session, make_user(session, Role.MODERATOR.value), submission, named, "personal_details")
    session.commit()
    page = client.get(BASE + f"?question={rivers.id}").get_data(as_text=True)
    assert "The river by" in page
    assert "Hinemoa" not in page


def test_an_answer_is_coded_like_a_comment_audited_and_counted_in_progress(client, session, answers, staff):
    version = answers["named"].version
    kaitiaki = answers["questions"][0]
    answer_id = _answer_id(answers["named"], kaitiaki)
    before = services.progress(session, version)
    assert before.total == 5  # two submissions and three answers
    tag = Tag(policy_id=version.policy_id, name="Kaitiaki")
    session.add(tag)
    session.commit()
    item = client.get(BASE + f"/items/answer/{answer_id}")
    assert item.status_code == 200
    assert "What would make the kaitiaki role clearer?" in item.get_data(as_text=True)
    response = client.post(
        BASE + f"/items/answer/{answer_id}", data={"tag": tag.id, "start": "5", "end": "17"}
    )
    assert response.status_code == 303
    applied = session.scalar(select(TagApplication).where(TagApplication.kind == "answer"))
    assert applied.ref_id == answer_id
    assert applied.quote_exact == "the kaitiaki"
    assert session.scalar(
        select(AuditEvent).where(AuditEvent.action == "tag.apply", AuditEvent.target_type == "answer")
    )
    after = services.progress(session, version)
    assert after.coded == before.coded + 1
    tagged = client.get(BASE + f"?tag={tag.id}").get_data(as_text=True)
    assert "Name the" in tagged


def test_bulk_tagging_a_question_filter_tags_its_answers(client, session, answers, staff):
    version = answers["named"].version
    kaitiaki = answers["questions"][0]
    tag = Tag(policy_id=version.policy_id, name="Roles")
    session.add(tag)
    session.commit()
    client.post(BASE + "/tag", data={"apply_tag": tag.id, "scope": "all", "question": kaitiaki.id})
    kinds = set(session.scalars(select(TagApplication.kind).where(TagApplication.tag_id == tag.id)))
    assert kinds == {"answer"}
    assert len(session.scalars(select(TagApplication.id).where(TagApplication.tag_id == tag.id)).all()) == 2


# --- answering a search result's submissions and answers ---------------------------------------------------


ANSWER_FORM = {"outcome": "accepted", "text": "We name the kaitiaki now.", "changed_in": "", "clauses": ""}


@pytest.fixture
def drafter(client, session):
    user = make_user(session, Role.DRAFTER.value)
    session.commit()
    login(client, user)
    return user


def test_answering_a_search_links_the_response_to_its_submissions_and_answers(
    client, session, version, answers, drafter
):
    from app.models import AuditEvent, Response
    from tests.factories import make_comment

    whole = make_submission(session, make_user(session), version, "The kaitiaki clause is too vague.")
    comment = make_comment(session, make_user(session), version, "purpose-1", body="Kaitiaki need a budget.")
    session.commit()
    kaitiaki = answers["questions"][0]
    form = client.get(BASE + "/response?q=kaitiaki").get_data(as_text=True)
    # One comment, one whole submission, the two sent kaitiaki answers (the unsent draft is not found).
    assert "linked to 4 items" in form
    assert "1 comment, 1 submission and 2 free-text answers" in form
    checked = client.post(BASE + "/response", data={**ANSWER_FORM, "q": "kaitiaki", "step": "write"})
    assert "Confirm: answer 4 items" in checked.get_data(as_text=True)
    assert not session.scalars(select(Response)).all()
    # A count that changed since the check asks again and writes nothing.
    stale = client.post(
        BASE + "/response", data={**ANSWER_FORM, "q": "kaitiaki", "step": "confirm", "expected": "3"}
    )
    assert "it is now 4" in stale.get_data(as_text=True)
    assert not session.scalars(select(Response)).all()
    done = client.post(
        BASE + "/response", data={**ANSWER_FORM, "q": "kaitiaki", "step": "confirm", "expected": "4"}
    )
    assert done.status_code == 303
    rows = session.scalars(select(Response)).all()
    assert {r.comment_id for r in rows if r.comment_id} == {comment.id}
    assert {r.submission_id for r in rows if r.submission_id} == {whole.id}
    assert {r.answer_id for r in rows if r.answer_id} == {
        _answer_id(answers["named"], kaitiaki),
        _answer_id(answers["private"], kaitiaki),
    }
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "response.by_search"))
    assert (event.details["comments"], event.details["submissions"], event.details["answers"]) == (1, 1, 2)
    # Each receipt shows it: the whole submission's, and the answer's on its submission's receipt.
    for submission in (whole, answers["named"]):
        receipt = client.get(f"/submissions/{submission.tracking_number}").get_data(as_text=True)
        assert "We name the kaitiaki now." in receipt
    # Posted again (a double submit): the same rows are updated, none added.
    again = client.post(
        BASE + "/response", data={**ANSWER_FORM, "q": "kaitiaki", "step": "confirm", "expected": "4"}
    )
    assert again.status_code == 303
    assert len(session.scalars(select(Response)).all()) == 4


def test_a_search_of_choices_only_has_nothing_to_answer(client, session, version, answers, drafter):
    from app.models import Response

    refused = client.get(BASE + "/response?q=zzzznothing")
    assert refused.status_code == 200
    assert "finds nothing to answer" in refused.get_data(as_text=True)
    assert not session.scalars(select(Response)).all()


def test_a_reviewer_cannot_answer_a_search(client, session, version, answers, staff):
    assert client.get(BASE + "/response?q=kaitiaki").status_code == 403


# --- answering by tag: comments, submissions and free-text answers alike ------------------------------------


def test_answering_a_tag_answers_its_submissions_and_answers_counted_by_kind(
    client, session, version, answers, drafter
):
    from app.models import Response
    from tests.factories import make_comment

    kaitiaki = answers["questions"][0]
    tag = Tag(policy_id=version.policy_id, name="Kaitiaki")
    session.add(tag)
    session.flush()
    whole = make_submission(session, make_user(session), version, "Kaitiaki need support.")
    comment = make_comment(session, make_user(session), version, "purpose-1", body="Kaitiaki and budgets.")
    reply = make_comment(session, make_user(session), version, "purpose-1", body="Yes.", parent_id=comment.id)
    tagged = [
        ("comment", comment.id),
        ("comment", reply.id),  # a reply is not answered on its own
        ("submission", whole.id),
        ("answer", _answer_id(answers["named"], kaitiaki)),
    ]
    session.add_all(
        TagApplication(tag_id=tag.id, kind=kind, ref_id=ref, version_id=version.id, coder_id=drafter.id)
        for kind, ref in tagged
    )
    session.commit()
    url = BASE + f"/tags/{tag.id}/response"
    page = client.get(url).get_data(as_text=True)
    assert "linked to 3 items" in page
    assert "1 comment, 1 submission and 1 free-text answer" in page
    checked = client.post(url, data={**ANSWER_FORM, "step": "write"}).get_data(as_text=True)
    assert "Confirm: answer 3 items" in checked
    assert not session.scalars(select(Response)).all()
    stale = client.post(url, data={**ANSWER_FORM, "step": "confirm", "expected": "2"})
    assert "it is now 3" in stale.get_data(as_text=True)
    assert not session.scalars(select(Response)).all()
    done = client.post(url, data={**ANSWER_FORM, "step": "confirm", "expected": "3"})
    assert done.status_code == 303
    rows = session.scalars(select(Response)).all()
    assert {r.comment_id for r in rows if r.comment_id} == {comment.id}
    assert {r.submission_id for r in rows if r.submission_id} == {whole.id}
    assert {r.answer_id for r in rows if r.answer_id} == {_answer_id(answers["named"], kaitiaki)}
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "response.by_tag"))
    assert event.target_id == tag.id
    assert (event.details["comments"], event.details["submissions"], event.details["answers"]) == (1, 1, 1)


def test_a_tag_with_nothing_answerable_is_refused_and_writes_nothing(
    client, session, version, answers, drafter
):
    from app.models import Response

    agree = answers["questions"][2]
    tag = Tag(policy_id=version.policy_id, name="Choices")
    session.add(tag)
    session.flush()
    choice = make_submission(session, make_user(session), version, "", answers={agree.id: "agree"})
    chosen = next(a.id for a in choice.answers if a.question_id == agree.id)
    session.add(TagApplication(tag_id=tag.id, kind="answer", ref_id=chosen, version_id=version.id))
    session.commit()
    url = BASE + f"/tags/{tag.id}/response"
    assert "Nothing with this tag can be answered" in client.get(url).get_data(as_text=True)
    refused = client.post(url, data={**ANSWER_FORM, "step": "confirm", "expected": "0"})
    assert refused.status_code == 200
    assert not session.scalars(select(Response)).all()
