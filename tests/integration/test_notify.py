"""Email notifications: queued in the request, sent by the worker; settings, follows, digests, unsubscribe."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete, func, select

from app.drafting import services as drafting
from app.models import (
    NotificationSettings,
    OutboxMessage,
    OutboxStatus,
    Policy,
    PolicyFollow,
    Role,
)
from app.moderation import services as moderation
from app.notify import queue, services, tokens
from app.notify.letters import queue_digests
from app.privacy.services import delete_account, export_account
from app.responses import services as responses
from tests.factories import PASSWORD, login, make_comment, make_user, make_version
from tests.integration.test_comments import send
from tests.support.mail import Outbox


@pytest.fixture
def outbox(app) -> Outbox:
    return Outbox(Path(app.instance_path) / "outbox")


@pytest.fixture(autouse=True)
def empty_queue(session) -> None:
    """Start from an empty outbox: tests that run a real server on this database may have left rows (removed
    inside this test's rolled-back transaction only)."""
    session.execute(delete(OutboxMessage))
    session.flush()


def pending(session) -> int:
    return session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING.value)
    )


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def publish_next(session, policy: Policy, label: str = "Second draft"):
    drafter = make_user(session, role=Role.DRAFTER.value)
    working = drafting.start_working_version(session, policy, label, drafter)
    session.commit()
    session.expire_all()  # as a new request would start: the working copy's sections are not loaded
    drafting.publish_version(session, working, drafter)
    return working


# --- never in the request -------------------------------------------------------------------------------------


def test_a_comment_queues_its_receipt_and_the_worker_sends_it(client, session, outbox):
    user = make_user(session)
    version = make_version(session)
    session.commit()
    login(client, user)
    response = send(client, version, "Please say who may see the records.")
    assert response.status_code == 303
    assert outbox.messages() == []  # nothing is sent in the request
    assert pending(session) == 1
    assert outbox.deliver() == 1
    (message,) = outbox.messages(user.email)
    text = outbox.text(message)
    assert "Please say who may see the records." in text
    assert "KR-" in message["Subject"]
    assert "<p>" in outbox.html(message)
    # RFC 8058: a one-click unsubscribe link and the POST marker, the link built from the public URL.
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].strip().startswith("<http://korero.test/unsubscribe/")
    assert pending(session) == 0
    assert outbox.deliver() == 0  # a row is sent once


def test_a_rolled_back_request_queues_nothing(client, session, outbox):
    user = make_user(session)
    version = make_version(session, open_for_comment=False)
    session.commit()
    login(client, user)
    response = send(client, version, "Too late for this one.")
    assert response.status_code >= 400
    assert pending(session) == 0


def test_receipts_follow_the_setting(session, outbox):
    user = make_user(session)
    version = make_version(session)
    services.save_settings(session, user, set(), digest=False, locale="en")
    make_comment(session, user, version)
    outbox.deliver()
    assert outbox.messages(user.email) == []


def test_a_reply_tells_the_author_of_the_comment_it_answers(session, outbox):
    author, other = make_user(session), make_user(session)
    version = make_version(session)
    parent = make_comment(session, author, version)
    make_comment(
        session, other, version, body="I agree, and records should be kept short.", parent_id=parent.id
    )
    outbox.deliver()
    subjects = [m["Subject"] for m in outbox.messages(author.email)]
    assert any("reply" in s.lower() for s in subjects)
    (reply_mail,) = [m for m in outbox.messages(author.email) if "reply" in m["Subject"].lower()]
    assert "records should be kept short" in outbox.text(reply_mail)
    # The replier gets their own receipt, not the reply note.
    assert all("reply" not in m["Subject"].lower() for m in outbox.messages(other.email))


def test_a_drafters_response_and_a_moderation_decision_reach_the_author(session, outbox):
    author = make_user(session)
    drafter = make_user(session, role=Role.DRAFTER.value)
    moderator = make_user(session, role=Role.MODERATOR.value)
    version = make_version(session)
    comment = make_comment(session, author, version)
    responses.respond(session, drafter, comment, "accepted", "We added a line on consent.", None, "")
    moderation.hide_comment(session, moderator, comment, "It named a private person.")
    outbox.deliver()
    texts = {m["Subject"]: outbox.text(m) for m in outbox.messages(author.email)}
    assert any("We added a line on consent." in t for t in texts.values())
    assert any("It named a private person." in t for t in texts.values())


