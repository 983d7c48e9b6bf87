"""Responses to whole-version submissions and free-text answers, wherever comment responses appear: the public
"you said, we did" page, the responses export (CSV, JSON Lines, XLSX) and the letters that tell people."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import delete

from app.models import NotificationSettings, OutboxMessage, Role
from app.responses.services import respond
from app.submissions.services import redact_passage
from tests.factories import make_comment, make_questions, make_submission, make_user, make_version
from tests.support.mail import Outbox

PUBLIC = "/policies/test-policy/versions/first-draft"
API = "/api/v1/policies/test-policy/versions/first-draft"
SECRET = "Wharekauri"  # a made-up word: found anywhere public, it is a leak
QUESTIONS = """
- ask: What would make the kaitiaki role clearer?
  kind: text
"""


@pytest.fixture
def version(session):
    return make_version(session)


@pytest.fixture
def drafter(session):
    return make_user(session, Role.DRAFTER.value)


@pytest.fixture
def outbox(app) -> Outbox:
    return Outbox(Path(app.instance_path) / "outbox")


@pytest.fixture(autouse=True)
def empty_queue(session) -> None:
    session.execute(delete(OutboxMessage))
    session.flush()


def _answer(submission):
    return next(a for a in submission.answers if a.text)


def answered(session, version, drafter, **fields):
    """A submission with a written answer; the submission and the answer each answered by the drafters."""
    (question,) = make_questions(session, version, QUESTIONS)
    body = fields.pop("body", "Name the kaitiaki plainly.")
    submission = make_submission(
        session, make_user(session), version, body, answers={question.id: fields.pop("answer", "In each rohe.")},
        **fields,
    )  # fmt: skip
    respond(session, drafter, submission, "accepted", "We named them in clause 3.", None, "")
    respond(session, drafter, _answer(submission), "partly", "Regions are listed now.", None, "")
    session.commit()
    return submission


# --- the public page ----------------------------------------------------------------------------------------


def test_the_public_page_shows_published_submissions_and_answers_with_their_responses(
    client, session, version, drafter
):
    submission = answered(session, version, drafter)
    page = client.get(f"{PUBLIC}/responses").get_data(as_text=True)
    assert "Whole-version submissions" in page
    assert "Name the kaitiaki plainly." in page
    assert "We named them in clause 3." in page
    assert "What would make the kaitiaki role clearer?" in page
    assert "In each rohe." in page
    assert "Regions are listed now." in page
    assert submission.tracking_number in page


@pytest.mark.parametrize("how", ["private", "held", "hidden", "withdrawn"])
def test_a_submission_the_public_may_not_read_is_not_on_the_public_page(
    client, session, version, drafter, how
):
    fields = {"consent": "private"} if how == "private" else {}
    submission = answered(
        session, version, drafter, body=f"{SECRET} said in confidence.", answer=f"{SECRET} again.", **fields
    )
    if how != "private":
        submission.state = how
        session.commit()
    page = client.get(f"{PUBLIC}/responses").get_data(as_text=True)
    assert SECRET not in page
    assert submission.tracking_number not in page
    assert "We named them in clause 3." not in page  # its response is not listed beside nothing


def test_redacted_passages_stay_redacted_on_the_public_page(client, session, version, drafter):
    submission = answered(
        session, version, drafter, body=f"Ask {SECRET} about it.", answer=f"Talk to {SECRET} first."
    )
    reviewer = make_user(session, Role.REVIEWER.value)
    redact_passage(session, reviewer, submission, SECRET, "personal_details")
    redact_passage(session, reviewer, _answer(submission), SECRET, "personal_details")
    session.commit()
    page = client.get(f"{PUBLIC}/responses").get_data(as_text=True)
    assert "We named them in clause 3." in page
    assert "Regions are listed now." in page
    assert SECRET not in page
    assert page.count("[redacted") >= 2


# --- the exports --------------------------------------------------------------------------------------------


def test_the_responses_export_names_the_submission_and_the_question_answered(
    client, session, version, drafter
):
    comment = make_comment(session, make_user(session), version, body="On a clause.")
    respond(session, drafter, comment, "noted", "Thanks for the clause comment.", None, "")
    submission = answered(session, version, drafter)
    rows = list(csv.DictReader(io.StringIO(client.get(f"{API}/responses.csv").get_data(as_text=True))))
    by_text = {r["response"]: r for r in rows}
    assert by_text["Thanks for the clause comment."]["to_kind"] == "comment"
    assert by_text["Thanks for the clause comment."]["to_tracking_number"] == comment.tracking_number
    whole = by_text["We named them in clause 3."]
    assert (whole["to_kind"], whole["to_tracking_number"], whole["to_question"]) == (
        "submission",
        submission.tracking_number,
        "",
    )
    part = by_text["Regions are listed now."]
    assert (part["to_kind"], part["to_tracking_number"], part["to_question"]) == (
        "answer",
        submission.tracking_number,
        "q1",
    )
    lines = [json.loads(x) for x in client.get(f"{API}/responses.jsonl").get_data(as_text=True).splitlines()]
    assert {line["to_kind"] for line in lines} == {"comment", "submission", "answer"}
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(client.get(f"{API}/responses.xlsx").data)).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert "to_kind" in header
    assert "to_question" in header
    kinds = {row[header.index("to_kind")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert kinds == {"comment", "submission", "answer"}


def test_a_withheld_submissions_response_is_exported_without_its_words(client, session, version, drafter):
    answered(
        session, version, drafter, body=f"{SECRET} in confidence.", answer=f"{SECRET}.", consent="private"
    )
    for fmt in ("csv", "jsonl"):
        text = client.get(f"{API}/responses.{fmt}").get_data(as_text=True)
        assert "We named them in clause 3." in text  # the response's own words are public, as for comments
        assert SECRET not in text


# --- the API ------------------------------------------------------------------------------------------------


def _api_responses(client):
    return {r["text"]: r for r in client.get(f"{API}/responses").get_json()["items"]}


def test_the_api_names_what_each_response_answers(client, session, version, drafter):
    comment = make_comment(session, make_user(session), version, body="On a clause.")
    respond(session, drafter, comment, "noted", "Thanks for the clause comment.", None, "")
    submission = answered(session, version, drafter)
    answer = _answer(submission)
    by_text = _api_responses(client)
    on_comment = by_text["Thanks for the clause comment."]
    assert (on_comment["to_kind"], on_comment["to_comment"], on_comment["to_submission"]) == (
        "comment",
        comment.tracking_number,
        None,
    )
    assert on_comment["to_question"] is None
    whole = by_text["We named them in clause 3."]
    assert (whole["to_kind"], whole["to_submission"], whole["to_comment"], whole["to_question"]) == (
        "submission",
        submission.tracking_number,
        None,
        None,
    )
    part = by_text["Regions are listed now."]
    assert (part["to_kind"], part["to_submission"], part["to_answer"]) == (
        "answer",
        submission.tracking_number,
        answer.id,
    )
    assert part["to_question"] == {
        "id": answer.question_id,
        "position": 1,
        "prompt": "What would make the kaitiaki role clearer?",
    }


def test_the_api_names_a_campaign_groups_response_by_its_group(client, session, version, drafter):
    from app.models import CampaignGroup

    words = (
        "Keep the kaitiaki clause exactly as the earlier draft wrote it, with every word of it in place, "
        "because the people who wrote it with us asked for nothing less and nothing more than that."
    )
    members = [make_comment(session, make_user(session), version, body=words) for _ in range(2)]
    session.flush()
    group = session.get(CampaignGroup, members[0].campaign_group_id)
    respond(session, drafter, group, "noted", "One answer for the group.", None, "")
    session.commit()
    (item,) = _api_responses(client).values()
    assert (item["to_kind"], item["to_campaign"], item["to_comment"], item["to_submission"]) == (
        "campaign_group",
        group.id,
        None,
        None,
    )
    listed = client.get(f"/api/v1/comments/{members[0].tracking_number}").get_json()
    assert listed["response"]["to_kind"] == "campaign_group"


@pytest.mark.parametrize("how", ["private", "held", "hidden", "withdrawn"])
def test_the_api_leaves_out_responses_to_a_submission_the_public_may_not_read(
    client, session, version, drafter, how
):
    fields = {"consent": "private"} if how == "private" else {}
    submission = answered(session, version, drafter, **fields)
    if how != "private":
        submission.state = how
        session.commit()
    got = client.get(f"{API}/responses").get_data(as_text=True)
    assert submission.tracking_number not in got
    assert "We named them in clause 3." not in got  # not listed beside a target it may not name
    assert "Regions are listed now." not in got


def test_the_api_names_a_redacted_submission_without_the_words_it_answers(client, session, version, drafter):
    submission = answered(
        session, version, drafter, body=f"Ask {SECRET} about it.", answer=f"Talk to {SECRET} first."
    )
    redact_passage(session, make_user(session, Role.REVIEWER.value), submission, SECRET, "personal_details")
    session.commit()
    got = client.get(f"{API}/responses").get_data(as_text=True)
    assert got.count(submission.tracking_number) == 2  # the submission and its answer
    assert SECRET not in got


# --- the letters --------------------------------------------------------------------------------------------


def test_the_submitter_is_told_of_responses_to_the_submission_and_to_an_answer(
    session, version, drafter, outbox
):
    submission = answered(session, version, drafter)
    outbox.deliver()
    mails = outbox.messages(submission.user.email)
    texts = [outbox.text(m) for m in mails]
    assert any("We named them in clause 3." in t for t in texts)
    assert any(
        "Regions are listed now." in t and "What would make the kaitiaki role clearer?" in t for t in texts
    )
    assert all(submission.tracking_number in m["Subject"] for m in mails if "responded" in m["Subject"])


def test_no_letter_to_a_submitter_who_turned_response_letters_off(session, version, drafter, outbox):
    (question,) = make_questions(session, version, QUESTIONS)
    maker = make_user(session)
    session.add(NotificationSettings(user_id=maker.id, response=False))
    submission = make_submission(session, maker, version, "Words.", answers={question.id: "More words."})
    respond(session, drafter, submission, "noted", "Noted, thank you.", None, "")
    session.commit()
    outbox.deliver()
    assert not [m for m in outbox.messages(maker.email) if "responded" in m["Subject"]]


def test_an_offline_submitter_without_an_account_gets_no_letter_and_nor_does_anyone_else(
    session, version, drafter, outbox
):
    bystanders = [
        make_comment(session, make_user(session), version, body=f"Ungrouped {n}.") for n in range(2)
    ]
    submission = make_submission(session, make_user(session), version, "Sent by post.")
    submission.user_id = None  # an offline one: credited to nobody's account, a contact given for the receipt
    submission.channel = "post"
    submission.submitter_contact = "posted@example.org"
    session.flush()
    respond(session, drafter, submission, "noted", "Thank you for your letter.", None, "")
    session.commit()
    outbox.deliver()
    sent = [m for m in outbox.messages() if "Thank you for your letter." in outbox.text(m)]
    assert sent == []
    for comment in bystanders:
        assert not [m for m in outbox.messages(comment.user.email) if "responded" in m["Subject"]]
