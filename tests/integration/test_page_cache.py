"""Anonymous reading pages are cached until something they show changes."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from app.caching import PageCache
from app.models import Clause
from tests.factories import login, make_comment, make_user, make_version


@pytest.fixture
def cached(app):
    before = app.config["PAGE_CACHE_SECONDS"]
    app.config["PAGE_CACHE_SECONDS"] = 60
    yield app
    app.config["PAGE_CACHE_SECONDS"] = before
    app.extensions["korero_page_cache"]._distrust_until = 0.0  # a test that broke the store leaves no mark


def section_url(version):
    return f"/policies/{version.policy.slug}/versions/{version.slug}/sections/purpose"


def test_anonymous_section_pages_are_served_from_the_cache(cached, client, session):
    version = make_version(session)
    session.commit()
    first = client.get(section_url(version))
    second = client.get(section_url(version))
    assert first.headers["X-Page-Cache"] == "miss"
    assert second.headers["X-Page-Cache"] == "hit"
    assert first.data == second.data
    assert "Content-Security-Policy" in second.headers


def test_a_committed_comment_invalidates_cached_pages(cached, client, session):
    version = make_version(session)
    author = make_user(session)
    session.commit()
    client.get(section_url(version))
    make_comment(session, author, version, "purpose-1", body="A freshly committed remark")
    session.commit()
    response = client.get(section_url(version))
    assert response.headers["X-Page-Cache"] == "miss"
    assert "A freshly committed remark" in response.text


def test_a_bulk_update_invalidates_cached_pages(cached, client, session):
    from sqlalchemy import update

    version = make_version(session)
    session.commit()
    client.get(section_url(version))
    session.execute(update(Clause).where(Clause.version_id == version.id).values(comment_count=7))
    session.commit()
    assert client.get(section_url(version)).headers["X-Page-Cache"] == "miss"


def test_signed_in_people_always_get_a_fresh_page(cached, client, session):
    version = make_version(session)
    user = make_user(session)
    session.commit()
    login(client, user)
    first = client.get(section_url(version))
    assert "X-Page-Cache" not in first.headers
    anonymous = cached.test_client()
    page = anonymous.get(section_url(version))
    assert "csrf_token" not in page.text


def test_pages_with_a_flashed_message_are_not_cached(cached, client, session):
    version = make_version(session)
    session.commit()
    with client.session_transaction() as flask_session:
        flask_session["_flashes"] = [("message", "Only for you")]
    response = client.get(section_url(version))
    assert "Only for you" in response.text
    assert "X-Page-Cache" not in response.headers


def test_not_found_pages_are_not_cached(cached, client, session):
    make_version(session)
    session.commit()
    assert client.get("/policies/test-policy/versions/nope").status_code == 404
    assert "X-Page-Cache" not in client.get("/policies/test-policy/versions/nope").headers


def principles_url(version):
    return f"/policies/{version.policy.slug}/versions/{version.slug}/sections/principles"


def test_a_comment_invalidates_only_the_pages_that_show_it(cached, client, session):
    version = make_version(session)
    author = make_user(session)
    session.commit()
    client.get(section_url(version))
    client.get(principles_url(version))
    make_comment(session, author, version, "purpose-1", body="Only the purpose section shows this")
    session.commit()
    assert client.get(principles_url(version)).headers["X-Page-Cache"] == "hit"
    fresh = client.get(section_url(version))
    assert fresh.headers["X-Page-Cache"] == "miss"
    assert "Only the purpose section shows this" in fresh.text


def test_a_comment_renders_again_only_its_own_clause_block(cached, client, session, monkeypatch):
    """The section page around it renders again; the other clauses' comment blocks come from the store."""
    from app.comments import fragments

    version = make_version(session)
    author = make_user(session)
    make_comment(session, author, version, "purpose-2", body="An earlier remark on the second clause")
    session.commit()
    rendered: list[str] = []
    block = fragments._block
    monkeypatch.setattr(
        fragments, "_block", lambda clause, *rest: rendered.append(clause.key) or block(clause, *rest)
    )
    client.get(section_url(version))
    assert {"purpose-1", "purpose-2"} <= set(rendered)
    rendered.clear()
    make_comment(session, author, version, "purpose-1", body="Only the first clause moved")
    session.commit()
    again = client.get(section_url(version))
    assert again.headers["X-Page-Cache"] == "miss"
    assert rendered == ["purpose-1"]
    assert "Only the first clause moved" in again.text
    assert "An earlier remark on the second clause" in again.text
    cached.config["PAGE_CACHE_SECONDS"] = 0  # the page rendered whole, with no block from the store
    assert again.text == client.get(section_url(version)).text