def test_a_new_version_reaches_followers_and_only_them(session, outbox):
    follower, stranger = make_user(session), make_user(session)
    version = make_version(session)
    services.follow_policy(session, follower, version.policy, "en")
    publish_next(session, version.policy)
    outbox.deliver()
    (note,) = [m for m in outbox.messages(follower.email) if "New version" in m["Subject"]]
    assert "Second draft" in outbox.text(note)
    assert outbox.messages(stranger.email) == []


def test_closing_reminders_are_queued_once_however_often_the_job_runs(session, outbox, runner):
    follower = make_user(session)
    version = make_version(session)
    services.follow_policy(session, follower, version.policy, "en")
    version.comments_close_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    session.flush()
    assert services.queue_closing_reminders(session) == 1
    assert services.queue_closing_reminders(session) == 0
    session.commit()
    assert "0 reminder(s) queued" in runner.invoke(args=["notify", "closing"]).output
    outbox.deliver()
    (reminder,) = outbox.messages(follower.email)
    assert "3 days" in reminder["Subject"]
    assert "New Zealand time" in outbox.text(reminder)


def test_a_version_closing_later_gets_no_reminder_yet(session):
    version = make_version(session)  # closes in 30 days
    assert version.comments_close_at is not None
    assert services.queue_closing_reminders(session) == 0


def test_a_daily_digest_gathers_what_would_have_been_separate_emails(session, outbox):
    author, other = make_user(session), make_user(session)
    services.save_settings(session, author, {"receipt", "reply", "response"}, digest=True, locale="en")
    version = make_version(session)
    parent = make_comment(session, author, version)
    make_comment(session, other, version, body="A first reply.", parent_id=parent.id)
    make_comment(session, other, version, body="A second reply.", parent_id=parent.id)
    outbox.deliver()
    mine = outbox.messages(author.email)
    assert [m["Subject"] for m in mine if "reply" in m["Subject"].lower()] == []  # held for the digest
    assert len(mine) == 1  # the receipt still comes at once
    assert queue_digests(session) == 1
    assert queue_digests(session) == 0  # items go into one digest only
    outbox.deliver()
    (digest,) = [m for m in outbox.messages(author.email) if "digest" in m["Subject"].lower()]
    assert outbox.text(digest).count("A reply to your comment") == 2
    assert digest["List-Unsubscribe"]


def test_mail_is_in_the_readers_language(session, outbox):
    user = make_user(session)
    services.save_settings(session, user, {"receipt"}, digest=False, locale="mi")
    version = make_version(session)
    make_comment(session, user, version)
    outbox.deliver()
    (message,) = outbox.messages(user.email)
    assert message["Content-Language"] == "mi"
    assert 'lang="mi"' in outbox.html(message)


# --- following ------------------------------------------------------------------------------------------------


def test_following_and_unfollowing_from_an_account(client, session):
    user = make_user(session)
    version = make_version(session)
    session.commit()
    login(client, user)
    slug = version.policy.slug
    assert client.post(f"/policies/{slug}/follow").status_code == 302
    assert client.post(f"/policies/{slug}/follow").status_code == 302  # twice is once
    assert session.scalar(select(func.count()).select_from(PolicyFollow)) == 1
    assert "You follow this policy." in client.get(f"/policies/{slug}/follow").text
    assert "Test Policy" in client.get("/account").text
    assert client.post(f"/policies/{slug}/unfollow").status_code == 302
    assert session.scalar(select(func.count()).select_from(PolicyFollow)) == 0


def test_following_by_email_is_double_opt_in(client, session, outbox):
    version = make_version(session)
    session.commit()
    slug = version.policy.slug
    answer = client.post(f"/policies/{slug}/follow", data={"email": "reader@example.org"})
    assert answer.status_code == 200
    assert "Check your email" in answer.text
    publish_next(session, version.policy)
    outbox.deliver()
    (confirm,) = outbox.messages("reader@example.org")  # the link only: no news before confirming
    assert "Confirm" in confirm["Subject"]
    link = path_of(outbox.links(confirm)[0])
    page = client.get(link)
    assert page.status_code == 200
    assert "Yes, follow this policy" in page.text
    follow = session.scalar(select(PolicyFollow))
    assert follow.confirmed_at is None  # opening the link (a mail scanner may) confirms nothing
    assert client.post(link).status_code == 200
    session.refresh(follow)
    assert follow.confirmed_at is not None
    publish_next(session, version.policy, "Third draft")
    outbox.deliver()
    assert any("Third draft" in m["Subject"] for m in outbox.messages("reader@example.org"))


