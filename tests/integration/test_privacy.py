"""The privacy notice, exporting an account's data, and deleting an account so nothing personal remains."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.comments.services import refresh_counts
from app.models import AuditEvent, Clause, Comment, CommentReport, User
from app.moderation import services as moderation
from app.privacy import services
from tests.factories import PASSWORD, login, make_comment, make_user, make_version

EMAIL = "tamati.private@example.org"
NAME = "Tamati Testperson"


@pytest.fixture
def person(session):
    """Someone who has commented (once anonymously, once replying), reported, and been suspended and back."""
    version = make_version(session)
    user = make_user(session, email=EMAIL, display_name=NAME)
    other = make_user(session)
    moderator = make_user(session, "moderator")
    first = make_comment(session, user, version, clause_key="purpose-1", body="Ask people first.")
    second = make_comment(
        session,
        user,
        version,
        clause_key="purpose-2",
        body="Say why.",
        display_as="anonymous",
        quote_exact="every agency",
        quote_prefix="applies to ",
        quote_suffix=" that",
        quote_start=12,
        quote_end=24,
    )
    reply = make_comment(
        session, user, version, clause_key="purpose-1", body="And keep asking.", parent_id=first.id
    )
    others = make_comment(
        session, other, version, clause_key="purpose-1", body="I disagree with the first comment."
    )
    refresh_counts(session, [first.clause_id, second.clause_id])
    moderation.report_comment(session, user, others, "Off topic", threshold=3)
    moderation.suspend_user(session, moderator, user, f"Spam from {NAME} <{EMAIL}>")
    moderation.unsuspend_user(session, moderator, user)
    moderation.hide_comment(session, moderator, second, "Off topic")
    moderation.restore_comment(session, moderator, second)
    session.commit()
    return SimpleNamespace(
        user=user, other=other, version=version, first=first, second=second, reply=reply, others=others
    )


def everything_in_the_database(session) -> str:
    """Every value of every row of every table, as one lower-cased string."""
    connection = session.connection()
    metadata = sa.MetaData()
    metadata.reflect(bind=connection)
    assert "users" in metadata.tables
    assert "comments" in metadata.tables
    values = []
    for table in metadata.sorted_tables:
        for row in connection.execute(sa.select(table)):
            values.extend(str(v) for v in row)
    return "\n".join(values).lower()


# --- the notice --------------------------------------------------------------------------------------------


def test_privacy_notice_is_public_and_plain(client):
    page = client.get("/privacy")
    assert page.status_code == 200
    for heading in ("What we collect", "Who sees what", "How long we keep it", "Your choices"):
        assert heading in page.text
    assert "Anonymous member of the public" in page.text
    assert 'href="/account/export"' in page.text
    assert 'href="/account/delete"' in page.text
    assert page.text.count("<h1") == 1


# --- export ------------------------------------------------------------------------------------------------


def test_export_needs_sign_in(client):
    response = client.get("/account/export")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_export_downloads_everything_but_secrets(client, session, person):
    login(client, person.user)
    response = client.get("/account/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="korero-my-data-')
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.text)
    assert data["account"]["email"] == EMAIL
    assert data["account"]["display_name"] == NAME
    assert person.user.password_hash not in response.text
    assert person.user.session_token not in response.text
    assert "password_hash" not in response.text
    assert "session_token" not in data["account"]
    by_number = {c["tracking_number"]: c for c in data["comments"]}
    assert set(by_number) == {
        person.first.tracking_number,
        person.second.tracking_number,
        person.reply.tracking_number,
    }
    second = by_number[person.second.tracking_number]
    stored = person.second  # anchored by the comments service, as a real post is
    assert second["anchor"] == {
        "exact": "every agency",
        "prefix": stored.quote_prefix,
        "suffix": stored.quote_suffix,
        "start": stored.quote_start,
        "end": stored.quote_end,
    }
    assert stored.quote_prefix.endswith("applies to ")
    assert (second["clause_key"], second["shown_as"], second["state"]) == (
        "purpose-2",
        "anonymous",
        "published",
    )
    assert by_number[person.reply.tracking_number]["in_reply_to"] == person.first.tracking_number
    assert data["reports_made"] == [
        {
            "comment": person.others.tracking_number,
            "reason": "Off topic",
            "created_at": data["reports_made"][0]["created_at"],
            "resolved_at": None,
        }
    ]
    actions = [e["action"] for e in data["audit_events"]]
    assert actions == ["user.suspend", "user.unsuspend", "comment.hide", "comment.restore"]
    assert {e["by"] for e in data["audit_events"]} == {"staff"}
    assert data["audit_events"][2]["comment"] == person.second.tracking_number
    # Nobody else's words.
    assert "I disagree with the first comment." not in response.text


# --- deletion ----------------------------------------------------------------------------------------------


def delete(client, password: str = PASSWORD, choice: str = "remove"):
    return client.post("/account/delete", data={"password": password, "comments": choice})


def test_delete_needs_sign_in_and_shows_a_form(client, person):
    assert client.get("/account/delete").status_code == 302
    login(client, person.user)
    page = client.get("/account/delete")
    assert page.status_code == 200
    assert "<legend>" in page.text
    assert 'autocomplete="current-password"' in page.text


@pytest.mark.parametrize(
    ("password", "choice", "message"),
    [
        ("wrong password here", "remove", "That password is not right."),
        ("", "remove", "That password is not right."),
        ("x" * 5000, "remove", "That password is not right."),
        ("NUL\x00byte", "remove", "That password is not right."),
        (PASSWORD, "", "Choose what should happen to your comments."),
        (PASSWORD, "shred", "Choose what should happen to your comments."),
    ],
)
def test_delete_refuses_bad_input_and_keeps_everything(client, session, person, password, choice, message):
    login(client, person.user)
    response = delete(client, password, choice)
    assert response.status_code == 422
    assert message in response.text
    session.expire_all()
    assert session.get(User, person.user.id) is not None
    assert client.get("/account").status_code == 200


def test_delete_removing_comments_leaves_tombstones_and_nothing_personal(client, session, person):
    user_id = person.user.id
    login(client, person.user)
    response = delete(client, choice="remove")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, user_id) is None
    for original in (person.first, person.second, person.reply):
        comment = session.get(Comment, original.id)
        assert comment.state == "withdrawn"
        assert (comment.body, comment.body_html, comment.user_id) == ("", "", None)
        assert comment.withdrawn_at is not None
    # The other person's comment stays; the counts follow the tombstones.
    assert session.get(Comment, person.others.id).body == "I disagree with the first comment."
    assert session.get(Clause, person.first.clause_id).comment_count == 1
    assert session.get(Clause, person.second.clause_id).comment_count == 0
    assert session.get(Comment, person.first.id).reply_count == 0
    report = session.scalars(select(CommentReport)).one()
    assert report.reporter_id is None
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.deleted")).one()
    assert (event.actor_id, event.target_id) == (None, None)
    assert event.details == {"comments": "remove", "comment_count": 3}
    dump = everything_in_the_database(session)
    assert EMAIL not in dump
    assert NAME.lower() not in dump
    assert "ask people first" not in dump
    # The session has ended.
    assert client.get("/account").status_code == 302
    public = client.get(
        f"/policies/{person.version.policy.slug}/versions/{person.version.slug}/clauses/purpose-1/comments"
    )
    assert "Removed at the author" in public.text or "withdrawn" in public.text.lower()
    assert NAME not in public.text


def test_delete_keeping_comments_anonymises_them(client, session, person):
    user_id = person.user.id
    login(client, person.user)
    assert delete(client, choice="anonymise").status_code == 302
    session.expire_all()
    assert session.get(User, user_id) is None
    for original in (person.first, person.second, person.reply):
        comment = session.get(Comment, original.id)
        assert comment.state == "published"
        assert comment.user_id is None
        assert comment.display_as == "anonymous"
    assert session.get(Comment, person.first.id).body == "Ask people first."
    assert session.get(Clause, person.first.clause_id).comment_count == 3
    dump = everything_in_the_database(session)
    assert EMAIL not in dump
    assert NAME.lower() not in dump
    public = client.get(
        f"/policies/{person.version.policy.slug}/versions/{person.version.slug}/clauses/purpose-1/comments"
    )
    assert "Ask people first." in public.text
    assert NAME not in public.text


def test_moderation_decisions_survive_deletion_without_pointing_at_anyone(client, session, person):
    login(client, person.user)
    delete(client)
    session.expire_all()
    suspension = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.suspend")).one()
    assert suspension.target_id is None
    assert suspension.reason == "Spam from [deleted account] <[deleted account]>"


def test_deleting_a_moderator_keeps_their_decisions(client, session, person):
    moderator = session.scalars(select(User).where(User.role == "moderator")).one()
    services.delete_account(session, moderator, PASSWORD, "anonymise")
    session.commit()
    session.expire_all()
    hide = session.scalars(select(AuditEvent).where(AuditEvent.action == "comment.hide")).one()
    assert hide.actor_id is None
    assert session.get(Comment, person.second.id).moderated_by_id is None


def test_csrf_is_enforced_on_deletion(app, client, session, person):
    login(client, person.user)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = delete(client)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    session.expire_all()
    assert session.get(User, person.user.id) is not None
