"""Anonymous reading pages are cached until something they show changes."""

from __future__ import annotations

import pytest

from app.caching import PageCache
from app.models import Clause
from tests.factories import login, make_comment, make_user, make_version


@pytest.fixture
def cached(app):
    before = app.config["PAGE_CACHE_SECONDS"]
    app.config["PAGE_CACHE_SECONDS"] = 60
    yield app
    app.config["PAGE_CACHE_SECONDS"] = before


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


def test_the_local_store_is_bounded_and_expires():
    cache = PageCache(None, ttl=60, max_entries=3)
    for n in range(5):
        cache.set(f"k{n}", b"body", "text/html")
    assert cache.get("k0") is None
    assert cache.get("k4") == (b"body", "text/html")
    cache.bump()
    assert cache.get("k4") is None
    assert cache.generation() == 1
    expired = PageCache(None, ttl=-1)
    expired.set("k", b"x", "text/html")
    assert expired.get("k") is None


def test_redis_backs_the_cache_when_configured():
    import redis  # a runtime dependency: no skip

    client = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    client.flushdb()
    first = PageCache("redis://127.0.0.1:6379/15", ttl=60)
    second = PageCache("redis://127.0.0.1:6379/15", ttl=60)  # another worker
    generation = first.generation()
    first.set(f"korero:page:{generation}:en:/x", b"shared", "text/html")
    assert second.get(f"korero:page:{generation}:en:/x") == (b"shared", "text/html")
    first.bump()
    assert second.generation() == generation + 1
    client.flushdb()
    client.close()
