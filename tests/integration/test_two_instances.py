"""Two real instances (two gunicorns) on one PostgreSQL database and one Redis behave as one site."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from tests.integration.live import (
    VERSION,
    Client,
    Server,
    first_clause,
    fresh_database,
    post_comment,
    redis_url,
    sign_in,
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    database = fresh_database("korero_two")
    redis = redis_url()
    folder = tmp_path_factory.mktemp("two")
    # Rate limits on (stored in Redis), the page cache on (shared through Redis).
    overrides = {"RATELIMIT_ENABLED": True, "PAGE_CACHE_SECONDS": 30}
    first = Server(database, redis, overrides)
    second = Server(database, redis, overrides)
    try:
        first.start(folder)
        second.start(folder)
        clause, section = first_clause(database)
        yield SimpleNamespace(
            first=first, second=second, database=database, redis=redis, clause=clause, section=section
        )
    finally:
        first.stop()
        second.stop()


def test_a_session_from_one_instance_works_on_the_other(site):
    on_first = sign_in(site.first)
    status, _, page = on_first.on(site.second).request("GET", "/account")
    assert status == 200
    assert "person0@live.test" in page


def test_a_comment_sent_to_one_is_on_the_others_cached_page(site):
    anonymous = Client(site.second)
    page_path = f"{VERSION}/sections/{site.section}"
    status, _, before = anonymous.request("GET", page_path)
    assert status == 200
    anonymous.request("GET", page_path)  # now served from the shared cache
    marker = f"two-instances-{uuid.uuid4().hex[:8]}"
    author = sign_in(site.first, "person1@live.test")
    status, receipt = post_comment(author, site.clause, f"Shared cache check {marker}.")
    assert status == 303, receipt
    # The commit on the first instance moved the section's counters in the shared Redis: the second's cached
    # copy stands for at most PAGE_CACHE_MIN_AGE (1 s) after it was made, then the page shows the comment.
    deadline = time.monotonic() + 5
    after = before
    while marker not in after and time.monotonic() < deadline:
        time.sleep(0.25)
        status, _, after = anonymous.request("GET", page_path)
        assert status == 200
    assert marker in after
    status, _, comments = Client(site.second).request("GET", f"{VERSION}/clauses/{site.clause}/comments")
    assert marker in comments


def test_pdf_jobs_go_to_one_queue_that_both_see(site):
    import redis
    from rq import Queue

    connection = redis.Redis.from_url(site.redis)
    queue = Queue("korero-pdf", connection=connection)
    queue.empty()
    path = f"{VERSION}/pdf"
    first_status = Client(site.first).request("GET", path)[0]
    second_status = Client(site.second).request("GET", path)[0]
    assert first_status == 202
    assert second_status == 202  # the other instance sees the job pending rather than queueing another
    assert queue.count == 1
    status, _, metrics = Client(site.second).request("GET", "/metrics")
    assert status == 200
    assert 'korero_queue_depth{queue="korero-pdf"} 1.0' in metrics
    queue.empty()


def test_a_rate_limit_is_counted_across_both(site):
    """Sign-ups are limited to 5 an hour per address: 3 on each instance make 6, and the sixth is refused."""
    import redis

    redis.Redis.from_url(site.redis).flushdb()  # forget the requests of the tests before
    statuses = []
    for attempt in range(6):
        server = site.first if attempt % 2 == 0 else site.second
        statuses.append(
            Client(server).request("POST", "/register", {})[0]
        )  # an empty form: refused, but counted
    assert 429 not in statuses[:5], statuses
    assert statuses[5] == 429, statuses
    redis.Redis.from_url(site.redis).flushdb()  # the next tests start with fresh limits
