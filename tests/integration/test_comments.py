"""Commenting on clauses through the HTTP stack: the flow, the rules, every bad input, edits and withdrawals."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from sqlalchemy import event, func, select

from app.comments import services
from app.comments.antibot import sign_shown_at
from app.comments.errors import CommentInputError
from app.exceptions import InputError
from app.extensions import db
from app.models import Clause, Comment, CommentState, Version
from tests.factories import login, make_user, make_version

POLICY = "/policies/test-policy/versions/first-draft"


def form_url(version: Version, clause_key: str = "purpose-1") -> str:
    return f"/policies/{version.policy.slug}/versions/{version.slug}/clauses/{clause_key}/comment"


def stamp(seconds_ago: float = 10) -> str:
    return sign_shown_at(time.time() - seconds_ago)


def send(client, version: Version, body: str, clause_key: str = "purpose-1", **fields: str):
    data = {"body": body, "display_as": "name", "shown_at": stamp(), "website": ""}
    data.update(fields)
    return client.post(form_url(version, clause_key), data=data)


def comment_count(session) -> int:
    return session.scalar(select(func.count(Comment.id)))


def clause(session, version: Version, key: str = "purpose-1") -> Clause:
    return session.scalar(select(Clause).where(Clause.version_id == version.id, Clause.key == key))


@pytest.fixture
def version(session):
    return make_version(session)


@pytest.fixture
def author(session, client):
    user = make_user(session, display_name="Aroha Ngata")
    assert login(client, user).status_code in (302, 303)
    return user


# --- the flow ---------------------------------------------------------------------------------------


def test_section_page_offers_a_real_link_to_the_comment_form(client, version):
    page = client.get(f"{POLICY}/sections/purpose")
    assert page.status_code == 200
    assert f'href="{form_url(version)}"' in page.text
    assert "Comment on this clause" in page.text
    assert "Comments are open until" in page.text
    assert "js/comments.js" in page.text


def test_anonymous_visitor_is_sent_to_sign_in_and_back(client, version):
    response = client.get(form_url(version))
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    assert "purpose-1" in response.location
    posted = client.post(form_url(version), data={"body": "hello", "shown_at": stamp()})
    assert posted.status_code == 302
    assert "/login" in posted.location
    assert comment_count(db.session) == 0


def test_first_comment_shows_the_privacy_notice_then_posts_and_gives_a_receipt(
    client, session, version, author
):
    form = client.get(form_url(version))
    assert form.status_code == 200
    assert "what we keep and who sees it" in form.text
    assert 'href="/privacy"' in form.text
    assert "Leave this empty" in form.text
    assert 'autocomplete="off"' in form.text
    assert 'tabindex="-1"' in form.text
    response = send(
        client,
        version,
        "Please say who decides what is **treasured**.\n\nSee [the guide](https://example.org/x)",
    )
    assert response.status_code == 303
    comment = session.scalar(select(Comment))
    assert response.location == f"/receipts/{comment.tracking_number}"
    assert comment.state == CommentState.PUBLISHED.value
    assert comment.author_verified is True
    assert comment.user_id == author.id
    assert clause(session, version).comment_count == 1
    receipt = client.get(response.location)
    assert receipt.status_code == 200
    assert comment.tracking_number in receipt.text
    assert "Test Policy" in receipt.text
    assert "First draft" in receipt.text
    assert "Published: everyone can read it." in receipt.text
    assert 'rel="nofollow ugc noopener"' in receipt.text
    # A second visit to the form no longer shows the first-time notice.
    assert "what we keep and who sees it" not in client.get(form_url(version)).text
    section = client.get(f"{POLICY}/sections/purpose")
    assert "Aroha Ngata" in section.text
    assert "who decides what is **treasured**" in section.text  # literal: only paragraphs and links
    assert "1 comment" in section.text


def test_anonymous_display_hides_the_name_from_the_public_but_not_from_staff(
    client, session, version, author
):
    assert send(client, version, "Keep my name off this, please.", display_as="anonymous").status_code == 303
    client.get("/logout")
    client.post("/logout")
    public = client.get(f"{POLICY}/sections/purpose")
    assert "Anonymous member of the public" in public.text
    assert "Aroha Ngata" not in public.text
    moderator = make_user(session, role="moderator")
    assert login(client, moderator).status_code in (302, 303)
    staff = client.get(f"{POLICY}/sections/purpose")
    assert "Anonymous member of the public" in staff.text
    assert author.email in staff.text


def test_unverified_authors_are_marked(client, session, version):
    user = make_user(session, verified=False)
    login(client, user)
    assert send(client, version, "I have not confirmed my email yet.").status_code == 303
    assert session.scalar(select(Comment)).author_verified is False
    assert "unverified email" in client.get(f"{POLICY}/sections/purpose").text


def test_pre_moderated_policy_holds_comments_until_approved(client, session):
    version = make_version(session, policy_slug="held-policy", moderation="pre")
    user = make_user(session)
    login(client, user)
    response = send(client, version, "This should wait for a moderator.")
    assert response.status_code == 303
    comment = session.scalar(select(Comment))
    assert comment.state == CommentState.HELD.value
    assert clause(session, version).comment_count == 0
    receipt = client.get(response.location)
    assert "Your comment is waiting for a moderator" in receipt.text


def test_passage_comment_stores_the_w3c_anchor_and_shows_the_quote(client, session, version, author):
    text = clause(session, version).text
    exact = "agencies look after information"
    start = text.index(exact)
    response = send(
        client,
        version,
        "Which agencies?",
        quote_exact=exact,
        quote_prefix=text[max(0, start - 32) : start],
        quote_suffix=text[start + len(exact) : start + len(exact) + 32],
        quote_start=str(start),
    )
    assert response.status_code == 303
    comment = session.scalar(select(Comment))
    assert comment.quote_exact == exact
    assert (comment.quote_start, comment.quote_end) == (start, start + len(exact))
    assert comment.quote_prefix == text[max(0, start - 32) : start]
    assert comment.quote_suffix == text[start + len(exact) : start + len(exact) + 32]
    page = client.get(f"{POLICY}/sections/purpose")
    assert f"“{exact}”" in page.text
    assert f'data-quote-exact="{exact}"' in page.text


def test_passage_can_be_typed_without_javascript(client, session, version, author):
    response = send(
        client, version, "Typed quote.", quote_exact="  every agency that collects  ", clause_key="purpose-2"
    )
    assert response.status_code == 303
    assert session.scalar(select(Comment)).quote_exact == "every agency that collects"


def test_form_prefills_a_passage_chosen_on_the_section_page(client, version, author):
    page = client.get(
        form_url(version) + "?quote=agencies+look+after&prefix=how+&suffix=+information&start=30"
    )
    assert page.status_code == 200
    assert "agencies look after</textarea>" in page.text


def test_quote_not_in_the_clause_is_refused(client, session, version, author):
    response = send(client, version, "About a passage.", quote_exact="words that are not there")
    assert response.status_code == 422
    assert "We could not find that passage in clause 1" in response.text
    assert 'aria-invalid="true"' in response.text
    assert comment_count(session) == 0


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Enter your comment."),
        ("   \n\t  \n", "Enter your comment."),
        ("x" * 10_001, "Shorten it to 10,000 characters or fewer."),
        ("NUL\x00byte", "invisible control characters"),
        ("bell\x07", "invisible control characters"),
        ("escape \x1b[31m", "invisible control characters"),
    ],
)
def test_bad_bodies_get_a_clear_message_and_nothing_is_stored(
    client, session, version, author, body, message
):
    response = send(client, version, body)
    assert response.status_code == 422
    assert message in response.text
    assert "There is a problem" in response.text
    assert comment_count(session) == 0
    assert clause(session, version).comment_count == 0


def test_exactly_ten_thousand_characters_is_accepted(client, session, version, author):
    assert send(client, version, "y" * 10_000).status_code == 303
    assert len(session.scalar(select(Comment)).body) == 10_000


def test_invalid_utf8_in_a_multipart_form_is_refused(client, session, version, author):
    body = b"".join(
        b'--XX\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (name, value)
        for name, value in [
            (b"body", b"bad \xff\xfe bytes \xed\xa0\x80"),
            (b"display_as", b"name"),
            (b"shown_at", stamp().encode()),
        ]
    )
    response = client.post(
        form_url(version), data=body + b"--XX--\r\n", content_type="multipart/form-data; boundary=XX"
    )
    assert response.status_code == 422
    assert "not valid UTF-8" in response.text
    assert comment_count(session) == 0


def test_invalid_utf8_in_an_urlencoded_form_is_refused(client, session, version, author):
    data = b"display_as=name&shown_at=" + stamp().encode() + b"&body=lone+\xed\xa0\x80+bytes"
    response = client.post(form_url(version), data=data, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert "could not be read" in response.text
    assert comment_count(session) == 0


def test_lone_surrogate_is_refused_by_the_service(session, version):
    user = make_user(session)
    with pytest.raises(InputError, match="not valid UTF-8"):
        services.post_comment(session, user, clause(session, version), "lone surrogate \ud800 here")
    assert comment_count(session) == 0


def test_unknown_clause_key_is_404(client, version, author):
    assert client.get(form_url(version, "no-such-clause")).status_code == 404
    assert send(client, version, "hello", clause_key="no-such-clause").status_code == 404


def test_bad_display_choice_is_refused(client, session, version, author):
    response = send(client, version, "hello there", display_as="<script>")
    assert response.status_code == 422
    assert comment_count(session) == 0


def test_working_version_is_404_even_for_a_drafter(client, session):
    version = make_version(session, label="Working copy", status="working")
    drafter = make_user(session, role="drafter")
    login(client, drafter)
    assert client.get(form_url(version)).status_code == 404
    assert send(client, version, "hello").status_code == 404
    assert comment_count(session) == 0


def _set_period(session, version: Version, opens: dt.datetime, closes: dt.datetime) -> None:
    version.comments_open_at = opens
    version.comments_close_at = closes
    session.commit()  # a refused request rolls back what is not committed


def test_closed_period_replaces_the_form_and_refuses_a_late_post(client, session, version, author):
    nz = dt.timezone(dt.timedelta(hours=13))
    _set_period(
        session,
        version,
        dt.datetime(2018, 12, 14, tzinfo=nz),
        dt.datetime(2019, 3, 29, 23, 59, 59, tzinfo=nz),
    )
    form = client.get(form_url(version))
    assert form.status_code == 200
    assert "Comments on this version closed on 29 March 2019." in form.text
    assert "<textarea" not in form.text
    section = client.get(f"{POLICY}/sections/purpose")
    assert "Comments on this version closed on 29 March 2019." in section.text
    assert "Comment on this clause" not in section.text
    late = send(client, version, "Am I too late?")
    assert late.status_code == 409
    assert "closed on 29 March 2019" in late.text
    assert comment_count(session) == 0


def test_not_yet_open_period_says_so_and_refuses(client, session, version, author):
    now = dt.datetime.now(dt.UTC)
    _set_period(session, version, now + dt.timedelta(days=2), now + dt.timedelta(days=30))
    assert "not yet open" in client.get(form_url(version)).text
    response = send(client, version, "Too early?")
    assert response.status_code == 409
    assert "not yet open" in response.text
    assert comment_count(session) == 0


def test_version_without_a_period_takes_no_comments(client, session):
    version = make_version(session, open_for_comment=False)
    login(client, make_user(session))
    assert "does not take comments" in client.get(form_url(version)).text
    assert send(client, version, "hello").status_code == 409


def test_honeypot_and_fast_posts_are_refused_clearly(client, session, version, author):
    filled = send(client, version, "I am a bot", website="http://spam.example")
    assert filled.status_code == 422
    assert "faster than a person can type" in filled.text
    assert "I am a bot</textarea>" in filled.text  # the text is kept for a person to send again
    fast = send(client, version, "Very quick", shown_at=sign_shown_at())
    assert fast.status_code == 422
    forged = send(client, version, "Forged stamp", shown_at="1700000000.forged")
    assert forged.status_code == 422
    missing = client.post(form_url(version), data={"body": "No stamp", "display_as": "name"})
    assert missing.status_code == 422
    assert comment_count(session) == 0


# --- duplicates --------------------------------------------------------------------------------------


def test_same_text_twice_within_ten_minutes_points_to_the_first_receipt(client, session, version, author):
    first = send(client, version, "Consent must be informed.")
    assert first.status_code == 303
    again = send(client, version, "  consent MUST be informed!! ")
    assert again.status_code == 409
    assert "You already sent this comment" in again.text
    original = session.scalar(select(Comment))
    assert f'href="/receipts/{original.tracking_number}"' in again.text
    assert comment_count(session) == 1
    assert send(client, version, "Consent must be informed.", clause_key="purpose-2").status_code == 303


def test_the_same_words_from_a_second_form_are_refused_though_its_token_is_new(
    client, session, version, author
):
    first = send(client, version, "Keep the data here.", form_token="first-form-token-0123456789")
    assert first.status_code == 303
    again = send(client, version, "Keep the data here.", form_token="second-form-token-0123456789")
    assert again.status_code == 409  # a new token is not a retry: the same words are still a duplicate
    assert comment_count(session) == 1
    retried = send(client, version, "Keep the data here.", form_token="first-form-token-0123456789")
    assert retried.headers["Location"] == first.headers["Location"]  # the first form's retry: its receipt


def test_same_text_after_ten_minutes_is_a_new_comment(client, session, version, author):
    send(client, version, "Consent must be informed.")
    original = session.scalar(select(Comment))
    original.created_at = original.created_at - dt.timedelta(minutes=11)
    session.commit()
    assert send(client, version, "Consent must be informed.").status_code == 303
    assert comment_count(session) == 2


def test_zero_width_characters_do_not_hide_a_duplicate(client, session, version, author):
    send(client, version, "zerowidthjoiners")
    assert send(client, version, "zero\u200bwidth\u200bjoiners").status_code == 409


# --- replies -----------------------------------------------------------------------------------------


def reply_data(body: str, **fields: str) -> dict[str, str]:
    data = {"body": body, "display_as": "name", "shown_at": stamp(), "website": ""}
    data.update(fields)
    return data


def test_replies_thread_under_their_comment_and_keep_counts(client, session, version, author):
    send(client, version, "The top comment.")
    parent = session.scalar(select(Comment))
    thread = client.get(f"/comments/{parent.id}")
    assert thread.status_code == 200
    assert 'id="reply"' in thread.text
    other = make_user(session, display_name="Hemi Walker")
    login(client, other)
    response = client.post(f"/comments/{parent.id}/reply", data=reply_data("I agree with this."))
    assert response.status_code == 303
    reply = session.scalar(select(Comment).where(Comment.parent_id == parent.id))
    assert (reply.version_id, reply.clause_id) == (parent.version_id, parent.clause_id)
    session.refresh(parent)
    assert parent.reply_count == 1
    assert clause(session, version).comment_count == 2
    section = client.get(f"{POLICY}/sections/purpose")
    assert "I agree with this." in section.text
    assert "Hemi Walker" in section.text


def test_reply_naming_another_clause_or_version_is_refused(client, session, version, author):
    send(client, version, "The top comment.")
    parent = session.scalar(select(Comment))
    other_clause = clause(session, version, "purpose-2")
    response = client.post(
        f"/comments/{parent.id}/reply", data=reply_data("Wrong clause", clause_id=str(other_clause.id))
    )
    assert response.status_code == 409
    assert "same version and clause" in response.text
    later = make_version(session, label="Second draft")
    response = client.post(
        f"/comments/{parent.id}/reply", data=reply_data("Wrong version", version_id=str(later.id))
    )
    assert response.status_code == 409
    assert (
        client.post(f"/comments/{parent.id}/reply", data=reply_data("x", clause_id="1 OR 1=1")).status_code
        == 400
    )
    assert session.scalar(select(func.count(Comment.id)).where(Comment.parent_id.is_not(None))) == 0


def test_reply_to_a_reply_is_refused(client, session, version, author):
    send(client, version, "The top comment.")
    parent = session.scalar(select(Comment))
    client.post(f"/comments/{parent.id}/reply", data=reply_data("First reply"))
    first_reply = session.scalar(select(Comment).where(Comment.parent_id == parent.id))
    response = client.post(f"/comments/{first_reply.id}/reply", data=reply_data("Nested"))
    assert response.status_code == 409
    assert "not to a reply" in response.text


def test_reply_after_the_period_closed_is_refused(client, session, version, author):
    send(client, version, "The top comment.")
    parent = session.scalar(select(Comment))
    now = dt.datetime.now(dt.UTC)
    _set_period(session, version, now - dt.timedelta(days=9), now - dt.timedelta(days=1))
    response = client.post(f"/comments/{parent.id}/reply", data=reply_data("Late reply"))
    assert response.status_code == 409
    assert comment_count(session) == 1


# --- editing and withdrawing -------------------------------------------------------------------------


def test_author_can_edit_within_fifteen_minutes_and_edits_are_shown(client, session, version, author):
    send(client, version, "First wording.")
    comment = session.scalar(select(Comment))
    page = client.get(f"/comments/{comment.id}/edit")
    assert page.status_code == 200
    assert "First wording.</textarea>" in page.text
    response = client.post(f"/comments/{comment.id}/edit", data={"body": "Better wording."})
    assert response.status_code == 303
    session.refresh(comment)
    assert comment.body == "Better wording."
    assert "Better wording." in comment.body_html
    assert comment.edited_at is not None
    assert "edited" in client.get(f"{POLICY}/sections/purpose").text
    assert client.post(f"/comments/{comment.id}/edit", data={"body": "  "}).status_code == 422
    session.refresh(comment)
    assert comment.body == "Better wording."


def test_edit_window_closes_after_fifteen_minutes(client, session, version, author):
    send(client, version, "First wording.")
    comment = session.scalar(select(Comment))
    comment.created_at = comment.created_at - dt.timedelta(minutes=16)
    session.commit()
    assert client.get(f"/comments/{comment.id}/edit").status_code == 409
    response = client.post(f"/comments/{comment.id}/edit", data={"body": "Too late."})
    assert response.status_code == 409
    assert "15 minutes" in response.text
    session.refresh(comment)
    assert comment.body == "First wording."


def test_only_the_author_may_edit_or_withdraw(client, session, version, author):
    send(client, version, "Mine.")
    comment = session.scalar(select(Comment))
    login(client, make_user(session))
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403
    assert client.post(f"/comments/{comment.id}/edit", data={"body": "Not mine."}).status_code == 403
    assert client.get(f"/comments/{comment.id}/withdraw").status_code == 403
    assert client.post(f"/comments/{comment.id}/withdraw").status_code == 403
    session.refresh(comment)
    assert (comment.body, comment.state) == ("Mine.", "published")


def test_withdraw_leaves_a_tombstone_and_the_replies(client, session, version, author):
    send(client, version, "I will take this back.")
    comment = session.scalar(select(Comment))
    other = make_user(session, display_name="Replier")
    login(client, other)
    client.post(f"/comments/{comment.id}/reply", data=reply_data("A reply that stays."))
    login(client, author)
    assert "This cannot be undone" in client.get(f"/comments/{comment.id}/withdraw").text
    response = client.post(f"/comments/{comment.id}/withdraw")
    assert response.status_code == 303
    session.refresh(comment)
    assert comment.state == CommentState.WITHDRAWN.value
    assert comment.body == ""
    assert comment.body_html == ""
    assert comment.withdrawn_at is not None
    assert clause(session, version).comment_count == 1  # the reply
    client.post("/logout")
    page = client.get(f"{POLICY}/sections/purpose")
    assert "Withdrawn by its author." in page.text
    assert "I will take this back." not in page.text
    assert "A reply that stays." in page.text
    assert client.post(f"/comments/{comment.id}/withdraw").status_code in (302, 303)  # anonymous → sign in


# --- receipts ----------------------------------------------------------------------------------------


def test_receipt_lookup_finds_published_comments_by_number(client, session, version, author):
    send(client, version, "Find me later.")
    comment = session.scalar(select(Comment))
    client.post("/logout")
    assert client.get("/receipts").status_code == 200
    typed = comment.tracking_number.lower().replace("-", " ")
    found = client.get("/receipts", query_string={"number": typed})
    assert found.status_code == 302
    assert found.location.endswith(f"/receipts/{comment.tracking_number}")
    receipt = client.get(found.location)
    assert "Find me later." in receipt.text
    assert "Read aloud as:" in receipt.text
    missing = client.get("/receipts", query_string={"number": "KR-AAAA-AAAA"})
    assert missing.status_code == 404
    assert "could not find a receipt" in missing.text
    nonsense = client.get("/receipts", query_string={"number": "1 OR 1=1"})
    assert nonsense.status_code == 404
    assert client.get("/receipts/KR-AAAA-AAAA").status_code == 404


def test_held_receipts_are_for_their_author_and_staff_only(client, session):
    version = make_version(session, policy_slug="held-policy", moderation="pre")
    user = make_user(session)
    login(client, user)
    response = send(client, version, "Held for now.")
    number = session.scalar(select(Comment)).tracking_number
    assert client.get(response.location).status_code == 200
    login(client, make_user(session))
    assert client.get(f"/receipts/{number}").status_code == 404
    assert client.get("/receipts", query_string={"number": number}).status_code == 404
    client.post("/logout")
    assert client.get(f"/receipts/{number}").status_code == 404
    login(client, make_user(session, role="reviewer"))
    assert client.get(f"/receipts/{number}").status_code == 200


# --- listing -----------------------------------------------------------------------------------------


def _bulk(session, version: Version, key: str, count: int, **kw) -> list[Comment]:
    target = clause(session, version, key)
    rows = [
        Comment(
            version_id=version.id,
            clause_id=target.id,
            body=f"Comment number {n} on {key}",
            body_html=f"<p>Comment number {n} on {key}</p>",
            fingerprint_hash=f"{key}-{n}".ljust(64, "0")[:64],
            **kw,
        )
        for n in range(count)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def test_section_page_shows_five_per_clause_and_links_older_comments_by_id(client, session, version):
    rows = _bulk(session, version, "purpose-1", 12)
    page = client.get(f"{POLICY}/sections/purpose")
    shown = re.findall(r"Comment number (\d+) on purpose-1", page.text)
    assert shown == ["11", "10", "9", "8", "7"]
    older = f"{POLICY}/clauses/purpose-1/comments?before={rows[7].id}"
    assert f'href="{older}"' in page.text
    second = client.get(older)
    assert re.findall(r"Comment number (\d+) on purpose-1", second.text) == [str(n) for n in range(6, -1, -1)]
    assert "Older comments" not in second.text.split("</ol>")[-1]


def test_clause_page_pages_by_twenty_with_keyset_links(client, session, version):
    rows = _bulk(session, version, "purpose-1", 45)
    first = client.get(f"{POLICY}/clauses/purpose-1/comments")
    assert len(re.findall(r"Comment number \d+ on", first.text)) == 20
    link = re.search(r'href="([^"]+before=(\d+))"', first.text)
    assert int(link.group(2)) == rows[25].id
    second = client.get(link.group(1).replace("&amp;", "&"))
    numbers = re.findall(r"Comment number (\d+) on", second.text)
    assert numbers[0] == "24"
    assert len(numbers) == 20
    assert client.get(f"{POLICY}/clauses/purpose-1/comments?before=1%20OR%201=1").status_code == 400
    assert client.get(f"{POLICY}/clauses/no-such/comments").status_code == 404


def test_section_page_queries_do_not_grow_with_comments(client, session, version):
    def count_queries() -> int:
        statements: list[str] = []

        def record(*args, **kwargs):
            statements.append(args[2])

        engine = db.session.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get(f"{POLICY}/sections/purpose").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(statements)

    _bulk(session, version, "purpose-1", 1)
    few = count_queries()
    for key in ("purpose-1", "purpose-2"):
        parents = _bulk(session, version, key, 9)
        for parent in parents[:4]:
            reply = _bulk(session, version, key, 2)
            for row in reply:
                row.parent_id = parent.id
    session.flush()
    many = count_queries()
    assert many == few


# --- the request boundary and the one error handler ---------------------------------------------------


def test_a_refusal_after_the_comment_was_written_leaves_nothing_and_shows_the_form(
    client, session, version, author, monkeypatch
):
    """The view neither commits nor rolls back: the boundary undoes the flushed row, the form comes back."""
    from app.comments import services as use_cases

    store = use_cases._store

    def refuse(session, comment, author, form_token):
        store(session, comment, author, form_token)
        assert comment.id is not None  # the comment row was written (flushed) before the refusal
        raise CommentInputError("Refused after the comment was written.", field="body")

    monkeypatch.setattr(use_cases, "_store", refuse)
    response = send(client, version, "A comment that will be undone.")
    assert response.status_code == 422
    assert "Refused after the comment was written." in response.text
    assert "There is a problem" in response.text
    assert "A comment that will be undone.</textarea>" in response.text  # the text is kept to send again
    assert 'name="shown_at"' in response.text  # with a fresh time stamp
    assert comment_count(session) == 0
    assert clause(session, version).comment_count == 0


def test_a_refusal_that_is_not_about_the_text_gets_its_own_page(client, session, version, author):
    _set_period(
        session, version, dt.datetime(2018, 1, 1, tzinfo=dt.UTC), dt.datetime(2018, 2, 1, tzinfo=dt.UTC)
    )
    response = send(client, version, "Too late for this one.")
    assert response.status_code == 409
    assert "That could not be done" in response.text
    assert "<textarea" not in response.text
    assert comment_count(session) == 0


def test_comment_refusals_are_problem_json_for_json_clients(client, session, version, author):
    response = client.post(
        form_url(version),
        data={"body": "", "display_as": "name", "shown_at": stamp(), "website": ""},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["field"] == "body"
    assert response.json["title"] == "Enter your comment."
    assert comment_count(session) == 0


def test_comment_errors_share_the_one_error_root():
    from app.comments import antibot, errors, tracking
    from app.exceptions import ConflictError, NotFoundError, PermissionDeniedError

    assert issubclass(errors.CommentInputError, InputError)
    assert issubclass(antibot.AutomatedPostError, InputError)
    assert issubclass(antibot.UnreadableFormError, InputError)
    for conflict in (
        errors.CommentingClosedError,
        errors.DuplicateCommentError,
        errors.EditWindowClosedError,
        errors.CommentStateError,
    ):
        assert issubclass(conflict, ConflictError)
    assert issubclass(errors.NotAuthorError, PermissionDeniedError)
    assert issubclass(tracking.ReceiptNotFoundError, NotFoundError)
    assert errors.DuplicateCommentError.template == "comments/refused.html"


def test_anti_bot_checks_refuse_with_input_errors(app):
    from app.comments import antibot

    with app.test_request_context():
        with pytest.raises(antibot.AutomatedPostError, match="faster than a person can type"):
            antibot.check(antibot.Submission(honeypot="http://spam.example", shown_at=stamp()))
        with pytest.raises(antibot.AutomatedPostError):
            antibot.check(antibot.Submission(honeypot="", shown_at=sign_shown_at()))
        with pytest.raises(antibot.UnreadableFormError, match="not sent as valid UTF-8"):
            antibot.check(antibot.Submission(honeypot="", shown_at=stamp(), readable=False))
        antibot.check(antibot.Submission(honeypot="", shown_at=stamp()))


# --- one author label --------------------------------------------------------------------------------


def test_the_site_and_the_pdfs_label_an_anonymous_author_the_same(client, session, version, author):
    from app.comments.presenters import author_label
    from app.pdf.services import _author

    assert send(client, version, "Keep my name off this.", display_as="anonymous").status_code == 303
    assert send(client, version, "This one has my name.", clause_key="purpose-2").status_code == 303
    anonymous, named = session.scalars(select(Comment).order_by(Comment.id)).all()
    assert author_label(anonymous) == "Anonymous member of the public"
    assert author_label(named) == "Aroha Ngata"
    for comment in (anonymous, named):
        assert _author(comment, staff=False) == (author_label(comment), None)
    assert _author(anonymous, staff=True) == ("Aroha Ngata (shown publicly as anonymous)", author.email)


def test_a_retried_post_with_the_same_form_token_makes_no_second_comment(client, session, version, author):
    token = "retry-token-0123456789abcdef"
    first = send(client, version, "A comment my browser sent twice.", form_token=token)
    again = send(client, version, "A comment my browser sent twice.", form_token=token)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]  # the same receipt
    assert comment_count(session) == 1
    assert clause(session, version).comment_count == 1
    other = send(
        client, version, "A different comment from a fresh form.", form_token="another-token-0123456789"
    )
    assert other.status_code == 303
    assert comment_count(session) == 2


def test_the_comment_form_carries_a_fresh_form_token(client, version, author):
    pages = [client.get(form_url(version)).text for _ in range(2)]
    tokens = [re.search(r'name="form_token" type="hidden" value="([^"]+)"', page) for page in pages]
    assert all(tokens), "the form has no form_token field"
    assert tokens[0].group(1) != tokens[1].group(1)