def test_settling_a_comment_later_invalidates_only_the_pages_that_show_it(cached, client, session):
    """The deferred work (counts, grouping) changes rows by UPDATE: it names its pages, so others stay cached."""
    from app.comments.services import accept_comment, settle_comment

    version = make_version(session)
    author = make_user(session)
    session.commit()
    clause = session.scalars(
        select(Clause).where(Clause.version_id == version.id, Clause.key == "purpose-1")
    ).one()
    stored = accept_comment(session, author, clause, "Posted now and settled by a worker later")
    session.commit()
    client.get(section_url(version))
    client.get(principles_url(version))
    assert client.get(principles_url(version)).headers["X-Page-Cache"] == "hit"
    assert settle_comment(session, stored.id)
    session.commit()
    assert client.get(principles_url(version)).headers["X-Page-Cache"] == "hit"
    assert client.get(section_url(version)).headers["X-Page-Cache"] == "miss"  # its count moved


def test_a_display_name_change_reaches_cached_pages(cached, client, session):
    version = make_version(session)
    author = make_user(session, display_name="Old Name")
    make_comment(session, author, version, "purpose-1", display_as="name")
    session.commit()
    assert "Old Name" in client.get(section_url(version)).text
    author.display_name = "New Name"
    session.commit()
    page = client.get(section_url(version))
    assert "New Name" in page.text
    assert "Old Name" not in page.text


def test_sign_in_counters_do_not_invalidate_pages(cached, client, session):
    version = make_version(session)
    user = make_user(session)
    session.commit()
    client.get(section_url(version))
    # Sign-in bookkeeping: a rotated session token on the account, a count of wrong passwords beside it.
    from app.models import LoginThrottle
    from app.models.users import new_session_token

    user.session_token = new_session_token()
    session.add(LoginThrottle(user_id=user.id, source="a-source", failures=1))
    session.commit()
    assert client.get(section_url(version)).headers["X-Page-Cache"] == "hit"


def test_a_core_insert_on_a_watched_table_is_seen(cached, client, session):
    from sqlalchemy import insert

    from app.models import CommentPlacement

    version = make_version(session)
    author = make_user(session)
    comment = make_comment(session, author, version, "purpose-1")
    session.commit()
    client.get(section_url(version))
    session.execute(
        insert(CommentPlacement.__table__),
        [
            {
                "comment_id": comment.id,
                "version_id": version.id,
                "clause_key": "purpose-1",
                "status": "unchanged",
            }
        ],
    )
    session.commit()
    assert client.get(section_url(version)).headers["X-Page-Cache"] == "miss"


def test_a_page_expires_when_its_period_opens_by_the_clock(cached, client, session):
    import datetime as dt

    from app.caching import _ttl_until_period_changes

    version = make_version(session, open_for_comment=False)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    version.comments_open_at = soon
    version.comments_close_at = soon + dt.timedelta(days=30)
    session.commit()
    assert _ttl_until_period_changes(60.0, session()) <= 5
    version.comments_open_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    session.commit()
    assert _ttl_until_period_changes(60.0, session()) == 60.0


def test_a_page_whose_period_changes_within_a_second_is_not_stored(cached, client, session):
    import datetime as dt

    version = make_version(session, open_for_comment=False)
    version.comments_open_at = dt.datetime.now(dt.UTC) + dt.timedelta(milliseconds=300)
    version.comments_close_at = version.comments_open_at + dt.timedelta(days=30)
    session.commit()
    client.get(section_url(version))
    assert client.get(section_url(version)).headers["X-Page-Cache"] == "miss"


def test_hidden_words_are_never_served_after_a_hide(cached, client, session):
    version = make_version(session)
    author = make_user(session)
    comment = make_comment(session, author, version, "purpose-1", body="Words that a moderator will hide")
    session.commit()
    assert "Words that a moderator will hide" in client.get(section_url(version)).text
    comment.state = "hidden"
    session.commit()
    cache = cached.extensions["korero_page_cache"]
    # Even while another request holds the render, the last copy may not stand in: something was taken away.
    from app.caching import page_tags

    assert cache.counters(page_tags({"policy_slug": version.policy.slug}))
    page = client.get(section_url(version))
    assert "Words that a moderator will hide" not in page.text


def test_a_render_in_progress_is_stood_in_for_by_the_last_copy_after_an_addition(cached, client, session):
    import hashlib

    version = make_version(session)
    author = make_user(session)
    session.commit()
    first = client.get(section_url(version))
    make_comment(session, author, version, "purpose-1", body="A new remark")
    session.commit()
    cache = cached.extensions["korero_page_cache"]
    from app.caching import page_tags

    args = {"policy_slug": version.policy.slug, "version_slug": version.slug, "section_key": "purpose"}
    soft, _hard = cache.counters(page_tags(args))
    where = hashlib.sha256(f"en\x1f{section_url(version)}?".encode()).hexdigest()[:32]
    assert cache.claim(f"korero:page:{where}:" + ".".join(map(str, soft)))  # another request is rendering
    standing_in = client.get(section_url(version))
    assert standing_in.headers["X-Page-Cache"] == "stale"
    assert standing_in.data == first.data


