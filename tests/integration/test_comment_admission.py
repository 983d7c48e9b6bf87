"""Surviving a burst of writers: the bounded queue for comment stores, the "we have your comment" receipt, and
the settle backlog watched (app/comments/admission.py, app/comments/jobs.py, app/observability.py)."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time

import pytest
from sqlalchemy import func, select, update

from app.api import tokens
from app.comments import admission, jobs, services
from app.comments.admission import GateRefusal, WriterGate
from app.models import Clause, Comment, IdempotencyRecord
from tests.factories import login, make_user, make_version
from tests.integration.test_comments import comment_count, send, stamp
from tests.integration.test_observability import broken_app, sample  # noqa: F401 - broken_app is a fixture

TOKEN = "burst-token-0123456789abcdef"


@pytest.fixture
def version(session):
    return make_version(session)


@pytest.fixture
def author(session, client):
    user = make_user(session, display_name="Mere Tāwhai")
    assert login(client, user).status_code in (302, 303)
    return user


@pytest.fixture
def tiny_gate(app, monkeypatch):
    """One turn, one place in line, a fifth of a second's wait: the test holds the turn to make a burst."""
    gate = WriterGate(writers=1, queue=1, wait=0.2)
    monkeypatch.setitem(app.extensions, admission.GATE_EXTENSION, gate)
    return gate


def metrics(client) -> str:
    return client.get("/metrics").text


# --- the gate on its own ---------------------------------------------------------------------------------


def test_a_writer_waits_for_a_turn_and_gets_it_when_one_is_given_back():
    gate = WriterGate(writers=1, queue=4, wait=5)
    assert gate.acquire() == 0.0  # a free turn: no wait
    waited: list[float] = []
    writer = threading.Thread(target=lambda: waited.append(gate.acquire()))
    writer.start()
    deadline = time.monotonic() + 5
    while gate.waiting == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gate.waiting == 1
    time.sleep(0.15)
    gate.release()
    writer.join(5)
    assert len(waited) == 1
    assert waited[0] >= 0.15
    assert gate.waiting == 0
    gate.release()


def test_a_full_line_is_refused_at_once_and_a_long_wait_runs_out():
    gate = WriterGate(writers=2, queue=1, wait=0.3)
    gate.acquire()
    gate.acquire()  # both turns taken
    outcomes: list[object] = []

    def wait_in_line() -> None:
        try:
            outcomes.append(gate.acquire())
        except GateRefusal as refusal:
            outcomes.append(refusal)

    first = threading.Thread(target=wait_in_line)
    first.start()
    deadline = time.monotonic() + 5
    while gate.waiting == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(GateRefusal) as full:
        gate.acquire()  # the one place in line is taken
    assert full.value.reason == "queue-full"
    assert time.monotonic() - started < 0.2  # refused without waiting
    first.join(5)
    (refused,) = outcomes
    assert isinstance(refused, GateRefusal)
    assert refused.reason == "wait-over"
    assert refused.waited >= 0.3
    gate.release()
    gate.release()
    assert gate.acquire() == 0.0  # every turn came back


# --- the comment form under a burst ----------------------------------------------------------------------


def test_a_writer_who_gets_no_turn_is_told_nothing_was_stored_and_keeps_their_words(
    client, session, version, author, tiny_gate
):
    refused_before = sample(metrics(client), "korero_comment_admission_refused_total", reason="wait-over")
    tiny_gate.acquire()  # another writer holds the only turn
    try:
        started = time.monotonic()
        response = send(client, version, "Please keep the consent clause as it is.", form_token=TOKEN)
        waited = time.monotonic() - started
    finally:
        tiny_gate.release()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(admission.RETRY_AFTER_SECONDS)
    assert waited >= 0.2  # it waited its turn before giving up
    assert "We have not stored your comment yet" in response.text
    assert "Please keep the consent clause as it is.</textarea>" in response.text  # the words, to send again
    assert re.search(rf'name="form_token" type="hidden" value="{TOKEN}"', response.text)  # the same token
    assert comment_count(session) == 0
    after = metrics(client)
    assert sample(after, "korero_comment_admission_refused_total", reason="wait-over") == refused_before + 1
    assert sample(after, "korero_comment_admission_wait_seconds_count", outcome="refused") >= 1

    # Sent again once the burst has passed: exactly one comment, and a retry of that makes no second.
    again = send(client, version, "Please keep the consent clause as it is.", form_token=TOKEN)
    assert again.status_code == 303
    once_more = send(client, version, "Please keep the consent clause as it is.", form_token=TOKEN)
    assert once_more.headers["Location"] == again.headers["Location"]
    assert comment_count(session) == 1
    assert tiny_gate.acquire() == 0.0  # the requests gave their turns back
    tiny_gate.release()


