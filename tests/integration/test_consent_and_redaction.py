"""Issue 10's open items on clause comments: the three-way consent question ("do not publish" is counted, never
shown to the public), redaction of comments and free-text answers as of submissions, and submissions in the
comments reports (PDF)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from app.analysis.indexing import reindex_public_flag
from app.api import tokens
from app.comments.antibot import sign_shown_at
from app.models import AuditEvent, Clause, Comment, Role
from tests.factories import login, make_comment, make_questions, make_submission, make_user, make_version
from tests.support.pdf import fresh_cache, pdf_text

SECRET = "Wharekauri"  # a made-up word: found anywhere public, it is a leak
PASSAGE = "my neighbour Tama Rewi at 12 Example Street"


@pytest.fixture
def version(session):
    return make_version(session)


def form_url(version, clause_key: str = "purpose-1") -> str:
    return f"/policies/{version.policy.slug}/versions/{version.slug}/clauses/{clause_key}/comment"


def public_urls(version, comment: Comment, search: str = SECRET) -> list[str]:
    """Every public place a comment's words could be: pages, feeds, the API, exports, annotations, search
    (for `search`: the search page repeats the query, so look for a word the secret is not)."""
    base = f"/policies/{version.policy.slug}/versions/{version.slug}"
    api = f"/api/v1/policies/{version.policy.slug}/versions/{version.slug}"
    return [
        f"{base}/sections/purpose",
        f"{base}/clauses/purpose-1/comments",
        f"{base}/comments.atom",
        f"{base}/responses",
        f"/comments/{comment.id}",
        f"/receipts/{comment.tracking_number}",
        f"{api}/comments",
        f"{api}/annotations",
        f"{api}/comments.csv",
        f"/api/v1/comments/{comment.tracking_number}",
        f"{base}/search?q={search}",
    ]


def send(client, version, body: str, display_as: str):
    data = {
        "body": body,
        "display_as": display_as,
        "shown_at": sign_shown_at(time.time() - 10),
        "website": "",
    }
    return client.post(form_url(version), data=data)


def clause_count(session, version) -> int:
    clause = session.scalar(select(Clause).where(Clause.version_id == version.id, Clause.key == "purpose-1"))
    session.refresh(clause)
    return clause.comment_count


# --- 1. consent ------------------------------------------------------------------------------------------------


def test_the_comment_form_asks_whether_to_publish_and_says_why(client, session, version):
    login(client, make_user(session))
    page = client.get(form_url(version)).get_data(as_text=True)
    assert "May we publish your comment?" in page
    for value, label in [
        ("name", "Publish it with my name"),
        ("anonymous", "Publish it without my name"),
        ("private", "Do not publish it (the drafting team still reads it)"),
    ]:
        assert f'value="{value}"' in page
        assert label in page
    assert "We ask because" in page
    assert "counted in the public totals" in page


def test_a_do_not_publish_comment_is_counted_and_read_by_staff_but_never_shown_to_the_public(
    client, session, version
):
    author = make_user(session, display_name="Mere Private")
    login(client, author)
    sent = send(client, version, f"{SECRET} is for the drafting team only.", "private")
    assert sent.status_code in (302, 303)
    comment = session.scalar(select(Comment).where(Comment.user_id == author.id))
    assert comment.display_as == "private"
    assert comment.state == "published"
    receipt = client.get(f"/receipts/{comment.tracking_number}").get_data(as_text=True)
    assert SECRET in receipt  # its author reads it
    assert "not published, as its author asked" in receipt
    assert clause_count(session, version) == 1  # counted in the public totals
    client.post("/logout")
    leaks = []
    for url in public_urls(version, comment, search="drafting"):
        response = client.get(url)
        if SECRET in response.get_data(as_text=True):
            leaks.append(url)
    assert not leaks
    assert client.get(f"/receipts/{comment.tracking_number}").status_code == 404
    # Marking the version final rewrites the index's public flags: a private comment stays out.
    reindex_public_flag(session.connection(), version.id, True)
    session.commit()
    base = f"/policies/{version.policy.slug}/versions/{version.slug}"
    assert SECRET not in client.get(f"{base}/search?q=drafting").get_data(as_text=True)
    # Staff read it, marked as not for publication.
    login(client, make_user(session, Role.REVIEWER.value))
    staff = client.get(f"{base}/sections/purpose").get_data(as_text=True)
    assert SECRET in staff
    assert "Not for publication" in staff


def test_the_api_posts_a_do_not_publish_comment_through_the_same_rule(client, session, version):
    author = make_user(session)
    _token, raw = tokens.create_token(session, author, "test", [tokens.COMMENTS_WRITE])
    session.commit()
    url = f"/api/v1/policies/{version.policy.slug}/versions/{version.slug}/comments"
    made = client.post(
        url,
        json={"clause_key": "purpose-1", "body": f"{SECRET} via the API.", "display_as": "private"},
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    comment = session.scalar(select(Comment).where(Comment.user_id == author.id))
    assert comment.display_as == "private"
    assert SECRET not in client.get(url).get_data(as_text=True)
    assert client.get(f"/api/v1/comments/{comment.tracking_number}").status_code == 404
    refused = client.post(
        url,
        json={"clause_key": "purpose-1", "body": "Another.", "display_as": "nobody"},
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert refused.status_code == 422


def test_a_reply_may_be_unpublished_and_an_unpublished_comment_takes_no_replies(client, session, version):
    from app.comments.errors import CommentStateError
    from app.comments.services import post_reply

    opener = make_comment(session, make_user(session), version, "purpose-1", body="Open words here.")
    replier = make_user(session)
    reply = make_comment(
        session,
        replier,
        version,
        "purpose-1",
        body=f"{SECRET} reply.",
        display_as="private",
        parent_id=opener.id,
    )
    session.refresh(opener)
    assert opener.reply_count == 1  # counted
    thread = client.get(f"/comments/{opener.id}").get_data(as_text=True)
    assert "Open words here." in thread
    assert SECRET not in thread
    assert client.get(f"/comments/{reply.id}").status_code == 404
    private = make_comment(
        session, make_user(session), version, "purpose-2", body="Team only.", display_as="private"
    )
    with pytest.raises(CommentStateError):
        post_reply(session, replier, private, "A reply to something nobody else can read.")
    login(client, replier)
    form = client.get(f"/comments/{opener.id}").get_data(as_text=True)
    assert "May we publish your reply?" in form
    assert 'value="private"' in form


def test_unpublished_comments_join_no_campaign_group(session, version):
    words = "Please keep the consent clause exactly as it is written now, thank you."
    first = make_comment(session, make_user(session), version, "purpose-1", body=words)
    private = make_comment(
        session, make_user(session), version, "purpose-1", body=words, display_as="private"
    )
    third = make_comment(session, make_user(session), version, "purpose-1", body=words)
    for row in (first, private, third):
        session.refresh(row)
    assert first.campaign_group_id is not None
    assert first.campaign_group_id == third.campaign_group_id
    assert private.campaign_group_id is None


def test_deleting_an_account_keeps_a_do_not_publish_comment_unpublished(client, session, version):
    from app.privacy.services import delete_account
    from tests.factories import PASSWORD

    author = make_user(session)
    comment = make_comment(
        session, author, version, "purpose-1", body=f"{SECRET} kept.", display_as="private"
    )
    named = make_comment(session, author, version, "purpose-2", body="Named and kept.")
    delete_account(session, author, PASSWORD, "anonymise")
    session.commit()
    session.refresh(comment)
    session.refresh(named)
    assert comment.display_as == "private"
    assert named.display_as == "anonymous"


# --- 2. redaction of comments and answers ---------------------------------------------------------------------


def test_a_moderator_redacts_a_passage_of_a_comment_for_the_public_only(client, session, version):
    author = make_user(session)
    comment = make_comment(
        session, author, version, "purpose-1", body=f"{SECRET}: I spoke with {PASSAGE} and they agree."
    )
    session.commit()
    url = f"/comments/{comment.tracking_number}/redact"
    login(client, make_user(session))
    assert client.post(url, data={"passage": "Tama Rewi", "reason": "personal_details"}).status_code == 403
    client.post("/logout")
    login(client, make_user(session, Role.MODERATOR.value))
    receipt = client.get(f"/receipts/{comment.tracking_number}").get_data(as_text=True)
    assert "Redact a passage" in receipt
    assert client.post(url, data={"passage": "not in it", "reason": "personal_details"}).status_code == 422
    assert client.post(url, data={"passage": "Tama Rewi", "reason": "because"}).status_code == 422
    assert client.post(url, data={"passage": PASSAGE, "reason": "personal_details"}).status_code == 303
    session.refresh(comment)
    assert comment.redaction_count == 1
    staff = client.get(f"/receipts/{comment.tracking_number}").get_data(as_text=True)
    assert "Tama Rewi" in staff
    assert "the public sees 1 passage(s) redacted" in staff
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "comment.redacted"))
    assert (event.target_type, event.target_id, event.reason) == ("comment", comment.id, "personal_details")
    client.post("/logout")
    for page in public_urls(version, comment):
        text = client.get(page).get_data(as_text=True)
        assert "Tama Rewi" not in text, page
    shown = client.get(f"/comments/{comment.id}").get_data(as_text=True)
    assert "[redacted: personal details]" in shown
    api = client.get(f"/api/v1/comments/{comment.tracking_number}").get_json()
    assert api["body"] == f"{SECRET}: I spoke with [redacted: personal details] and they agree."
    # The search index holds the redacted words: the passage matches nothing, the rest still does.
    base = f"/policies/{version.policy.slug}/versions/{version.slug}"
    assert SECRET not in client.get(f"{base}/search?q=Rewi").get_data(as_text=True)
    assert "[redacted: personal details]" in client.get(f"{base}/search?q={SECRET}").get_data(as_text=True)
    # Its author still reads what they wrote.
    login(client, author)
    assert "Tama Rewi" in client.get(f"/receipts/{comment.tracking_number}").get_data(as_text=True)


def test_a_reviewer_redacts_a_written_answer_of_a_submission(client, session, version):
    anything_else = make_questions(session, version, "- ask: Anything else?\n  kind: text\n")[0]
    person = make_user(session)
    submission = make_submission(
        session, person, version, "The whole draft is fine.", answers={anything_else.id: f"Ask {PASSAGE}."}
    )
    version.question_results_live = True
    session.commit()
    answer = submission.answers[0]
    url = f"/submissions/{submission.tracking_number}/redact"
    login(client, make_user(session, Role.REVIEWER.value))
    receipt = client.get(f"/submissions/{submission.tracking_number}").get_data(as_text=True)
    assert f'value="answer-{answer.id}"' in receipt
    # The passage is in the answer, not in the submission's text; and an answer of another submission is refused.
    assert (
        client.post(url, data={"part": "body", "passage": PASSAGE, "reason": "personal_details"}).status_code
        == 422
    )
    assert (
        client.post(url, data={"part": "answer-999999", "passage": PASSAGE, "reason": "other"}).status_code
        == 422
    )
    done = client.post(
        url, data={"part": f"answer-{answer.id}", "passage": PASSAGE, "reason": "personal_details"}
    )
    assert done.status_code == 303
    session.refresh(answer)
    assert answer.redaction_count == 1
    assert "Tama Rewi" in client.get(f"/submissions/{submission.tracking_number}").get_data(as_text=True)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "answer.redacted"))
    assert (event.target_type, event.target_id) == ("answer", answer.id)
    client.post("/logout")
    results = f"/policies/{version.policy.slug}/versions/{version.slug}/results"
    for page in (f"/submissions/{submission.tracking_number}", results):
        text = client.get(page).get_data(as_text=True)
        assert "Tama Rewi" not in text, page
        assert "[redacted: personal details]" in text, page


def test_a_redaction_has_exactly_one_target(session, version):
    from sqlalchemy.exc import IntegrityError

    from app.models import Redaction

    comment = make_comment(session, make_user(session), version, "purpose-1", body="Some words here.")
    submission = make_submission(session, make_user(session), version, "Some words here too.")
    session.commit()
    for fields in ({}, {"comment_id": comment.id, "submission_id": submission.id}):
        with session.begin_nested():
            session.add(Redaction(passage="words", reason="other", **fields))
            with pytest.raises(IntegrityError):
                session.flush()


# --- 3. submissions in the comments reports -------------------------------------------------------------------


def pdf_of(client, url: str) -> str:
    response = client.get(url)
    try:
        assert response.status_code == 200, url
        return pdf_text(response.get_data())
    finally:
        response.close()


@pytest.fixture
def cache(app, tmp_path):
    with fresh_cache(app, tmp_path / "renditions") as fresh:
        yield fresh


def test_the_comments_reports_list_submissions_as_their_makers_allowed(client, session, version, cache):
    make_comment(session, make_user(session), version, "purpose-1", body="A clause comment in the report.")
    make_submission(
        session,
        make_user(session, display_name="Rangi Named"),
        version,
        "Named whole-draft submission.",
    )
    make_submission(
        session,
        make_user(session),
        version,
        "Organisation submission words.",
        consent="anonymous",
        submitter_kind="organisation",
        organisation_name="Secret Trust Board",
        organisation_kind="iwi",
    )
    make_submission(
        session, make_user(session), version, f"{SECRET} submission, not to publish.", consent="private"
    )
    session.commit()
    base = f"/policies/{version.policy.slug}/versions/{version.slug}/comments"
    public = pdf_of(client, f"{base}/public-report.pdf")
    assert "Submissions on the whole version" in public
    assert "A clause comment in the report." in public
    assert "Named whole-draft submission." in public
    assert "Rangi Named" in public
    assert "Organisation submission words." in public
    assert "An organisation (Iwi, hapū or Māori organisation)" in public
    assert "Secret Trust Board" not in public  # published without its name
    assert SECRET not in public  # counted, never shown
    assert "Submissions received but not published, as their makers asked" in public
    login(client, make_user(session, Role.REVIEWER.value))
    staff = pdf_of(client, f"{base}/report.pdf")
    assert SECRET in staff
    assert "Secret Trust Board" in staff


def test_the_public_report_counts_an_unpublished_comment_without_its_words(client, session, version, cache):
    make_comment(
        session,
        make_user(session),
        version,
        "purpose-1",
        body=f"{SECRET} for the team only.",
        display_as="private",
    )
    make_comment(session, make_user(session), version, "purpose-2", body="A published comment.")
    session.commit()
    base = f"/policies/{version.policy.slug}/versions/{version.slug}/comments"
    public = pdf_of(client, f"{base}/public-report.pdf")
    assert "A published comment." in public
    assert SECRET not in public
    assert "Received but not published, as their authors asked" in public