def test_a_failed_invalidation_bypasses_the_cache_until_it_recovers(cached, client, session, monkeypatch):
    version = make_version(session)
    author = make_user(session)
    session.commit()
    client.get(section_url(version))
    cache = cached.extensions["korero_page_cache"]

    def broken(key):
        raise ConnectionError("store down")

    monkeypatch.setattr(cache, "_inc", broken)
    make_comment(session, author, version, "purpose-1", body="Posted while the store was down")
    session.commit()
    page = client.get(section_url(version))
    assert "X-Page-Cache" not in page.headers
    assert "Posted while the store was down" in page.text


def test_redis_backs_the_cache_when_configured():
    import redis  # a runtime dependency: no skip

    client = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    client.flushdb()
    first = PageCache("redis://127.0.0.1:6379/15", ttl=60)
    second = PageCache("redis://127.0.0.1:6379/15", ttl=60)  # another worker
    before = first.counters(["site", "policy:x"])
    first.set("korero:page:k", (b"shared", "text/html", before[1]), 60)
    assert second.get("korero:page:k")[0] == b"shared"
    first.bump(["policy:x"], hard=["site"])
    soft, hard = second.counters(["site", "policy:x"])
    epoch = before[0][0]  # the store's epoch leads the soft counters, the same for every worker
    assert soft == (epoch, before[0][1] + 1, before[0][2] + 1)
    assert hard == (before[1][0] + 1, before[1][1])
    # The store emptied (a Redis restart): a new epoch, so no worker meets a key it made before.
    client.flushdb()
    assert first.counters(["site", "policy:x"])[0][0] not in (epoch, 0)
    client.flushdb()
    client.close()


def test_a_local_copy_is_never_served_after_the_store_is_emptied():
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    client.flushdb()
    cache = PageCache("redis://127.0.0.1:6379/15", ttl=60)
    soft, hard = cache.counters(["site"])
    key = "korero:page:k:" + ".".join(map(str, soft))
    cache.set_page(key, (b"before the restart", "text/html", hard, time.time() + 60), 60)
    assert cache.page(key)[0] == b"before the restart"  # from the process's own memory
    client.flushdb()  # the store restarts empty: its counters start again from zero
    soft_after, _ = cache.counters(["site"])
    assert "korero:page:k:" + ".".join(map(str, soft_after)) != key
    client.close()


# --- member copies: signed-in readers who are not staff ----------------------------------------------


def _reader(app, session, user):
    """A client signed in as `user`, its sign-in message already shown (so its pages can be member copies)."""
    client = app.test_client()
    login(client, user)
    client.get("/")
    return client


