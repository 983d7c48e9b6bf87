"""Reporting comments and the moderators' queue and actions, through the views on a real database."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import quote

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from app.comments.services import refresh_counts
from app.exceptions import InputError, PermissionDeniedError
from app.models import AuditEvent, Clause, Comment, CommentReport, CommentState, User
from app.moderation import services
from app.text import TextError, clean_text
from tests.factories import login, make_comment, make_user, make_version
from tests.hostile import load_payloads

PAYLOADS = load_payloads()


@pytest.fixture
def world(session):
    """A published version with one published comment, its author, three would-be reporters and staff."""
    version = make_version(session)
    author = make_user(session, display_name="Aroha Author", email="aroha@example.org")
    comment = make_comment(session, author, version, body="Agencies should ask before they share.")
    refresh_counts(session, [comment.clause_id])
    ns = SimpleNamespace(
        version=version,
        author=author,
        comment=comment,
        reporters=[make_user(session) for _ in range(3)],
        moderator=make_user(session, "moderator", display_name="Mere Moderator", email="mere@example.org"),
        admin=make_user(session, "admin"),
        commenter=make_user(session),
        drafter=make_user(session, "drafter"),
    )
    session.commit()
    return ns


def form_post(client, url: str, fields: dict[str, str]):
    """POST a form whose values may hold lone surrogates (sent as the raw bytes a browser could send)."""
    body = "&".join(
        f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in fields.items()
    )
    return client.post(url, data=body, content_type="application/x-www-form-urlencoded")


def clause_count(session, comment: Comment) -> int:
    session.expire_all()
    return session.get(Clause, comment.clause_id).comment_count


def report_url(comment: Comment) -> str:
    return f"/comments/{comment.tracking_number}/report"


def act_url(comment: Comment, action: str) -> str:
    return f"/moderation/comments/{comment.tracking_number}/{action}"


def hold(session, world, n: int = 3) -> None:
    for reporter in world.reporters[:n]:
        services.report_comment(session, reporter, world.comment, "Abusive", threshold=3)
    session.commit()


# --- reporting ---------------------------------------------------------------------------------------------


def test_reporting_records_the_reason_and_counts_it(client, session, world):
    login(client, world.reporters[0])
    page = client.get(report_url(world.comment))
    assert page.status_code == 200
    assert "Agencies should ask before they share." in page.text
    response = client.post(report_url(world.comment), data={"reason": "It names a private person."})
    assert response.status_code == 302
    assert f"#clause-{world.comment.clause.key}" in response.headers["Location"]
    session.expire_all()
    report = session.scalars(select(CommentReport)).one()
    assert report.reason == "It names a private person."
    assert report.reporter_id == world.reporters[0].id
    assert session.get(Comment, world.comment.id).report_count == 1
    assert session.get(Comment, world.comment.id).state == "published"


def test_a_second_report_by_the_same_person_is_refused(client, session, world):
    login(client, world.reporters[0])
    client.post(report_url(world.comment), data={"reason": "Spam"})
    again = client.post(report_url(world.comment), data={"reason": "Spam, really"})
    assert again.status_code == 409
    assert "already reported this comment" in again.text
    assert session.scalar(select(func.count()).select_from(CommentReport)) == 1


def test_reports_reaching_the_threshold_hold_the_comment(client, session, world):
    assert clause_count(session, world.comment) == 1
    for reporter in world.reporters:
        login(client, reporter)
        assert client.post(report_url(world.comment), data={"reason": "Abusive"}).status_code == 302
        client.post("/logout")
    session.expire_all()
    comment = session.get(Comment, world.comment.id)
    assert comment.state == "held"
    assert comment.report_count == 3
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "comment.held_by_reports")).one()
    assert event.actor_id is None
    assert event.reason == "reported 3 times"
    assert event.target_id == comment.id
    assert clause_count(session, comment) == 0


def test_the_threshold_comes_from_the_configuration(app, session, world):
    app.config["REPORT_HIDE_THRESHOLD"] = 2
    try:
        for reporter in world.reporters[:2]:
            client = app.test_client()
            login(client, reporter)
            client.post(report_url(world.comment), data={"reason": "Abusive"})
    finally:
        app.config["REPORT_HIDE_THRESHOLD"] = 3
    session.expire_all()
    assert session.get(Comment, world.comment.id).state == "held"


def test_anonymous_visitors_are_sent_to_sign_in_to_report(client, world):
    response = client.get(report_url(world.comment))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.post(report_url(world.comment), data={"reason": "x"}).status_code == 302


def test_reporting_an_unknown_comment_is_404(client, world):
    login(client, world.reporters[0])
    assert client.get("/comments/KR-XXXX-XXXX/report").status_code == 404
    assert client.post("/comments/1%20OR%201=1/report", data={"reason": "x"}).status_code == 404
    assert client.get("/comments/" + "K" * 300 + "/report").status_code == 404


def test_held_comments_are_not_reportable_and_hidden_from_others(client, session, world):
    held = make_comment(session, world.author, world.version, body="Waiting", state="held")
    session.commit()
    login(client, world.reporters[0])
    assert client.get(report_url(held)).status_code == 404


def test_you_cannot_report_your_own_comment(client, session, world):
    login(client, world.author)
    response = client.post(report_url(world.comment), data={"reason": "Oops"})
    assert response.status_code == 403
    assert "your own comment" in response.text
    assert session.scalar(select(func.count()).select_from(CommentReport)) == 0


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Enter a reason."),
        ("   \n\t ", "Enter a reason."),
        ("x" * 1001, "1,000 characters or fewer"),
        ("NUL\x00byte", "control character"),
    ],
)
def test_bad_report_reasons_are_refused_and_nothing_is_stored(client, session, world, reason, message):
    login(client, world.reporters[0])
    response = client.post(report_url(world.comment), data={"reason": reason})
    assert response.status_code == 422
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert session.scalar(select(func.count()).select_from(CommentReport)) == 0


def test_a_reason_of_exactly_the_limit_is_accepted(client, session, world):
    login(client, world.reporters[0])
    assert client.post(report_url(world.comment), data={"reason": "y" * 1000}).status_code == 302


def test_clean_text_refuses_lone_surrogates():
    with pytest.raises(TextError, match="could not be read"):
        clean_text("lone surrogate \ud800 here", "a reason", services.REASON_MAX_LENGTH)


def _inert(html: str, payload: str) -> None:
    """The payload appears only escaped: nothing it holds became markup."""
    text = payload.replace("\r\n", "\n").replace("\r", "\n").strip()  # clean_text normalises newlines
    if any(ch in text for ch in "<>\"'&"):
        assert text not in html
    assert str(escape(text)) in html
    assert 'href="javascript' not in html.lower()
    assert "<script>alert" not in html


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"{p['category']}-{i}" for i, p in enumerate(PAYLOADS)])
def test_hostile_report_reasons_are_refused_or_shown_inert(client, session, world, payload):
    text = payload["payload"]
    login(client, world.reporters[0])
    response = form_post(client, report_url(world.comment), {"reason": text})
    assert response.status_code in (302, 422)
    stored = session.scalars(select(CommentReport)).all()
    if response.status_code == 422:
        assert stored == []
        assert "There is a problem" in response.text
        return
    assert len(stored) == 1
    assert "\x00" not in stored[0].reason
    client.post("/logout")
    login(client, world.moderator)
    queue = client.get("/moderation")
    assert queue.status_code == 200
    if not any("\ud800" <= ch <= "\udfff" for ch in text):  # a lone surrogate cannot be shown as typed
        _inert(queue.text, text)


# --- the queue ---------------------------------------------------------------------------------------------


def test_moderation_pages_need_the_moderator_role(client, world):
    assert client.get("/moderation").status_code == 302
    assert "/login" in client.get("/moderation").headers["Location"]
    for user in (world.commenter, world.drafter):
        login(client, user)
        assert client.get("/moderation").status_code == 403
        assert client.post(act_url(world.comment, "hide"), data={"hide-reason": "x"}).status_code == 403
        client.post("/logout")
    login(client, world.admin)
    assert client.get("/moderation").status_code == 200


def test_queue_shows_held_and_reported_comments_with_their_authors(client, session, world):
    anonymous = make_comment(
        session, world.commenter, world.version, body="Second thoughts", display_as="anonymous"
    )
    services.report_comment(session, world.reporters[0], anonymous, "Off topic", threshold=3)
    hold(session, world)
    hidden = make_comment(session, world.author, world.version, body="Gone", state="hidden")
    session.commit()
    login(client, world.moderator)
    page = client.get("/moderation")
    assert page.status_code == 200
    html = page.text
    assert html.index(world.comment.tracking_number) < html.index(anonymous.tracking_number)  # oldest first
    assert hidden.tracking_number not in html
    assert "Off topic" in html
    assert world.commenter.email in html  # the account behind an anonymous comment
    assert "shown as anonymous" in html
    assert world.author.email in html
    assert "<strong>1</strong> held" in html
    assert "<strong>1</strong> reported, still shown" in html
    assert "<strong>1</strong> hidden" in html
    assert hidden.tracking_number in client.get("/moderation?show=hidden").text


@pytest.mark.parametrize("query", ["?after=abc", "?after=1%20OR%201=1", "?show=everything", "?after=-1"])
def test_queue_refuses_malformed_parameters(client, world, query):
    login(client, world.moderator)
    assert client.get("/moderation" + query).status_code == 400


def test_queue_is_keyset_paginated(client, session, world, monkeypatch):
    monkeypatch.setattr(services, "QUEUE_PAGE_SIZE", 2)
    held = [
        make_comment(session, world.author, world.version, body=f"Held {i}", state="held") for i in range(3)
    ]
    session.commit()
    login(client, world.moderator)
    first = client.get("/moderation").text
    assert held[0].tracking_number in first
    assert held[1].tracking_number in first
    assert held[2].tracking_number not in first
    second = client.get(f"/moderation?after={held[1].id}").text
    assert held[2].tracking_number in second
    assert held[0].tracking_number not in second


# --- actions -----------------------------------------------------------------------------------------------


def test_approve_publishes_a_held_comment_and_resolves_its_reports(client, session, world):
    hold(session, world)
    assert clause_count(session, world.comment) == 0
    login(client, world.moderator)
    response = client.post(act_url(world.comment, "approve"), data={"approve-note": "Robust, not abusive"})
    assert response.status_code == 302
    session.expire_all()
    comment = session.get(Comment, world.comment.id)
    assert comment.state == "published"
    assert comment.report_count == 0
    assert comment.moderated_by_id == world.moderator.id
    assert all(r.resolved_at is not None for r in session.scalars(select(CommentReport)))
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "comment.approve")).one()
    assert event.actor_id == world.moderator.id
    assert event.reason == "Robust, not abusive"
    assert event.details["reports_resolved"] == 3
    assert clause_count(session, comment) == 1


def test_approving_a_published_comment_says_so_clearly(client, session, world):
    login(client, world.moderator)
    response = client.post(act_url(world.comment, "approve"), data={})
    assert response.status_code == 409
    assert "already published; nothing to approve" in response.text
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_hide_needs_a_public_reason_and_shows_a_tombstone(client, session, world):
    login(client, world.moderator)
    for empty in ("", "   "):
        refused = client.post(act_url(world.comment, "hide"), data={"hide-reason": empty})
        assert refused.status_code == 422
        assert "Enter a public reason." in refused.text
    assert client.post(act_url(world.comment, "hide"), data={"hide-reason": "z" * 1001}).status_code == 422
    session.expire_all()
    assert session.get(Comment, world.comment.id).state == "published"

    response = client.post(act_url(world.comment, "hide"), data={"hide-reason": "Personal attack"})
    assert response.status_code == 302
    session.expire_all()
    comment = session.get(Comment, world.comment.id)
    assert comment.state == "hidden"
    assert comment.moderation_reason == "Personal attack"
    assert clause_count(session, comment) == 0
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "comment.hide")).one()
    assert (event.actor_id, event.reason) == (world.moderator.id, "Personal attack")

    client.post("/logout")
    version = world.version
    public = client.get(
        f"/policies/{version.policy.slug}/versions/{version.slug}/clauses/{comment.clause.key}/comments"
    )
    assert public.status_code == 200
    assert "Removed by a moderator: Personal attack" in public.text
    assert "Agencies should ask before they share." not in public.text


def test_hiding_twice_is_a_clear_conflict(client, session, world):
    login(client, world.moderator)
    client.post(act_url(world.comment, "hide"), data={"hide-reason": "Spam"})
    again = client.post(act_url(world.comment, "hide"), data={"hide-reason": "Spam"})
    assert again.status_code == 409
    assert "already hidden" in again.text


def test_restore_publishes_a_hidden_comment_again(client, session, world):
    login(client, world.moderator)
    client.post(act_url(world.comment, "hide"), data={"hide-reason": "Spam"})
    assert client.post(act_url(world.comment, "restore"), data={}).status_code == 302
    session.expire_all()
    comment = session.get(Comment, world.comment.id)
    assert comment.state == "published"
    assert comment.moderation_reason is None
    assert clause_count(session, comment) == 1
    assert client.post(act_url(world.comment, "restore"), data={}).status_code == 409


def test_dismissing_reports_keeps_the_comment(client, session, world):
    hold(session, world, n=1)
    login(client, world.moderator)
    assert client.post(act_url(world.comment, "dismiss"), data={}).status_code == 302
    session.expire_all()
    comment = session.get(Comment, world.comment.id)
    assert (comment.state, comment.report_count) == ("published", 0)
    assert client.post(act_url(world.comment, "dismiss"), data={}).status_code == 409


def test_withdrawn_comments_cannot_be_moderated(client, session, world):
    gone = make_comment(session, world.author, world.version, body="", state="withdrawn")
    session.commit()
    login(client, world.moderator)
    for action, data in (("approve", {}), ("hide", {"hide-reason": "x"}), ("restore", {})):
        assert client.post(act_url(gone, action), data=data).status_code == 409


STATES = [state.value for state in CommentState]
MODERATOR_ACTIONS = {
    services.APPROVE: services.approve_comment,
    services.HIDE: lambda session, moderator, comment: services.hide_comment(
        session, moderator, comment, "Spam"
    ),
    services.RESTORE: services.restore_comment,
    services.DISMISS: services.dismiss_reports,
}


def test_the_transition_table_names_real_states_and_explains_every_refusal():
    actions = {action for _, action in services.TRANSITIONS}
    assert actions == {*MODERATOR_ACTIONS, services.REPORT, services.HOLD}
    assert {state for state, _ in services.TRANSITIONS} | set(services.TRANSITIONS.values()) <= set(STATES)
    # Nothing moderates a withdrawn comment, and nothing makes one: it belongs to its author.
    assert all(services.WITHDRAWN not in (state, new) for (state, _), new in services.TRANSITIONS.items())
    assert all((None, action) in services.REFUSALS for action in actions)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(MODERATOR_ACTIONS))
def test_every_moderator_action_follows_the_transition_table(session, world, state, action):
    comment = make_comment(session, world.author, world.version, body="Under review.", state=state)
    session.add(CommentReport(comment_id=comment.id, reporter_id=world.reporters[0].id, reason="Spam"))
    session.flush()
    allowed = services.TRANSITIONS.get((state, action))
    if allowed is None:
        with pytest.raises(services.InvalidStateError) as refused:
            MODERATOR_ACTIONS[action](session, world.moderator, comment)
        assert refused.value.status == 409
        assert comment.tracking_number in refused.value.message
        assert comment.state == state
    else:
        MODERATOR_ACTIONS[action](session, world.moderator, comment)
        assert comment.state == allowed


@pytest.mark.parametrize("state", STATES)
def test_reporting_follows_the_transition_table(session, world, state):
    comment = make_comment(session, world.author, world.version, body="Reported.", state=state)
    if (state, services.REPORT) in services.TRANSITIONS:
        services.report_comment(session, world.reporters[0], comment, "Abusive", threshold=1)
        assert comment.state == services.TRANSITIONS[(state, services.HOLD)]
    else:
        with pytest.raises(services.InvalidStateError):
            services.report_comment(session, world.reporters[0], comment, "Abusive", threshold=1)
        assert comment.state == state


def test_refusals_carry_the_status_of_what_went_wrong(session, world):
    with pytest.raises(services.NotPermittedError) as own:
        services.report_comment(session, world.author, world.comment, "Mine", threshold=3)
    with pytest.raises(TextError) as empty:
        services.hide_comment(session, world.moderator, world.comment, "  ")
    with pytest.raises(services.NotPermittedError) as not_moderator:
        services.hide_comment(session, world.drafter, world.comment, "Spam")
    assert (own.value.status, empty.value.status, not_moderator.value.status) == (403, 422, 403)
    assert empty.value.field == "reason"
    assert isinstance(own.value, PermissionDeniedError)
    assert isinstance(empty.value, InputError)


def test_a_refused_moderation_step_answers_api_clients_with_problem_json(client, session, world):
    login(client, world.moderator)
    response = client.post(
        act_url(world.comment, "approve"), data={}, headers={"Accept": "application/problem+json"}
    )
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "already published" in response.json["title"]


@pytest.mark.parametrize("action", ["approve", "hide", "restore", "dismiss"])
def test_acting_on_an_unknown_comment_is_404(client, world, action):
    login(client, world.moderator)
    assert (
        client.post(f"/moderation/comments/KR-XXXX-XXXX/{action}", data={"hide-reason": "x"}).status_code
        == 404
    )
    assert client.get("/moderation/comments/KR-XXXX-XXXX").status_code == 404


def test_an_unknown_action_is_404(client, world):
    login(client, world.moderator)
    assert client.post(act_url(world.comment, "delete"), data={}).status_code == 404


def test_the_comment_page_shows_reports_history_and_allowed_actions(client, session, world):
    hold(session, world)
    login(client, world.moderator)
    page = client.get(f"/moderation/comments/{world.comment.tracking_number}")
    assert page.status_code == 200
    assert "3 open reports" in page.text
    assert "reported 3 times" in page.text
    assert act_url(world.comment, "approve") in page.text
    assert act_url(world.comment, "restore") not in page.text
    assert page.text.count("<h1") == 1


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"{p['category']}-{i}" for i, p in enumerate(PAYLOADS)])
def test_hostile_hide_reasons_are_refused_or_inert_everywhere(client, session, world, payload):
    text = payload["payload"]
    login(client, world.moderator)
    response = form_post(client, act_url(world.comment, "hide"), {"hide-reason": text})
    assert response.status_code in (302, 422)
    session.expire_all()
    comment = session.get(Comment, world.comment.id)
    if response.status_code == 422:
        assert comment.state == "published"
        return
    assert comment.state == "hidden"
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        return
    _inert(client.get(f"/moderation/comments/{comment.tracking_number}").text, text)
    _inert(client.get("/moderation/log").text, text)


def test_csrf_is_enforced_on_moderation_actions(app, client, session, world):
    login(client, world.moderator)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(act_url(world.comment, "hide"), data={"hide-reason": "Spam"})
        suspended = client.post(f"/moderation/users/{world.author.id}/suspend", data={"suspend-reason": "x"})
        reported = client.post(report_url(world.comment), data={"reason": "x"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert (response.status_code, suspended.status_code, reported.status_code) == (400, 400, 400)
    session.expire_all()
    assert session.get(Comment, world.comment.id).state == "published"
    assert session.get(User, world.author.id).suspended_at is None


# --- suspending accounts -----------------------------------------------------------------------------------


def test_suspending_ends_sessions_and_blocks_sign_in(app, client, session, world):
    author_client = app.test_client()
    login(author_client, world.author)
    assert author_client.get("/account").status_code == 200
    old_token = world.author.session_token
    login(client, world.moderator)
    assert (
        client.post(f"/moderation/users/{world.author.id}/suspend", data={"suspend-reason": ""}).status_code
        == 422
    )
    response = client.post(
        f"/moderation/users/{world.author.id}/suspend", data={"suspend-reason": "Repeated abuse"}
    )
    assert response.status_code == 302
    session.expire_all()
    author = session.get(User, world.author.id)
    assert author.suspended_at is not None
    assert author.suspended_reason == "Repeated abuse"
    assert author.session_token != old_token
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.suspend")).one()
    assert (event.actor_id, event.target_id, event.reason) == (
        world.moderator.id,
        author.id,
        "Repeated abuse",
    )
    # Their open session has ended, and they cannot sign in again or report.
    assert author_client.get("/account").status_code == 302
    assert login(author_client, author).status_code == 403
    assert author_client.get(report_url(world.comment)).status_code == 302


def test_unsuspending_lets_the_account_sign_in_again(app, client, session, world):
    login(client, world.moderator)
    client.post(f"/moderation/users/{world.author.id}/suspend", data={"suspend-reason": "Spam"})
    assert (
        client.post(
            f"/moderation/users/{world.author.id}/suspend", data={"suspend-reason": "Spam"}
        ).status_code
        == 409
    )
    assert client.post(f"/moderation/users/{world.author.id}/unsuspend", data={}).status_code == 302
    assert client.post(f"/moderation/users/{world.author.id}/unsuspend", data={}).status_code == 409
    session.expire_all()
    assert session.get(User, world.author.id).suspended_at is None
    assert login(app.test_client(), world.author).status_code == 302


def test_moderators_cannot_suspend_themselves_or_staff(client, session, world):
    login(client, world.moderator)
    assert (
        client.post(
            f"/moderation/users/{world.moderator.id}/suspend", data={"suspend-reason": "x"}
        ).status_code
        == 403
    )
    refused = client.post(f"/moderation/users/{world.drafter.id}/suspend", data={"suspend-reason": "x"})
    assert refused.status_code == 403
    assert "Only an administrator" in refused.text
    client.post("/logout")
    login(client, world.admin)
    assert (
        client.post(f"/moderation/users/{world.drafter.id}/suspend", data={"suspend-reason": "x"}).status_code
        == 302
    )


def test_account_page_shows_the_account_to_moderators(client, world):
    login(client, world.moderator)
    page = client.get(f"/moderation/users/{world.author.id}")
    assert page.status_code == 200
    assert world.author.email in page.text
    assert "1 published" in page.text
    assert client.get("/moderation/users/999999").status_code == 404
    assert client.post("/moderation/users/999999/suspend", data={"suspend-reason": "x"}).status_code == 404


# --- the public log ----------------------------------------------------------------------------------------


def test_public_log_shows_what_was_done_without_naming_anyone(client, session, world):
    hold(session, world)
    services.hide_comment(session, world.moderator, world.comment, "Threatening language")
    suspended = make_user(session)
    services.suspend_user(session, world.moderator, suspended, "Secret suspension note")
    session.commit()
    page = client.get("/moderation/log")
    assert page.status_code == 200
    html = page.text
    assert world.comment.tracking_number in html
    assert "Threatening language" in html
    assert "reported 3 times" in html
    assert "by a moderator" in html
    assert "(automatically)" in html
    assert f"clause {world.comment.clause.number}" in html
    for private in (
        world.moderator.display_name,
        world.moderator.email,
        world.author.display_name,
        world.author.email,
        "Abusive",  # what reporters wrote stays with the moderators
        "Secret suspension note",
    ):
        assert private not in html


def test_public_log_is_keyset_paginated(client, session, world, monkeypatch):
    monkeypatch.setattr(services, "LOG_PAGE_SIZE", 3)
    for i in range(4):
        services.hide_comment(session, world.moderator, world.comment, f"Reason number {i}")
        services.restore_comment(session, world.moderator, world.comment)
    session.commit()
    first = client.get("/moderation/log").text
    assert "Reason number 3" in first
    assert "Reason number 2" not in first
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    older = client.get(f"/moderation/log?before={events[-3].id}").text
    assert "Reason number 2" in older
    assert "Reason number 3" not in older


@pytest.mark.parametrize("before", ["1 OR 1=1", "abc", "-5", "created_at; SELECT pg_sleep(5)--"])
def test_public_log_refuses_malformed_cursors(client, before):
    assert client.get("/moderation/log", query_string={"before": before}).status_code == 400


def test_the_section_page_offers_a_report_link_on_others_comments_only(client, session, world):
    section = f"/policies/{world.version.policy.slug}/versions/{world.version.slug}/sections/purpose"
    assert f'href="{report_url(world.comment)}"' in client.get(section).text
    login(client, world.author)
    assert f'href="{report_url(world.comment)}"' not in client.get(section).text
