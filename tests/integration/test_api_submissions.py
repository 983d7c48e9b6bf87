"""Whole-version submissions and question results in the API and its exports; the moderation log's limit.

Submissions read as the pages show them (published ones its makers let us publish, named as they allowed,
redactions applied, files linked only where the public may download them); a `staff:read` token reads what
staff read; a `submissions:write` token sends one through the form's service and rules.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from sqlalchemy import func, select

from app.api import tokens
from app.models import AuditEvent, Submission
from app.submissions import services as submission_services
from app.submissions.services import Upload
from tests.factories import make_comment, make_questions, make_submission, make_user, make_version
from tests.support import files

API = "/api/v1"
QUESTIONS = """
- ask: How clear is the purpose section?
  kind: agree
  required: true
- ask: Which principles matter most to you?
  kind: multiple
  choices: [He Tāngata, Manaakitanga, Kaitiakitanga]
- ask: Anything else?
  kind: text
"""
OPTIONAL = QUESTIONS.replace("  required: true\n", "")


@pytest.fixture
def version(session):
    return make_version(session, label="First draft")


def bearer(session, user, *scopes: str) -> dict[str, str]:
    _token, raw = tokens.create_token(session, user, "test", list(scopes))
    return {"Authorization": f"Bearer {raw}"}


def here(version) -> str:
    return f"{API}/policies/{version.policy.slug}/versions/{version.slug}"


def submission_on(session, version, body, consent="named", **fields):
    return make_submission(
        session,
        make_user(session, display_name=fields.pop("name", "Mere Tipene")),
        version,
        body,
        consent=consent,
        **fields,
    )


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Submission))


# --- reading -------------------------------------------------------------------------------------------------


def test_the_public_reads_published_submissions_as_their_makers_allowed(client, session, version):
    named = submission_on(session, version, "Named words.", name="Aroha Named")
    anonymous = submission_on(session, version, "Anonymous words.", consent="anonymous", name="Secret Person")
    submission_on(session, version, "Private words.", consent="private", name="Private Person")
    organisation = submission_on(
        session,
        version,
        "Our iwi's view.",
        consent="anonymous",
        submitter_kind="organisation",
        organisation_name="Hidden Iwi Trust",
        organisation_kind="iwi",
    )
    held = submission_on(session, version, "Held words.")
    held.state = "held"
    session.flush()
    body = client.get(f"{here(version)}/submissions").get_json()
    by_number = {item["tracking_number"]: item for item in body["items"]}
    assert set(by_number) == {named.tracking_number, anonymous.tracking_number, organisation.tracking_number}
    assert by_number[named.tracking_number]["author"] == "Aroha Named"
    assert by_number[anonymous.tracking_number]["author"] == "Anonymous member of the public"
    org = by_number[organisation.tracking_number]
    assert org["organisation"] == {
        "name": None,
        "kind": "iwi",
        "kind_label": "Iwi, hapū or Māori organisation",
        "confirmed": False,
    }
    assert "Hidden Iwi Trust" not in json.dumps(body)
    assert "Secret Person" not in json.dumps(body)
    assert "Private words" not in json.dumps(body)
    assert "account" not in by_number[named.tracking_number]
    for number in (held.tracking_number, "KR-NOPE-NOPE"):
        assert client.get(f"{API}/submissions/{number}").status_code == 404
    one = client.get(f"{API}/submissions/{named.tracking_number}")
    assert one.status_code == 200
    assert one.get_json()["body"] == "Named words."


def test_redactions_apply_and_files_are_linked_only_where_the_public_may_download_them(
    client, session, version
):
    upload = [Upload("letter.pdf", files.pdf("Our letter"))]
    public = submission_on(session, version, "Ring Tama Smith on 021 555 0101.", uploads=upload)
    private = submission_on(session, version, "Not for the public.", consent="private", uploads=upload)
    submission_services.redact_passage(
        session, make_user(session, "moderator"), public, "Tama Smith on 021 555 0101", "personal_details"
    )
    item = client.get(f"{API}/submissions/{public.tracking_number}").get_json()
    assert "Tama Smith" not in item["body"]
    assert "[redacted: personal details]" in item["body"]
    assert item["redactions"] == [{"reason": "personal_details"}]
    [attachment] = item["attachments"]
    assert attachment["filename"] == "letter.pdf"
    assert client.get(attachment["url"]).status_code == 200
    staff = bearer(session, make_user(session, "reviewer"), tokens.STAFF_READ)
    seen = client.get(f"{API}/submissions/{public.tracking_number}", headers=staff).get_json()
    assert "Tama Smith" in seen["body"]
    assert seen["redactions"][0]["passage"].startswith("Tama")
    hidden = client.get(f"{API}/submissions/{private.tracking_number}", headers=staff).get_json()
    assert hidden["consent"] == "private"
    assert len(hidden["attachments"]) == 1
    assert client.get(f"{API}/submissions/{private.tracking_number}").status_code == 404


def test_a_staff_token_lists_what_staff_see_and_a_makers_token_reads_their_own(client, session, version):
    maker = make_user(session, display_name="Wiremu Own")
    mine = make_submission(session, maker, version, "Mine, not to publish.", consent="private")
    held = submission_on(session, version, "Waiting.")
    held.state = "held"
    session.flush()
    public = client.get(f"{here(version)}/submissions").get_json()["items"]
    assert public == []
    staff = bearer(session, make_user(session, "moderator"), tokens.STAFF_READ)
    listed = client.get(f"{here(version)}/submissions", headers=staff).get_json()["items"]
    assert {i["tracking_number"] for i in listed} == {mine.tracking_number, held.tracking_number}
    assert {i["account"] for i in listed} >= {maker.email}
    only_held = client.get(
        f"{here(version)}/submissions", headers=staff, query_string={"state": "held"}
    ).get_json()["items"]
    assert [i["tracking_number"] for i in only_held] == [held.tracking_number]
    # A staff person's token without the staff:read scope reads as the public.
    plain = bearer(session, make_user(session, "moderator"), tokens.COMMENTS_WRITE)
    assert client.get(f"{here(version)}/submissions", headers=plain).get_json()["items"] == []
    own = client.get(
        f"{API}/submissions/{mine.tracking_number}", headers=bearer(session, maker, tokens.COMMENTS_WRITE)
    )
    assert own.status_code == 200
    assert own.get_json()["author"] == "Wiremu Own"
    other = bearer(session, make_user(session), tokens.COMMENTS_WRITE)
    assert client.get(f"{API}/submissions/{mine.tracking_number}", headers=other).status_code == 404


def test_submissions_page_by_cursor_and_filter_like_the_comments(client, session, version):
    made = [submission_on(session, version, f"Words number {i}.", name=f"Person {i}") for i in range(5)]
    about = submission_on(
        session, version, "About principles.", name="Sectioned", section_keys=["principles"]
    )
    business = submission_on(
        session,
        version,
        "A business view.",
        submitter_kind="organisation",
        organisation_name="Acme Ltd",
        organisation_kind="business",
    )
    seen, cursor = [], None
    while True:
        query = {"limit": 2, "submitter_kind": "individual"} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"{here(version)}/submissions", query_string=query).get_json()
        seen += [s["tracking_number"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [s.tracking_number for s in [*made, about]]
    by_section = client.get(f"{here(version)}/submissions", query_string={"section": "principles"})
    assert [s["tracking_number"] for s in by_section.get_json()["items"]] == [about.tracking_number]
    by_kind = client.get(f"{here(version)}/submissions", query_string={"organisation_kind": "business"})
    [found] = by_kind.get_json()["items"]
    assert found["tracking_number"] == business.tracking_number
    assert found["author"] == "Acme Ltd (Business)"
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert (
        client.get(f"{here(version)}/submissions", query_string={"since": future}).get_json()["items"] == []
    )
    assert (
        client.get(f"{here(version)}/submissions", query_string={"state": "held"}).get_json()["items"] == []
    )
    comments_cursor = client.get(f"{API}/policies", query_string={"limit": 1}).get_json()["next_cursor"]
    for bad in (
        {"section": "a%b"},
        {"section": "a b"},
        {"organisation_kind": "gang"},
        {"state": "draft"},
        {"limit": 0},
        {"cursor": "forged"},
    ):
        response = client.get(f"{here(version)}/submissions", query_string=bad)
        assert response.status_code in (400, 422), bad
        assert response.mimetype == "application/problem+json"
    if comments_cursor is not None:
        assert (
            client.get(f"{here(version)}/submissions", query_string={"cursor": comments_cursor}).status_code
            == 400
        )


# --- writing -------------------------------------------------------------------------------------------------


def test_a_token_sends_a_submission_through_the_forms_service_with_a_receipt(client, session, version):
    questions = make_questions(session, version, QUESTIONS)
    person = make_user(session, display_name="Kiri Sender")
    headers = bearer(session, person, tokens.SUBMISSIONS_WRITE)
    sent = client.post(
        f"{here(version)}/submissions",
        headers=headers,
        json={
            "body": "Please keep the principles.",
            "consent": "anonymous",
            "section_keys": ["principles"],
            "answers": {str(questions[0].id): "agree", str(questions[1].id): ["Manaakitanga", "He Tāngata"]},
        },
    )
    assert sent.status_code == 201, sent.get_json()
    receipt = sent.get_json()
    stored = session.scalars(select(Submission)).one()
    assert receipt["tracking_number"] == stored.tracking_number
    assert stored.user_id == person.id
    assert stored.state == "published"
    assert stored.channel == "online"
    assert receipt["receipt_url"].endswith(f"/submissions/{stored.tracking_number}")
    assert receipt["submission"]["author"] == "Kiri Sender"  # their own: they see their name
    assert sent.headers["Location"] == receipt["submission"]["url"]
    assert [a["choices"] for a in receipt["submission"]["answers"]] == [
        ["agree"],
        ["Manaakitanga", "He Tāngata"],
    ]
    public = client.get(receipt["submission"]["url"]).get_json()
    assert public["author"] == "Anonymous member of the public"
    again = client.post(
        f"{here(version)}/submissions", headers=headers, json={"body": "More.", "consent": "named"}
    )
    assert again.status_code == 409
    assert stored.tracking_number in again.get_json()["title"]
    assert count(session) == 1


def test_sending_follows_the_forms_rules(client, session):
    held_version = make_version(session, policy_slug="held-policy", moderation="pre")
    closed = make_version(session, policy_slug="closed-policy", open_for_comment=False)
    questions = make_questions(session, held_version, QUESTIONS)
    headers = bearer(session, make_user(session), tokens.SUBMISSIONS_WRITE)
    shut = client.post(
        f"{here(closed)}/submissions", headers=headers, json={"body": "Late.", "consent": "named"}
    )
    assert shut.status_code == 409
    unanswered = client.post(
        f"{here(held_version)}/submissions", headers=headers, json={"body": "Words.", "consent": "named"}
    )
    assert unanswered.status_code == 422
    assert unanswered.get_json()["field"] == f"q{questions[0].id}"
    for bad in (
        {"body": "x", "consent": "named", "answers": {"999999": "agree"}},
        {"body": "x", "consent": "named", "answers": {str(questions[0].id): "maybe"}},
        {"body": "x", "consent": "sure"},
        {"body": "x"},
        {"body": "x", "consent": "named", "submitter_kind": "organisation"},
        {"body": "x", "consent": "named", "section_keys": ["nowhere"]},
        {"body": "x", "consent": "named", "state": "published"},
        {"body": "x", "consent": "named", "tracking_number": "KR-AAAA-AAAA"},
        {"body": "x", "consent": "named", "channel": "post"},
        {"body": "x", "consent": "named", "answers": {str(questions[0].id): {"x": 1}}},
        {"body": "\u0000", "consent": "named"},
    ):
        response = client.post(f"{here(held_version)}/submissions", headers=headers, json=bad)
        assert response.status_code == 422, (bad, response.get_json())
    assert count(session) == 0
    held = client.post(
        f"{here(held_version)}/submissions",
        headers=headers,
        json={"body": "Hold me.", "consent": "named", "answers": {str(questions[0].id): "neutral"}},
    )
    assert held.status_code == 201
    assert held.get_json()["state"] == "held"
    assert "waiting for a moderator" in held.get_json()["message"]
    assert client.get(held.get_json()["submission"]["url"]).status_code == 404  # not public yet


def test_scopes_tokens_and_idempotency(client, session, version):
    person = make_user(session)
    url = f"{here(version)}/submissions"
    body = {"body": "Once only.", "consent": "named"}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers={"Authorization": "Bearer kr_wrong"}).status_code == 401
    assert (
        client.post(url, json=body, headers=bearer(session, person, tokens.COMMENTS_WRITE)).status_code == 403
    )
    headers = bearer(session, person, tokens.SUBMISSIONS_WRITE) | {"Idempotency-Key": "retry-1"}
    first = client.post(url, json=body, headers=headers)
    second = client.post(url, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.get_json() == second.get_json()
    assert count(session) == 1
    reused = client.post(url, json={"body": "Other words.", "consent": "named"}, headers=headers)
    assert reused.status_code == 422


def test_a_draft_on_the_site_is_never_overwritten_by_the_api(client, session, version):
    person = make_user(session)
    draft = make_submission(session, person, version, "Half done.", send=False)
    sent = client.post(
        f"{here(version)}/submissions",
        headers=bearer(session, person, tokens.SUBMISSIONS_WRITE),
        json={"body": "All new.", "consent": "named"},
    )
    assert sent.status_code == 409
    assert draft.tracking_number in sent.get_json()["title"]
    session.refresh(draft)
    assert draft.body == "Half done."
    assert draft.state == "draft"


# --- question results --------------------------------------------------------------------------------------


def test_question_results_follow_the_pages_live_or_after_close_rule(client, session, version):
    questions = make_questions(session, version, QUESTIONS)
    agree, multiple, text = (q.id for q in questions)
    for consent, choice, words in (
        ("named", "agree", "Kia kaha."),
        ("anonymous", "agree", "Keep going."),
        ("private", "disagree", "Do not show me."),
    ):
        submission_on(
            session,
            version,
            f"Body {consent}.",
            consent=consent,
            name=f"Person {consent}",
            answers={agree: choice, multiple: ["Manaakitanga"], text: words},
        )
    closed = client.get(f"{here(version)}/results").get_json()
    assert closed["visible"] is False
    assert closed["questions"] == []
    assert closed["message"]
    answers_url = f"{here(version)}/questions/{text}/answers"
    assert client.get(answers_url).status_code == 404
    staff = bearer(session, make_user(session, "drafter"), tokens.STAFF_READ)
    assert client.get(f"{here(version)}/results", headers=staff).get_json()["visible"] is True
    version.question_results_live = True
    session.flush()
    body = client.get(f"{here(version)}/results").get_json()
    assert body["visible"] is True
    first, second, third = body["questions"]
    assert first["answered"] == 3  # the private one is counted, as on the page
    counts = {c["option"]: (c["count"], c["percent"]) for c in first["counts"]}
    assert counts["agree"] == (2, 66.7)
    assert counts["disagree"] == (1, 33.3)
    assert {c["label"] for c in first["counts"]} >= {"Strongly agree"}
    assert second["counts"][1] == {
        "option": "Manaakitanga",
        "label": "Manaakitanga",
        "count": 3,
        "percent": 100.0,
    }
    assert third["counts"] is None
    assert third["published_answers"] == 2
    assert third["answers_url"].endswith(answers_url)
    page = client.get(answers_url, query_string={"limit": 1}).get_json()
    assert [a["text"] for a in page["items"]] == ["Kia kaha."]
    rest = client.get(answers_url, query_string={"cursor": page["next_cursor"]}).get_json()
    assert [(a["text"], a["author"]) for a in rest["items"]] == [
        ("Keep going.", "Anonymous member of the public")
    ]
    assert rest["next_cursor"] is None
    assert client.get(f"{here(version)}/questions/{agree}/answers").status_code == 404  # not a text question
    other = make_version(session, policy_slug="other-policy")
    assert client.get(f"{here(other)}/questions/{text}/answers").status_code == 404


# --- exports -----------------------------------------------------------------------------------------------


def test_the_submissions_csv_has_answers_files_and_redactions_formula_safe(client, session, version):
    questions = make_questions(session, version, OPTIONAL)
    public = submission_on(
        session,
        version,
        '=HYPERLINK("http://evil") and Tama Smith',
        name="@Named Person",
        answers={
            questions[0].id: "agree",
            questions[1].id: ["He Tāngata", "Kaitiakitanga"],
            questions[2].id: "-1",
        },
        uploads=[Upload("letter.pdf", files.pdf("Our letter"))],
    )
    submission_services.redact_passage(
        session, make_user(session, "moderator"), public, "Tama Smith", "other"
    )
    submission_on(session, version, "Secret.", consent="private")
    response = client.get(f"{here(version)}/submissions.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    [row] = rows
    assert list(row)[-3:] == ["q1", "q2", "q3"]
    assert row["tracking_number"] == public.tracking_number
    assert row["comment"].startswith("'=HYPERLINK")
    assert "Tama Smith" not in row["comment"]
    assert row["redactions"] == "1"
    assert row["submitter_name"] == "'@Named Person"
    assert (row["q1"], row["q2"], row["q3"]) == ("agree", "He Tāngata; Kaitiakitanga", "'-1")
    assert row["attachment_files"].startswith("http")
    assert "/attachments/" in row["attachment_files"]
    assert client.get(row["attachment_files"]).status_code == 200
    assert "Secret." not in response.get_data(as_text=True)


def test_submissions_export_by_policy_in_json_lines_and_xlsx(client, session, version):
    from openpyxl import load_workbook

    later = make_version(session, label="Second draft")
    make_questions(session, later, OPTIONAL)
    submission_on(session, version, "On the first.", name="First Person")
    submission_on(session, later, "On the second.", name="Second Person")
    lines = client.get(f"{API}/policies/{version.policy.slug}/submissions.jsonl").get_data(as_text=True)
    records = [json.loads(line) for line in lines.splitlines()]
    assert [r["comment"] for r in records] == ["On the first.", "On the second."]
    assert {"q1", "q2", "q3"} <= set(records[0])
    book = load_workbook(io.BytesIO(client.get(f"{here(later)}/submissions.xlsx").data), read_only=True)
    sheet_rows = list(book.active.iter_rows(values_only=True))
    assert sheet_rows[0][0] == "tracking_number"
    assert sheet_rows[1][sheet_rows[0].index("comment")] == "On the second."


def test_a_staff_submissions_export_holds_every_state_and_is_audited(client, session, version):
    private = submission_on(session, version, "Private words.", consent="private", name="Hidden Name")
    staff_user = make_user(session, "reviewer")
    response = client.get(
        f"{here(version)}/submissions.csv", headers=bearer(session, staff_user, tokens.STAFF_READ)
    )
    [row] = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert row["tracking_number"] == private.tracking_number
    assert row["consent"] == "private"
    assert row["submitter_name"] == "Hidden Name"
    assert row["account_email"]
    assert response.headers["Cache-Control"] == "private, no-store"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "export.staff"))
    assert event.details["kind"] == "submissions"


# --- the moderation log's limit --------------------------------------------------------------------------


def test_the_moderation_log_takes_a_bounded_limit(client, session, version):
    from app.moderation.services import hide_comment

    moderator = make_user(session, "moderator")
    author = make_user(session)
    for i in range(3):
        comment = make_comment(session, author, version, body=f"Hide me {i}.")
        hide_comment(session, moderator, comment, "Off topic.")
    first = client.get(f"{API}/moderation-log", query_string={"limit": 2}).get_json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    rest = client.get(f"{API}/moderation-log", query_string={"limit": 2, "cursor": first["next_cursor"]})
    assert len(rest.get_json()["items"]) == 1
    assert rest.get_json()["next_cursor"] is None
    assert len(client.get(f"{API}/moderation-log").get_json()["items"]) == 3
    for bad in (0, -1, 201, "many"):
        response = client.get(f"{API}/moderation-log", query_string={"limit": bad})
        assert response.status_code == 422, bad
        assert "limit" in response.get_json()["errors"]["query"]