def _csrf_in(page: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "the page has no sign-out form"
    return found.group(1)


def test_signed_in_readers_share_one_member_copy_with_their_own_parts_put_in(cached, session):
    from app.caching import CSRF_HOLE

    version = make_version(session)
    writer, other = make_user(session), make_user(session)
    mine = make_comment(session, writer, version, "purpose-1", body="My own words on the purpose")
    session.commit()
    receipt_link = f"/receipts/{mine.tracking_number}"
    first = _reader(cached, session, other).get(section_url(version))
    second_client = _reader(cached, session, writer)
    second = second_client.get(section_url(version))
    assert first.headers["X-Page-Cache"] == "member-miss"
    assert second.headers["X-Page-Cache"] == "member-hit"
    # Both read the comment; only its writer gets its receipt and withdraw links, though the other reader
    # rendered the copy.
    assert "My own words on the purpose" in first.text
    assert "My own words on the purpose" in second.text
    assert receipt_link in second.text
    assert receipt_link not in first.text
    # Each page carries its reader's own CSRF token, never the hole or another reader's token.
    assert CSRF_HOLE not in first.text
    assert CSRF_HOLE not in second.text
    assert _csrf_in(first.text) != _csrf_in(second.text)
    assert "<!--korero:clause:" not in first.text + second.text
    assert second.headers["Cache-Control"] == "private, no-store"
    # The token in the copy is the writer's: it signs them out.
    cached.config["WTF_CSRF_ENABLED"] = True
    try:
        signed_out = second_client.post("/logout", data={"csrf_token": _csrf_in(second.text)})
    finally:
        cached.config["WTF_CSRF_ENABLED"] = False
    assert signed_out.status_code in (302, 303)


def test_a_member_copy_is_renewed_when_a_comment_lands(cached, session):
    version = make_version(session)
    reader = make_user(session)
    author = make_user(session)
    session.commit()
    client = _reader(cached, session, reader)
    client.get(section_url(version))
    assert client.get(section_url(version)).headers["X-Page-Cache"] == "member-hit"
    make_comment(session, author, version, "purpose-1", body="A remark that lands after the copy")
    session.commit()
    page = client.get(section_url(version))
    assert page.headers["X-Page-Cache"] == "member-miss"
    assert "A remark that lands after the copy" in page.text


def test_a_comment_posted_elsewhere_shows_as_the_readers_own_on_their_next_view(cached, session):
    version = make_version(session)
    reader = make_user(session)
    session.commit()
    client = _reader(cached, session, reader)
    client.get(section_url(version))
    assert client.get(section_url(version)).headers["X-Page-Cache"] == "member-hit"  # "none are mine", kept
    # Written from another device (or the API): nothing of this client's session knows of it.
    mine = make_comment(session, reader, version, "purpose-2", body="Sent from my phone about purpose")
    session.commit()
    page = client.get(section_url(version))
    assert "Sent from my phone about purpose" in page.text
    assert f"/receipts/{mine.tracking_number}" in page.text  # their own block, with its receipt link


def test_staff_never_get_a_member_copy(cached, session):
    version = make_version(session)
    moderator = make_user(session, role="moderator")
    author = make_user(session)
    make_comment(session, author, version, "purpose-1", body="Held words only staff may read", state="held")
    session.commit()
    client = _reader(cached, session, moderator)
    page = client.get(section_url(version))
    assert "X-Page-Cache" not in page.headers
    assert "Held words only staff may read" in page.text
    # ...and what staff were shown never reaches a commenter's copy.
    commenter_page = _reader(cached, session, make_user(session)).get(section_url(version))
    assert "Held words only staff may read" not in commenter_page.text


def test_the_compare_page_is_a_member_copy_too(cached, session):
    version = make_version(session)
    path = f"/policies/{version.policy.slug}/compare/{version.slug}...{version.slug}"
    first_reader, second_reader = make_user(session), make_user(session)
    session.commit()
    first = _reader(cached, session, first_reader).get(path)
    second = _reader(cached, session, second_reader).get(path)
    assert first.status_code == 200
    assert (first.headers["X-Page-Cache"], second.headers["X-Page-Cache"]) == ("member-miss", "member-hit")
    assert _csrf_in(first.text) != _csrf_in(second.text)


def test_additions_wait_out_the_minimum_age_and_removals_never_do(cached, client, session):
    version = make_version(session)
    author = make_user(session)
    session.commit()
    cached.config["PAGE_CACHE_MIN_AGE"] = 60
    try:
        client.get(section_url(version))
        comment = make_comment(session, author, version, "purpose-1", body="Words added during the floor")
        session.commit()
        added = client.get(section_url(version))
        assert added.headers["X-Page-Cache"] == "stale"  # made moments ago: served, not rendered again
        assert "Words added during the floor" not in added.text
        comment.state = "hidden"  # a removal moves the hard counter: never served from an older copy
        session.commit()
        removed = client.get(section_url(version))
        assert removed.headers["X-Page-Cache"] == "miss"
        assert "Words added during the floor" not in removed.text
    finally:
        cached.config["PAGE_CACHE_MIN_AGE"] = 0.0


def test_a_bulk_import_invalidates_only_the_consultation_it_touched(cached, client, session):
    from app.intake import jobs
    from app.models import ImportRun
    from tests.integration.test_import_jobs import rows

    imported = make_version(session, policy_slug="imported-into", label="Draft")
    other = make_version(session, policy_slug="left-alone", label="Draft")
    staff = make_user(session, "intake")
    session.commit()
    pages = {v.id: f"/policies/{v.policy.slug}/versions/{v.slug}" for v in (imported, other)}
    for url in (*pages.values(), section_url(other)):
        assert client.get(url).headers["X-Page-Cache"] == "miss"
    assert "0 submissions on the whole draft" in client.get(pages[imported.id]).text
    run = ImportRun(version_id=imported.id, staff_id=staff.id, filename="t.csv", data=rows(3), dry_run=False)
    session.add(run)
    session.flush()
    jobs.execute(session, run.id, progress_commits=False)
    session.commit()
    assert run.created_count == 3
    fresh = client.get(pages[imported.id])
    assert fresh.headers["X-Page-Cache"] == "miss"
    assert "3 submissions on the whole draft" in fresh.text
    assert client.get(pages[other.id]).headers["X-Page-Cache"] == "hit"
    assert client.get(section_url(other)).headers["X-Page-Cache"] == "hit"