def test_a_writer_who_waits_a_little_is_stored(client, session, version, author, app, monkeypatch):
    gate = WriterGate(writers=1, queue=1, wait=5)
    monkeypatch.setitem(app.extensions, admission.GATE_EXTENSION, gate)
    before = sample(metrics(client), "korero_comment_admission_wait_seconds_count", outcome="admitted")
    gate.acquire()
    releaser = threading.Timer(0.2, gate.release)
    releaser.start()
    try:
        response = send(client, version, "Worth the short wait.", form_token=TOKEN)
    finally:
        releaser.join()
    assert response.status_code == 303
    assert comment_count(session) == 1
    assert (
        sample(metrics(client), "korero_comment_admission_wait_seconds_count", outcome="admitted")
        == before + 1
    )


def test_a_reply_without_a_turn_is_refused_the_same_way(client, session, version, author, tiny_gate):
    assert send(client, version, "The comment to answer.").status_code == 303
    parent = session.scalar(select(Comment))
    tiny_gate.acquire()
    try:
        response = client.post(
            f"/comments/{parent.id}/reply",
            data={"body": "My answer to it.", "display_as": "name", "shown_at": stamp(), "form_token": TOKEN},
        )
    finally:
        tiny_gate.release()
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "My answer to it.</textarea>" in response.text
    assert comment_count(session) == 1


def test_the_api_answers_503_problem_json_and_a_resend_with_the_same_key_makes_one(
    client, session, version, tiny_gate
):
    _token, raw = tokens.create_token(session, make_user(session), "burst", [tokens.COMMENTS_WRITE])
    url = f"/api/v1/policies/{version.policy.slug}/versions/{version.slug}/comments"
    headers = {"Authorization": f"Bearer {raw}", "Idempotency-Key": "burst-1"}
    payload = {"clause_key": "purpose-1", "body": "Sent during the rush."}
    tiny_gate.acquire()
    try:
        refused = client.post(url, json=payload, headers=headers)
    finally:
        tiny_gate.release()
    assert refused.status_code == 503
    assert refused.mimetype == "application/problem+json"
    assert refused.headers["Retry-After"] == str(admission.RETRY_AFTER_SECONDS)
    assert refused.get_json()["type"].endswith("/comment-writers-busy")
    assert "Idempotency-Key" in refused.get_json()["title"]
    assert comment_count(session) == 0
    assert session.scalar(select(func.count(IdempotencyRecord.id))) == 0  # the key is still unused
    made = client.post(url, json=payload, headers=headers)
    replayed = client.post(url, json=payload, headers=headers)
    assert (made.status_code, replayed.status_code) == (201, 201)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert comment_count(session) == 1


# --- "we have your comment" -----------------------------------------------------------------------------


def test_a_comment_not_yet_settled_gets_a_plain_we_have_your_comment_receipt(
    client, session, version, author, monkeypatch
):
    monkeypatch.setattr(jobs, "dispatch", lambda app, comment_id: None)  # the settle queue is far behind
    response = send(client, version, "Stored now, counted later.", form_token=TOKEN)
    assert response.status_code == 303
    comment = session.scalar(select(Comment))
    assert comment.processed is False
    page = client.get(response.headers["Location"]).text
    assert (
        f"We have your comment: it is stored safely under tracking number {comment.tracking_number}" in page
    )
    assert "It may take a few minutes to show on the page and in the counts" in page
    assert "You do not need to send it again." in page
    assert "Stored safely, and published" in page
    assert "Your comment has been published" not in page
    api = client.get(f"/api/v1/comments/{comment.tracking_number}").get_json()
    assert api["settled"] is False

    assert jobs.run_settle(client.application, comment.id)
    settled = client.get(response.headers["Location"]).text
    assert "We have your comment" not in settled  # settled: the normal receipt, and no thanks a second time
    assert "Published: everyone can read it." in settled
    assert client.get(f"/api/v1/comments/{comment.tracking_number}").get_json()["settled"] is True


