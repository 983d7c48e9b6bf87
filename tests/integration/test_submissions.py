"""Whole-version submissions through the web: save and return, send, edit, consent, organisations, questions,
results, receipts, moderation and privacy."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from sqlalchemy import func, select

from app.comments.antibot import sign_shown_at
from app.models import Answer, AuditEvent, Submission
from tests.factories import PASSWORD, login, make_questions, make_submission, make_user, make_version
from tests.hostile import payloads

QUESTIONS = """
- ask: How clear is the purpose section?
  kind: agree
  required: true
  section: purpose
- ask: Which principles matter most to you?
  kind: multiple
  choices: [He Tāngata, Manaakitanga, Kaitiakitanga]
- ask: Anything else?
  kind: text
"""


def stamp() -> str:
    return sign_shown_at(time.time() - 60)


def form_url(version) -> str:
    return f"/policies/{version.policy.slug}/versions/{version.slug}/submission"


def send(client, version, body="Plain words, please.", action="submit", **fields):
    data = {
        "body": body,
        "consent": "named",
        "submitter_kind": "individual",
        "shown_at": stamp(),
        "website": "",
        action: "x",
        **fields,
    }
    return client.post(form_url(version), data=data, content_type="multipart/form-data")


def count(session, model=Submission) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def version(session):
    return make_version(session)


@pytest.fixture
def person(session):
    return make_user(session, display_name="Aroha Tester")


def test_form_asks_visitors_to_sign_in(client, version):
    response = client.get(form_url(version))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_save_a_draft_then_return_and_send(client, session, version, person):
    login(client, person)
    saved = send(client, version, "Half a thought", action="save")
    assert saved.status_code == 303
    draft = session.scalars(select(Submission)).one()
    assert draft.state == "draft"
    assert draft.submitted_at is None
    # The draft is private: the receipt is the author's only, and lists do not show it.
    other = make_user(session, "reviewer")
    assert client.get(f"/submissions/{draft.tracking_number}").status_code == 200
    page = client.get(form_url(version))
    assert b"Half a thought" in page.data
    assert b"You have a draft saved" in page.data

    sent = send(client, version, "A whole thought now.")
    assert sent.status_code == 303
    assert f"/submissions/{draft.tracking_number}" in sent.headers["Location"]
    session.refresh(draft)
    assert draft.state == "published"
    assert draft.submitted_at is not None
    assert count(session) == 1  # one submission per person per version

    client.post("/logout")
    login(client, other)
    listing = client.get(f"/policies/{version.policy.slug}/versions/{version.slug}/submissions")
    assert b"A whole thought now." in listing.data
    assert b"Aroha Tester" in listing.data


def test_drafts_are_seen_by_their_author_only(client, session, version, person):
    draft = make_submission(session, person, version, "Secret draft", send=False)
    reviewer = make_user(session, "reviewer")
    login(client, reviewer)
    assert client.get(f"/submissions/{draft.tracking_number}").status_code == 404
    listing = client.get(f"/policies/{version.policy.slug}/versions/{version.slug}/submissions")
    assert b"Secret draft" not in listing.data


def test_a_sent_submission_can_be_edited_until_the_period_closes(client, session, version, person):
    submission = make_submission(session, person, version, "First words.")
    login(client, person)
    assert send(client, version, "Second words.").status_code == 303
    session.refresh(submission)
    assert submission.body == "Second words."
    assert submission.edited_at is not None
    assert submission.state == "published"

    version.comments_close_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    version.comments_open_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    session.commit()
    refused = send(client, version, "Third words.")
    assert refused.status_code == 409
    session.refresh(submission)
    assert submission.body == "Second words."


def test_sending_nothing_is_refused_and_nothing_stored(client, session, version, person):
    login(client, person)
    response = send(client, version, "   ")
    assert response.status_code == 422
    assert b"before you send it" in response.data
    assert count(session) == 0


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False  # lone surrogates cannot be sent as multipart form data at all
    return True


HOSTILE = [
    p for p in payloads("xss", "template-injection", "unicode", "sql", "format-string") if _encodable(p)
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_text_is_refused_clearly_or_stored_inert(client, session, version, person, payload):
    login(client, person)
    response = send(client, version, payload, region=payload[:100])
    assert response.status_code in (303, 422)
    if response.status_code == 303:
        submission = session.scalars(select(Submission)).one()
        page = client.get(f"/submissions/{submission.tracking_number}")
        assert page.status_code == 200
        assert b"<script>alert" not in page.data
    else:
        assert count(session) == 0


def test_organisation_needs_a_name_and_kind_and_staff_confirm_it(client, session, version, person):
    login(client, person)
    missing = send(client, version, "From us.", submitter_kind="organisation")
    assert missing.status_code == 422
    assert count(session) == 0
    sent = send(
        client,
        version,
        "From us.",
        submitter_kind="organisation",
        organisation_name="Te Rōpū Raraunga",
        organisation_kind="iwi",
        region="Waikato",
    )
    assert sent.status_code == 303
    submission = session.scalars(select(Submission)).one()
    assert submission.is_organisation
    client.post("/logout")
    page = client.get(f"/submissions/{submission.tracking_number}")
    assert "Te Rōpū Raraunga (Iwi, hapū or Māori organisation)".encode() in page.data
    assert b"not yet confirmed" in page.data

    staff = make_user(session, "reviewer")
    login(client, staff)
    confirmed = client.post(f"/submissions/{submission.tracking_number}/confirm-organisation", data={})
    assert confirmed.status_code == 303
    session.refresh(submission)
    assert submission.organisation_confirmed_at is not None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "submission.organisation_confirmed"))


def test_do_not_publish_is_counted_but_never_shown(client, session, version, person):
    private = make_submission(session, person, version, "Only for the team.", consent="private")
    make_submission(session, make_user(session), version, "For everyone.")
    anonymous = make_submission(
        session, make_user(session, display_name="Hemi Hidden"), version, "No name.", consent="anonymous"
    )
    listing = client.get(f"/policies/{version.policy.slug}/versions/{version.slug}/submissions")
    assert b"3 submissions received" in listing.data
    assert b"2 are published" in listing.data
    assert b"Only for the team." not in listing.data
    assert b"For everyone." in listing.data
    assert b"Hemi Hidden" not in listing.data
    assert b"Anonymous member of the public" in listing.data
    assert client.get(f"/submissions/{private.tracking_number}").status_code == 404
    assert client.get(f"/submissions/{anonymous.tracking_number}").status_code == 200
    page = client.get(f"/policies/{version.policy.slug}/versions/{version.slug}")
    assert b"3 submissions on the whole draft" in page.data

    reviewer = make_user(session, "reviewer")
    login(client, reviewer)
    assert client.get(f"/submissions/{private.tracking_number}").status_code == 200


def test_version_page_count_follows_new_submissions_through_the_cache(client, session, version, person):
    url = f"/policies/{version.policy.slug}/versions/{version.slug}"
    assert b"0 submissions on the whole draft" in client.get(url).data
    make_submission(session, person, version, "One more.")
    assert b"1 submission on the whole draft" in client.get(url).data


def test_questions_required_answers_and_results(client, session, version, person):
    questions = make_questions(session, version, QUESTIONS)
    agree, multiple, text = questions
    login(client, person)
    refused = send(client, version, "Words.")
    assert refused.status_code == 422
    assert b"This question needs an answer" in refused.data
    wrong = send(client, version, "Words.", **{f"q{agree.id}": "maybe"})
    assert wrong.status_code == 422
    assert count(session) == 0
    ok = send(
        client,
        version,
        "Words.",
        **{
            f"q{agree.id}": "agree",
            f"q{multiple.id}": ["He Tāngata", "Kaitiakitanga"],
            f"q{text.id}": "Kia ora",
        },
    )
    assert ok.status_code == 303
    assert count(session, Answer) == 3
    make_submission(session, make_user(session), version, "More.", answers={agree.id: ["disagree"]})

    results_url = f"/policies/{version.policy.slug}/versions/{version.slug}/results"
    client.post("/logout")
    hidden = client.get(results_url)
    assert b"shown once the period closes" in hidden.data
    version.question_results_live = True
    session.commit()
    shown = client.get(results_url)
    assert shown.status_code == 200
    assert b"<svg" in shown.data
    assert b"<table" in shown.data
    assert b"50.0%" in shown.data  # one of two agree, one of two disagree
    assert b"Kia ora" in shown.data


def test_questions_editor_refuses_bad_yaml_and_unknown_clause(client, session, version):
    drafter = make_user(session, "drafter")
    login(client, drafter)
    url = f"/drafting/{version.policy.slug}/{version.slug}/questions"
    assert client.get(url).status_code == 200
    bad = client.post(url, data={"questions": "- ask: [unclosed"})
    assert bad.status_code == 422
    unknown = client.post(url, data={"questions": "- ask: Why?\n  clause: no-such-clause"})
    assert unknown.status_code == 422
    assert b"no such section or clause" in unknown.data
    saved = client.post(url, data={"questions": QUESTIONS, "results_live": "y"})
    assert saved.status_code == 303
    session.refresh(version)
    assert version.question_results_live is True
    assert b"Which principles matter most" in client.get(url).data


def test_questions_are_frozen_once_answered(session, version, person):
    from app.submissions.errors import SubmissionStateError
    from app.submissions.services import set_questions

    (question,) = make_questions(session, version, "- ask: Why?\n  kind: text")
    make_submission(session, person, version, "x", answers={question.id: "Because"})
    with pytest.raises(SubmissionStateError):
        set_questions(session, make_user(session, "drafter"), version, "- ask: Why not?\n  kind: text")


def test_pre_moderation_holds_and_a_moderator_approves(client, session, person):
    version = make_version(session, policy_slug="held-policy", moderation="pre")
    submission = make_submission(session, person, version, "Wait for me.")
    assert submission.state == "held"
    assert client.get(f"/submissions/{submission.tracking_number}").status_code == 404
    moderator = make_user(session, "moderator")
    login(client, moderator)
    assert b"Wait for me." in client.get("/moderation/submissions").data
    approved = client.post(f"/moderation/submissions/{submission.tracking_number}/approve", data={})
    assert approved.status_code == 303
    session.refresh(submission)
    assert submission.state == "published"
    wrong = client.post(f"/moderation/submissions/{submission.tracking_number}/approve", data={})
    assert wrong.status_code == 409
    no_reason = client.post(f"/moderation/submissions/{submission.tracking_number}/hide", data={})
    assert no_reason.status_code == 422


def test_receipt_lookup_finds_submissions(client, session, version, person):
    submission = make_submission(session, person, version)
    number = submission.tracking_number.replace("-", " ").lower()
    found = client.get("/receipts", query_string={"number": number})
    assert found.status_code == 302
    assert f"/submissions/{submission.tracking_number}" in found.headers["Location"]
    direct = client.get(f"/receipts/{submission.tracking_number}")
    assert direct.status_code == 302


def test_privacy_export_and_delete_cover_submissions(client, session, version, person):
    from app.privacy.services import delete_account, export_account

    (question,) = make_questions(session, version, "- ask: Why?\n  kind: text")
    submission = make_submission(session, person, version, "Mine.", answers={question.id: "Because"})
    exported = export_account(session, person)
    assert exported["submissions"][0]["tracking_number"] == submission.tracking_number
    assert exported["submissions"][0]["answers"] == [{"question": "Why?", "answer": "Because"}]
    json.dumps(exported)
    delete_account(session, person, PASSWORD, "remove")
    session.flush()
    session.refresh(submission)
    assert submission.user_id is None
    assert submission.body == ""
    assert submission.state == "withdrawn"
    assert submission.submitter_name == ""
    assert count(session, Answer) == 0


def test_privacy_anonymise_keeps_words_without_the_name(session, version, person):
    from app.privacy.services import delete_account

    submission = make_submission(session, person, version, "Keep my words.")
    delete_account(session, person, PASSWORD, "anonymise")
    session.flush()
    session.refresh(submission)
    assert submission.body == "Keep my words."
    assert submission.consent == "anonymous"
    assert submission.user_id is None


def test_a_sent_submission_mails_its_receipt_once(app, client, session, version, person):
    from pathlib import Path

    outbox = Path(app.instance_path) / "outbox"
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    login(client, person)
    send(client, version, "Draft first.", action="save")
    assert (set(outbox.glob("*.eml")) if outbox.exists() else set()) == before
    send(client, version, "Now sent.")
    send(client, version, "Now edited.")
    new = sorted(set(outbox.glob("*.eml")) - before)
    assert len(new) == 1
    text = new[0].read_text()
    submission = session.scalars(select(Submission)).one()
    assert submission.tracking_number in text
    assert person.email in text


def test_questions_tied_to_a_section_are_shown_on_its_page(client, session, version):
    url = f"/policies/{version.policy.slug}/versions/{version.slug}/sections/purpose"
    assert b"Questions about this section" not in client.get(url).data
    make_questions(session, version, QUESTIONS)
    page = client.get(url)
    assert b"Questions about this section" in page.data
    assert b"How clear is the purpose section?" in page.data
    assert b"Which principles matter most" not in page.data  # not tied to a section


def test_a_redacted_passage_is_hidden_from_the_public_and_audited(client, session, version, person):
    submission = make_submission(
        session, person, version, "My neighbour Tama Smith at 12 Example Street agrees."
    )
    reviewer = make_user(session, "reviewer")
    login(client, reviewer)
    url = f"/submissions/{submission.tracking_number}/redact"
    missing = client.post(url, data={"passage": "not in it", "reason": "personal_details"})
    assert missing.status_code == 422
    no_reason = client.post(url, data={"passage": "Tama Smith", "reason": "because"})
    assert no_reason.status_code == 422
    done = client.post(url, data={"passage": "Tama Smith at 12 Example Street", "reason": "personal_details"})
    assert done.status_code == 303
    staff_view = client.get(f"/submissions/{submission.tracking_number}")
    assert b"Tama Smith" in staff_view.data
    client.post("/logout")
    listing_url = f"/policies/{version.policy.slug}/versions/{version.slug}/submissions"
    for url in (f"/submissions/{submission.tracking_number}", listing_url):
        public = client.get(url)
        assert b"Tama Smith" not in public.data
        assert b"[redacted: personal details]" in public.data
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "submission.redacted"))
    assert event.reason == "personal_details"
    login(client, make_user(session))
    refused = client.post(
        f"/submissions/{submission.tracking_number}/redact", data={"passage": "agrees", "reason": "other"}
    )
    assert refused.status_code == 403