def test_following_by_email_answers_the_same_for_an_address_that_already_follows(client, session, outbox):
    version = make_version(session)
    session.commit()
    slug = version.policy.slug
    first = client.post(f"/policies/{slug}/follow", data={"email": "Reader@Example.org"})
    second = client.post(f"/policies/{slug}/follow", data={"email": "reader@example.org"})
    assert first.status_code == second.status_code == 200
    assert session.scalar(select(func.count()).select_from(PolicyFollow)) == 1


@pytest.mark.parametrize("address", ["", "not an address", "a@b", "x" * 300 + "@example.org"])
def test_following_by_email_refuses_a_bad_address_clearly(client, session, address):
    version = make_version(session)
    session.commit()
    answer = client.post(f"/policies/{version.policy.slug}/follow", data={"email": address})
    assert answer.status_code == 422
    assert "email address" in answer.text
    assert session.scalar(select(func.count()).select_from(PolicyFollow)) == 0


@pytest.mark.parametrize("token", ["nonsense", "eyJmIjoxfQ.forged"])
def test_a_bad_confirmation_or_unsubscribe_link_says_so(client, token):
    for path in (f"/follow/confirm/{token}", f"/unsubscribe/{token}"):
        answer = client.get(path)
        assert answer.status_code == 400
        assert "This link cannot be used" in answer.text
    assert client.post(f"/unsubscribe/{token}").status_code == 400


# --- unsubscribing --------------------------------------------------------------------------------------------


def test_one_click_unsubscribe_from_a_mail_client(app, client, session, outbox):
    """RFC 8058: the client POSTs List-Unsubscribe=One-Click, with no cookie and no CSRF token."""
    user = make_user(session)
    version = make_version(session)
    make_comment(session, user, version)
    outbox.deliver()
    (receipt,) = outbox.messages(user.email)
    url = receipt["List-Unsubscribe"].strip().strip("<>")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        answer = client.post(path_of(url), data={"List-Unsubscribe": "One-Click"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert answer.status_code == 204
    assert session.get(NotificationSettings, user.id).receipt is False
    assert session.get(NotificationSettings, user.id).reply is True  # only what the link named
    # Again: still fine, nothing more changes.
    assert client.post(path_of(url), data={"List-Unsubscribe": "One-Click"}).status_code == 204


def test_the_unsubscribe_link_in_a_follow_email_stops_that_follow(client, session, outbox):
    follower = make_user(session)
    version = make_version(session)
    services.follow_policy(session, follower, version.policy, "en")
    publish_next(session, version.policy)
    outbox.deliver()
    (note,) = [m for m in outbox.messages(follower.email) if "New version" in m["Subject"]]
    path = path_of(note["List-Unsubscribe"].strip().strip("<>"))
    page = client.get(path)
    assert "Stop emails about Test Policy?" in page.text
    assert session.scalar(select(func.count()).select_from(PolicyFollow)) == 1  # opening it changes nothing
    done = client.post(path)
    assert done.status_code == 200
    assert "You are unsubscribed" in done.text
    assert session.scalar(select(func.count()).select_from(PolicyFollow)) == 0


def test_unsubscribe_tokens_cannot_be_altered():
    token = tokens.make_unsubscribe_token("k", tokens.Unsubscribe(user_id=1, kind="reply"))
    assert tokens.read_unsubscribe_token("k", token) == tokens.Unsubscribe(user_id=1, kind="reply")
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_unsubscribe_token("other key", token)
    with pytest.raises(tokens.TokenInvalid):
        tokens.read_unsubscribe_token("k", token[:-2] + "xx")


# --- settings on the account page -----------------------------------------------------------------------------


def test_the_account_page_saves_each_setting(client, session):
    user = make_user(session)
    session.commit()
    login(client, user)
    page = client.get("/account")
    for label in ("A receipt for every comment I send", "Someone replies to my comment", "one daily digest"):
        assert label in page.text
    assert client.post("/account/notifications", data={"reply": "y", "digest": "y"}).status_code == 302
    settings = session.get(NotificationSettings, user.id)
    assert (settings.receipt, settings.reply, settings.closing, settings.digest) == (False, True, False, True)


# --- privacy --------------------------------------------------------------------------------------------------


def test_export_and_delete_cover_follows_and_settings(session):
    user = make_user(session)
    version = make_version(session)
    services.follow_policy(session, user, version.policy, "en")
    services.follow_by_email(session, version.policy, user.email, "en")  # a follow made before signing in
    services.save_settings(session, user, {"reply"}, digest=True, locale="en")
    exported = export_account(session, user)
    assert exported["notifications"]["settings"]["daily_digest"] is True
    assert len(exported["notifications"]["follows"]) == 2
    delete_account(session, user, PASSWORD, "remove")
    assert session.scalar(select(func.count()).select_from(PolicyFollow)) == 0
    assert session.scalar(select(func.count()).select_from(NotificationSettings)) == 0


# --- the worker -----------------------------------------------------------------------------------------------


def test_a_failed_send_is_retried_then_given_up(session, monkeypatch):
    user = make_user(session)
    version = make_version(session)
    make_comment(session, user, version)
    calls = []

    def broken(self, message):
        calls.append(message)
        raise OSError("connection refused")

    monkeypatch.setattr("app.mail.Postman.send", broken)
    for _ in range(queue.MAX_ATTEMPTS):
        queue.drain()
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "receipt"))
    session.refresh(row)
    assert row.status == OutboxStatus.FAILED.value
    assert "connection refused" in row.error
    assert len(calls) == queue.MAX_ATTEMPTS