def test_a_settled_comment_gets_the_normal_thanks_once(client, session, version, author):
    response = send(client, version, "Settled as it was committed.")
    page = client.get(response.headers["Location"]).text
    assert "Thank you. Your comment has been published." in page
    assert "We have your comment" not in page
    assert "Thank you." not in client.get(response.headers["Location"]).text


# --- the settle backlog ----------------------------------------------------------------------------------


def _unsettled(session, version, count: int, minutes_ago: float) -> list[Comment]:
    clause = session.scalar(select(Clause).where(Clause.version_id == version.id).order_by(Clause.id))
    user = make_user(session)
    made = [
        services.accept_comment(session, user, clause, f"Backlog comment number {n}.") for n in range(count)
    ]
    session.flush()
    sent = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    session.execute(
        update(Comment).where(Comment.id.in_([c.id for c in made])).values(created_at=sent),
        execution_options={"synchronize_session": False},
    )
    return made


def test_the_backlog_counts_unsettled_comments_up_to_its_limit_and_ages_the_oldest(session, version):
    assert jobs.backlog(session).count == 0
    assert jobs.backlog(session).oldest_age() == 0.0
    _unsettled(session, version, 3, minutes_ago=10)
    found = jobs.backlog(session)
    assert (found.count, found.capped) == (3, False)
    assert 590 <= found.oldest_age() <= 700
    capped = jobs.backlog(session, limit=2)
    assert (capped.count, capped.capped) == (2, True)


def test_the_backlog_gauges_are_read_at_scrape_time(client, session, version):
    text = metrics(client)
    assert sample(text, "korero_comments_unsettled") == 0
    assert "korero_comments_unsettled_oldest_age_seconds 0.0" in text
    _unsettled(session, version, 2, minutes_ago=5)
    text = metrics(client)
    assert sample(text, "korero_comments_unsettled") == 2
    assert 290 <= sample(text, "korero_comments_unsettled_oldest_age_seconds") <= 400


def test_readyz_reports_the_backlog_and_stays_ready(client, session, version):
    _unsettled(session, version, 1, minutes_ago=60)
    response = client.get("/readyz")
    assert response.status_code == 200
    report = response.get_json()["settle_backlog"]
    assert report["unsettled"] == 1
    assert report["at_least"] is False
    assert report["oldest_age_seconds"] >= 3500


def test_the_database_away_leaves_the_gauges_out_and_the_scrape_up(broken_app):  # noqa: F811
    response = broken_app.test_client().get("/metrics")
    assert response.status_code == 200
    assert "# TYPE korero_comments_unsettled gauge" in response.text
    assert "\nkorero_comments_unsettled " not in response.text  # no figure rather than a wrong one
    assert "# TYPE korero_queue_depth gauge" in response.text
    assert "settle_backlog" not in broken_app.test_client().get("/readyz").text


def test_the_backlog_command_exits_1_when_the_oldest_is_too_old(runner, session, version):
    quiet = runner.invoke(args=["comments", "backlog", "--max-age", "60"])
    assert quiet.exit_code == 0, quiet.output
    assert "unsettled comments: 0" in quiet.output
    _unsettled(session, version, 2, minutes_ago=10)
    session.commit()
    listed = runner.invoke(args=["comments", "backlog"])
    assert listed.exit_code == 0
    assert "unsettled comments: 2; oldest waiting 6" in listed.output
    late = runner.invoke(args=["comments", "backlog", "--max-age", "300"])
    assert late.exit_code == 1
    assert "rq worker korero-comments" in late.output
    assert runner.invoke(args=["comments", "backlog", "--max-age", "3600"]).exit_code == 0
    assert runner.invoke(args=["comments", "backlog", "--max-age", "-1"]).exit_code == 2  # a usage error


def test_the_backlog_command_says_when_the_database_cannot_answer(broken_app):  # noqa: F811
    result = broken_app.test_cli_runner().invoke(args=["comments", "backlog"])
    assert result.exit_code == 2
    assert "could not read the settle backlog" in result.output
