"""The JSON API v1: reading, paging, caching headers, tokens, writing comments, idempotency, refusals."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from app.api import tokens
from app.extensions import limiter
from app.models import ApiToken, Comment, Response, User
from tests.factories import login, make_comment, make_user, make_version

API = "/api/v1"


@pytest.fixture
def version(session):
    return make_version(session, label="First draft")


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def token_for(session, user, *scopes: str) -> str:
    _token, raw = tokens.create_token(session, user, "test", list(scopes) or [tokens.COMMENTS_WRITE])
    return raw


def comments_url(version) -> str:
    return f"{API}/policies/{version.policy.slug}/versions/{version.slug}/comments"


# --- reading -----------------------------------------------------------------------------------------------


def test_every_dpup_version_reads_with_sections_clauses_and_an_etag(client, imported):
    listing = client.get(f"{API}/policies").get_json()
    dpup = next(p for p in listing["items"] if p["slug"] == "data-protection-and-use-policy")
    assert [v["status"] for v in dpup["versions"]] == ["published", "published", "final"]
    for summary in dpup["versions"]:
        response = client.get(summary["url"])
        assert response.status_code == 200
        body = response.get_json()
        clause = body["sections"][0]["clauses"][0]
        assert {"key", "number", "markdown", "text", "comment_count"} <= set(clause)
        assert response.headers["Cache-Control"].startswith("public")
        again = client.get(summary["url"], headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
        assert again.data == b""


def test_compare_gives_the_compare_pages_change_list(client, imported):
    slug = "data-protection-and-use-policy"
    response = client.get(f"{API}/policies/{slug}/compare/consultation-draft/revised-draft")
    body = response.get_json()
    assert response.status_code == 200
    assert body["total"] == len(body["changes"]) > 0
    assert sum(body["by_kind"].values()) == body["total"]
    reworded = next(c for c in body["changes"] if c["kind"] == "clause_reworded")
    assert {w["op"] for w in reworded["words"]} >= {"equal"}
    assert "ETag" in response.headers


def test_working_versions_and_unknown_things_are_404_problems(client, session, version):
    working = make_version(session, label="Next draft", status="working", open_for_comment=False)
    for path in (
        f"{API}/policies/{working.policy.slug}/versions/{working.slug}",
        f"{API}/policies/{working.policy.slug}/versions/{working.slug}/comments",
        f"{API}/policies/nope",
        f"{API}/comments/KR-NOPE-NOPE",
        f"{API}/policies/{version.policy.slug}/compare/{version.slug}/{working.slug}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == 404


def test_comments_page_by_cursor_and_filter_like_the_search_page(client, session, version):
    author = make_user(session)
    made = [
        make_comment(session, author, version, "purpose-1", body=f"Comment number {i}.") for i in range(5)
    ]
    make_comment(session, author, version, "principles-1", body="On principles.")
    make_comment(
        session, author, version, "purpose-2", body="A quote.", quote_exact="applies to every agency"
    )
    seen, cursor = [], None
    while True:
        query = {"limit": 2, "clause": "purpose-1"} | ({"cursor": cursor} if cursor else {})
        page = client.get(comments_url(version), query_string=query).get_json()
        seen += [c["tracking_number"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [c.tracking_number for c in made]
    by_section = client.get(comments_url(version), query_string={"section": "principles"}).get_json()
    assert [c["clause_key"] for c in by_section["items"]] == ["principles-1"]
    passages = client.get(comments_url(version), query_string={"passage": "true"}).get_json()["items"]
    assert [c["anchor"]["exact"] for c in passages] == ["applies to every agency"]
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert client.get(comments_url(version), query_string={"since": future}).get_json()["items"] == []


def test_a_cursor_from_another_list_or_forged_is_a_400_problem(client, session, version):
    author = make_user(session)
    for i in range(3):
        make_comment(session, author, version, body=f"Comment {i}.")
    policies = client.get(f"{API}/policies", query_string={"limit": 1})
    make_version(session, policy_slug="other-policy")
    other = client.get(f"{API}/policies", query_string={"limit": 1}).get_json()["next_cursor"]
    assert policies.status_code == 200
    for cursor in (other, other[:-2] + "xx", "not-a-cursor", "'; DROP TABLE comments; --", "%00"):
        response = client.get(comments_url(version), query_string={"cursor": cursor})
        assert response.status_code == 400, cursor
        assert response.get_json()["field"] == "cursor"


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "201"},
        {"limit": "-1"},
        {"limit": "1e9"},
        {"campaign": "99999999999"},
        {"since": "yesterday"},
        {"since": "2026-01-01T00:00:00"},  # no zone
        {"passage": "perhaps"},
        {"state": "deleted"},
        {"clause": "x" * 65},
    ],
)
def test_hostile_filters_are_422_problems_naming_the_field(client, version, query):
    response = client.get(comments_url(version), query_string=query)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["query"]) == set(query)


def test_the_public_sees_published_words_and_tombstones_never_held_or_hidden_words(client, session, version):
    author = make_user(session, display_name="Aroha Ngata")
    shown = make_comment(session, author, version, body="Published words.")
    anonymous = make_comment(
        session, author, version, "purpose-2", body="Anonymous words.", display_as="anonymous"
    )
    held = make_comment(session, author, version, "principles-1", body="Held words.", state="held")
    hidden = make_comment(
        session,
        author,
        version,
        "principles-2",
        body="Hidden words.",
        state="hidden",
        moderation_reason="Abuse",
    )
    body = client.get(comments_url(version)).get_data(as_text=True)
    items = {c["tracking_number"]: c for c in json.loads(body)["items"]}
    assert items[shown.tracking_number]["author"] == "Aroha Ngata"
    assert items[anonymous.tracking_number]["author"] == "Anonymous member of the public"
    assert "Aroha" not in json.dumps(items[anonymous.tracking_number])
    assert held.tracking_number not in items
    assert items[hidden.tracking_number]["body"] is None
    assert "Abuse" in items[hidden.tracking_number]["tombstone"]
    assert "Held words" not in body
    assert "Hidden words" not in body
    assert "@example" not in body
    assert client.get(f"{API}/comments/{held.tracking_number}").status_code == 404


def test_a_staff_read_token_reads_held_comments_and_accounts(client, session, version):
    author = make_user(session)
    held = make_comment(session, author, version, body="Held words.", state="held")
    moderator = make_user(session, "moderator")
    staff = token_for(session, moderator, tokens.STAFF_READ)
    without_scope = token_for(session, moderator, tokens.COMMENTS_WRITE)
    response = client.get(f"{API}/comments/{held.tracking_number}", headers=bearer(staff))
    assert response.status_code == 200
    assert response.get_json()["body"] == "Held words."
    assert author.email in response.get_json()["account"]
    assert (
        client.get(f"{API}/comments/{held.tracking_number}", headers=bearer(without_scope)).status_code == 404
    )


def test_only_staff_may_make_a_staff_token(session):
    with pytest.raises(tokens.TokenError):
        tokens.create_token(session, make_user(session), "mine", [tokens.STAFF_READ])


def test_a_signed_in_cookie_is_never_authentication_on_the_api(client, session, version):
    moderator = make_user(session, "moderator")
    held = make_comment(session, make_user(session), version, body="Held words.", state="held")
    login(client, moderator)
    assert client.get(f"{API}/comments/{held.tracking_number}").status_code == 404
    response = client.post(comments_url(version), json={"clause_key": "purpose-1", "body": "By cookie."})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert session.scalar(select(func.count(Comment.id))) == 1


def test_responses_and_the_moderation_log_read(client, session, version):
    from app.moderation.services import hide_comment
    from app.responses.services import respond

    author, drafter, moderator = (
        make_user(session),
        make_user(session, "drafter"),
        make_user(session, "moderator"),
    )
    comment = make_comment(session, author, version, body="Please define agency.")
    other = make_comment(session, author, version, "purpose-2", body="Rude words here.")
    respond(session, drafter, comment, "accepted", "We defined it.", None, "")
    hide_comment(session, moderator, other, "Personal attack")
    responses = client.get(
        f"{API}/policies/{version.policy.slug}/versions/{version.slug}/responses"
    ).get_json()
    assert [r["to_comment"] for r in responses["items"]] == [comment.tracking_number]
    listed = client.get(f"{API}/comments/{comment.tracking_number}").get_json()
    assert listed["response"]["text"] == "We defined it."
    log = client.get(f"{API}/moderation-log").get_json()["items"]
    assert log[0]["tracking_number"] == other.tracking_number
    assert log[0]["reason"] == "Personal attack"
    assert moderator.display_name not in json.dumps(log)


# --- tokens ------------------------------------------------------------------------------------------------


def test_tokens_are_hashed_at_rest_and_revoked_ones_stop_working(client, session, version):
    user = make_user(session)
    token, raw = tokens.create_token(session, user, "my script", [tokens.COMMENTS_WRITE])
    assert raw.startswith("kr_")
    assert len(raw) > 40
    stored = session.get(ApiToken, token.id)
    assert stored.token_hash != raw
    assert raw not in json.dumps([stored.token_hash, stored.prefix, stored.name])
    assert client.get(f"{API}/token", headers=bearer(raw)).get_json()["scopes"] == [tokens.COMMENTS_WRITE]
    tokens.revoke_token(session, user, token.id)
    response = client.get(f"{API}/token", headers=bearer(raw))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer kr_wrong",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer " + "kr_" + "x" * 500,
        "Bearer kr_\u00e9t\u00e9",
        "kr_abc",
    ],
)
def test_wrong_tokens_are_401(client, version, header):
    response = client.get(f"{API}/policies", headers={"Authorization": header})
    assert response.status_code == 401


def test_a_suspended_owners_token_authenticates_nobody(client, session):
    user = make_user(session)
    raw = token_for(session, user)
    user.suspended_at = dt.datetime.now(dt.UTC)
    assert client.get(f"{API}/token", headers=bearer(raw)).status_code == 401


def test_tokens_are_made_and_revoked_on_the_account_page(client, session):
    user = make_user(session)
    login(client, user)
    page = client.get("/account")
    assert b"/account/tokens" in page.data
    made = client.post("/account/tokens", data={"name": "Newsroom", "scopes": [tokens.COMMENTS_WRITE]})
    assert made.status_code == 201
    raw = made.get_data(as_text=True).split('<code class="token">')[1].split("<")[0]
    assert client.get(f"{API}/token", headers=bearer(raw)).status_code == 200
    assert made.headers["Cache-Control"] == "private, no-store"
    refused = client.post("/account/tokens", data={"name": "Staff", "scopes": [tokens.STAFF_READ]})
    assert refused.status_code == 422
    row = session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    revoked = client.post(f"/account/tokens/{row.id}/revoke")
    assert revoked.status_code == 303
    assert client.get(f"{API}/token", headers=bearer(raw)).status_code == 401
    stranger = make_user(session)
    login(client, stranger)
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 404


# --- writing -----------------------------------------------------------------------------------------------


def test_a_token_posts_a_comment_through_the_comment_service_with_a_receipt(client, session, version):
    user = make_user(session)
    raw = token_for(session, user)
    payload = {
        "clause_key": "purpose-2",
        "body": "Say which agencies.",
        "quote": {"exact": "every agency", "prefix": "applies to ", "suffix": " that"},
    }
    response = client.post(comments_url(version), json=payload, headers=bearer(raw))
    assert response.status_code == 201, response.data
    receipt = response.get_json()
    comment = session.scalar(select(Comment).where(Comment.tracking_number == receipt["tracking_number"]))
    assert comment.user_id == user.id
    assert comment.quote_exact == "every agency"
    assert receipt["state"] == "published"
    assert "/receipts/" in receipt["receipt_url"]
    assert response.headers["Location"].endswith(receipt["tracking_number"])
    reply = client.post(
        comments_url(version),
        json={"in_reply_to": receipt["tracking_number"], "body": "I agree."},
        headers=bearer(raw),
    )
    assert reply.status_code == 201
    assert reply.get_json()["comment"]["in_reply_to"] == receipt["tracking_number"]


def test_posting_follows_the_forms_rules(client, session, version):
    user = make_user(session)
    raw = token_for(session, user)
    first = client.post(
        comments_url(version), json={"clause_key": "purpose-1", "body": "Same."}, headers=bearer(raw)
    )
    again = client.post(
        comments_url(version), json={"clause_key": "purpose-1", "body": "Same."}, headers=bearer(raw)
    )
    assert (first.status_code, again.status_code) == (201, 409)
    closed = make_version(session, policy_slug="closed", open_for_comment=False)
    response = client.post(
        comments_url(closed), json={"clause_key": "purpose-1", "body": "Late."}, headers=bearer(raw)
    )
    assert response.status_code == 409
    premod = make_version(session, policy_slug="premod", moderation="pre")
    held = client.post(
        comments_url(premod), json={"clause_key": "purpose-1", "body": "Held?"}, headers=bearer(raw)
    )
    assert held.get_json()["state"] == "held"
    assert client.get(f"{API}/comments/{held.get_json()['tracking_number']}").status_code == 404
    bad_quote = {"clause_key": "purpose-1", "body": "Q", "quote": {"exact": "not in the clause"}}
    response = client.post(comments_url(version), json=bad_quote, headers=bearer(raw))
    assert response.status_code == 422
    assert response.get_json()["field"] == "quote_exact"
    assert (
        client.post(
            comments_url(version), json={"clause_key": "nope", "body": "x"}, headers=bearer(raw)
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    "extra",
    [{"state": "published"}, {"author": "Someone Else"}, {"tracking_number": "KR-AAAA-AAAA"}, {"user_id": 1}],
)
def test_mass_assignment_is_refused(client, session, version, extra):
    raw = token_for(session, make_user(session))
    response = client.post(
        comments_url(version), json={"clause_key": "purpose-1", "body": "Hello."} | extra, headers=bearer(raw)
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["json"]) == set(extra)
    assert session.scalar(select(func.count(Comment.id))) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b"null",
        b'{"body": 5, "clause_key": "purpose-1"}',
        b'{"body": "", "clause_key": "purpose-1"}',
        b'{"body": "   ", "clause_key": "purpose-1"}',
        b'{"body": "bell \\u0007", "clause_key": "purpose-1"}',
        b'{"body": "x"}',
        b'{"body": "x", "clause_key": "purpose-1", "quote": "string"}',
        b'{"body": "x", "clause_key": "purpose-1", "display_as": "admin"}',
        b'{"body": "x", "clause_key": "purpose-1", "quote": {"exact": "a", "start": -4}}',
        b'{"body": "x", "in_reply_to": "KR-NONE-NONE"}',
    ],
)
def test_hostile_json_bodies_are_4xx_and_write_nothing(client, session, version, body):
    raw = token_for(session, make_user(session))
    response = client.post(
        comments_url(version), data=body, headers=bearer(raw) | {"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.data
    assert response.mimetype == "application/problem+json"
    assert session.scalar(select(func.count(Comment.id))) == 0


def test_wrong_scope_is_403_and_no_token_is_401(client, session, version):
    moderator = make_user(session, "moderator")
    staff_only = token_for(session, moderator, tokens.STAFF_READ)
    payload = {"clause_key": "purpose-1", "body": "Hello."}
    assert client.post(comments_url(version), json=payload, headers=bearer(staff_only)).status_code == 403
    assert client.post(comments_url(version), json=payload).status_code == 401


def test_a_retried_post_with_the_same_idempotency_key_makes_one_comment(client, session, version):
    raw = token_for(session, make_user(session))
    payload = {"clause_key": "purpose-1", "body": "Sent over a bad connection."}
    headers = bearer(raw) | {"Idempotency-Key": "retry-7f3a"}
    first = client.post(comments_url(version), json=payload, headers=headers)
    second = client.post(comments_url(version), json=payload, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json() == second.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert session.scalar(select(func.count(Comment.id))) == 1
    other = client.post(comments_url(version), json=payload | {"body": "Different."}, headers=headers)
    assert other.status_code == 422
    assert session.scalar(select(func.count(Comment.id))) == 1


def test_the_api_needs_no_csrf_token_while_the_forms_still_do(app, client, session, version):
    raw = token_for(session, make_user(session))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(
            comments_url(version), json={"clause_key": "purpose-1", "body": "No CSRF."}, headers=bearer(raw)
        )
        assert response.status_code == 201
        assert client.post("/login", data={"email": "a@b.c", "password": "x"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def limited(database):
    """A second app with rate limits on (two API writes a minute), inside its own rolled-back transaction."""
    from app import create_app
    from app.extensions import db
    from tests.support.database import app_config

    tmp_dir, url = database
    limited_app = create_app(
        {**app_config(tmp_dir, url), "RATELIMIT_ENABLED": True, "API_WRITE_LIMIT": "2 per minute"}
    )
    with limited_app.app_context():
        engines = db._app_engines[limited_app]
        engine = engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        engines[None] = connection
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
        limiter.reset()
        try:
            yield limited_app
        finally:
            limiter.reset()
            limiter.enabled = False
            db.session.remove()
            engines[None] = engine
            transaction.rollback()
            connection.close()
            engine.dispose()


def test_each_token_has_its_own_write_limit(limited):
    from app.extensions import db

    session = db.session
    client = limited.test_client()
    version = make_version(session)
    first, second = token_for(session, make_user(session)), token_for(session, make_user(session))
    session.commit()
    codes = [
        client.post(
            comments_url(version),
            json={"clause_key": "purpose-1", "body": f"Number {i}."},
            headers=bearer(first),
        ).status_code
        for i in range(3)
    ]
    other = client.post(
        comments_url(version), json={"clause_key": "purpose-1", "body": "Mine."}, headers=bearer(second)
    )
    assert codes == [201, 201, 429]
    assert other.status_code == 201
    limited_response = client.post(
        comments_url(version), json={"clause_key": "purpose-1", "body": "Again."}, headers=bearer(first)
    )
    assert limited_response.mimetype == "application/problem+json"


def test_responses_count_is_unchanged_by_reads(client, session, version):
    """Reads write nothing but a token's last use."""
    before = session.scalar(select(func.count(Response.id)))
    client.get(comments_url(version))
    assert session.scalar(select(func.count(Response.id))) == before
    assert session.scalar(select(func.count(User.id))) == 0