def test_the_cli_worker_drains_the_outbox(session, runner, outbox):
    user = make_user(session)
    version = make_version(session)
    make_comment(session, user, version)
    session.commit()
    result = runner.invoke(args=["notify", "work", "--once"])
    assert "1 message(s) sent." in result.output
    assert len(outbox.messages(user.email)) == 1


def test_with_redis_a_committed_row_goes_to_rq_and_an_rq_worker_sends_it(app, session, outbox, monkeypatch):
    import redis
    from rq import Queue, SimpleWorker

    url = "redis://127.0.0.1:6379/13"  # this feature's own Redis database
    connection = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        connection.flushdb()
    except redis.RedisError as error:
        pytest.skip(f"no Redis on 127.0.0.1:6379: {error}")
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    monkeypatch.setattr(queue, "_rq_app", app)  # the RQ job runs in this app (and this test's transaction)
    user = make_user(session)
    version = make_version(session)
    make_comment(session, user, version)
    rq_queue = Queue(queue.RQ_QUEUE, connection=connection)
    assert rq_queue.count == 0  # nothing is pushed before the transaction commits
    session.commit()
    assert rq_queue.count == 1
    assert outbox.messages(user.email) == []
    SimpleWorker([rq_queue], connection=connection).work(burst=True)
    assert len(outbox.messages(user.email)) == 1
    assert pending(session) == 0
    connection.flushdb()


def test_with_redis_down_the_row_waits_for_the_outbox_worker(app, session, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    user = make_user(session)
    version = make_version(session)
    make_comment(session, user, version)
    session.commit()  # the push fails and is logged; the row is committed
    assert pending(session) == 1
    assert outbox.deliver() == 1


def test_sent_rows_are_pruned_after_a_week(session):
    user = make_user(session)
    version = make_version(session)
    make_comment(session, user, version)
    queue.drain()
    assert queue.prune() == 0  # sent just now: kept
    later = dt.datetime.now(dt.UTC) + queue.KEEP_DONE + dt.timedelta(hours=1)
    assert queue.prune(later) == 1
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_broken_connection_is_dropped_so_the_next_message_reconnects(app, monkeypatch):
    import smtplib

    from app.mail import Postman

    connections = []

    class Flaky:
        def __init__(self, *args, **kwargs):
            connections.append(self)
            self.sent = 0

        def send_message(self, message):
            if len(connections) == 1:
                raise smtplib.SMTPDataError(451, b"try again")
            self.sent += 1

        def quit(self):
            pass

    monkeypatch.setattr(smtplib, "SMTP", Flaky)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.invalid")
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    from email.message import EmailMessage

    with Postman() as postman:
        with pytest.raises(smtplib.SMTPDataError):
            postman.send(EmailMessage())
        postman.send(EmailMessage())
    assert len(connections) == 2
    assert connections[1].sent == 1


def test_registering_queues_the_confirmation_instead_of_sending_it(client, session, outbox):
    answer = client.post(
        "/register", data={"email": "new@example.org", "display_name": "Aroha", "password": PASSWORD}
    )
    assert answer.status_code == 302
    assert outbox.messages() == []
    assert session.scalar(select(OutboxMessage.kind)) == "confirm_email"
    outbox.deliver()
    (confirm,) = outbox.messages("new@example.org")
    assert "/verify-email/" in outbox.text(confirm)
    assert "/verify-email/" in outbox.html(confirm)
