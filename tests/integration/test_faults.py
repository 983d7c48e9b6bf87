"""Faults on real servers: a worker killed while comments stream in, Redis down, PostgreSQL unreachable."""

from __future__ import annotations

import http.client
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.integration.live import (
    VERSION,
    Client,
    Server,
    TcpProxy,
    first_clause,
    free_port,
    fresh_database,
    post_comment,
    redis_url,
    sign_in,
    stored_bodies,
)


@pytest.fixture(scope="module")
def database() -> str:
    return fresh_database("korero_faults")


@pytest.fixture
def folder(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("faults")


@pytest.fixture
def server(database, folder) -> Iterator[Server]:
    """Two workers × two threads, rate limits off (one account posts many comments), Redis on."""
    instance = Server(database, redis_url(), {"RATELIMIT_ENABLED": False}, workers=2).start(folder)
    yield instance
    instance.stop()


def test_kill_9_of_a_worker_loses_no_acknowledged_comment_and_makes_none_twice(server, database):
    clause, _ = first_clause(database)
    marker = f"kill9-{uuid.uuid4().hex[:8]}"
    acknowledged: set[str] = set()
    retried: set[str] = set()
    lock = threading.Lock()
    # Signed in first: a sign-in cut by the kill is not what this test is about.
    clients = [sign_in(server, f"person{n}@live.test") for n in range(4)]
    stop = [time.monotonic() + 30]  # moved to 3 s after the kill

    def poster(n: int) -> None:
        client = clients[n]
        for index in range(300):  # bounded; stops at `stop` first
            if time.monotonic() > stop[0]:
                return
            tag = f"{marker}-{n}-{index}"
            for _attempt in range(3):  # a browser resends the same form after a cut connection or a 5xx
                try:
                    status, location = post_comment(client, clause, f"Streaming comment ({tag}).")
                except (OSError, http.client.HTTPException):
                    status, location = 0, ""
                if status == 303 and "/receipts/" in location:
                    with lock:
                        acknowledged.add(tag)
                    break
                if status and status < 500:
                    break  # refused (e.g. "you already sent this"): nothing more to send
                with lock:
                    retried.add(tag)
                time.sleep(0.2)

    threads = [threading.Thread(target=poster, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 4 and time.monotonic() < deadline:  # comments are streaming in
        time.sleep(0.05)
    victim = server.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    stop[0] = time.monotonic() + 3
    for thread in threads:
        thread.join(timeout=60)
    assert victim not in server.worker_pids()  # the master replaced it
    stored = [re.search(r"\((kill9-[^)]+)\)", body).group(1) for body in stored_bodies(database, marker)]
    assert acknowledged, "no comment was acknowledged"
    assert acknowledged <= set(stored), f"acknowledged but not stored: {acknowledged - set(stored)}"
    assert len(stored) == len(set(stored)), "a comment was stored twice"
    print(f"acknowledged {len(acknowledged)}, stored {len(stored)}, resent after a cut or 5xx {len(retried)}")


def test_sending_the_same_form_again_makes_no_second_comment(server, database):
    """No idempotency key yet: the duplicate check (same person, clause and text) is what stops a resend."""
    clause, _ = first_clause(database)
    client = sign_in(server, "person3@live.test")
    text = f"Resent by an impatient browser ({uuid.uuid4().hex[:8]})."
    first = post_comment(client, clause, text)
    again = post_comment(client, clause, text)
    assert first[0] == 303
    assert again[0] < 500
    assert len(stored_bodies(database, text)) == 1


@pytest.fixture
def without_redis(database, folder) -> Iterator[Server]:
    """An instance whose REDIS_URL points at a closed port, with rate limits on."""
    instance = Server(database, f"redis://127.0.0.1:{free_port()}/0", {"RATELIMIT_ENABLED": True}).start(
        folder
    )
    yield instance
    instance.stop()


def test_with_redis_down_pages_answer_and_readyz_says_why(without_redis, database):
    _, section = first_clause(database)
    anonymous = Client(without_redis)
    for path in ("/", f"{VERSION}/sections/{section}", f"{VERSION}/sections/{section}", "/healthz", "/login"):
        assert anonymous.request("GET", path)[0] == 200, path  # the page cache falls back to this process
    status, _, body = anonymous.request("GET", "/readyz")
    assert status == 503
    assert '"failed":["redis"]' in body


def test_with_redis_down_limited_posts_fall_back_instead_of_failing(without_redis, database):
    clause, _ = first_clause(database)
    client = Client(without_redis)
    status, _, _ = client.request(
        "POST", "/login", {"email": "person2@live.test", "password": "live test password 2019"}
    )
    assert status in (302, 303)
    status, _ = post_comment(client, clause, f"Sent while Redis is down ({uuid.uuid4().hex[:8]}).")
    assert status == 303


def test_with_postgresql_unreachable_requests_answer_503_then_recover(database, folder):
    from urllib.parse import urlsplit

    parts = urlsplit(database)
    proxy = TcpProxy(parts.port or 5432).start()
    through_proxy = database.replace(f"{parts.hostname}:{parts.port or 5432}", f"127.0.0.1:{proxy.port}")
    # The page cache off, so every page asks the database.
    instance = Server(through_proxy, None, {"PAGE_CACHE_SECONDS": 0}).start(folder)
    try:
        _, section = first_clause(database)
        page = f"{VERSION}/sections/{section}"
        client = Client(instance)
        assert client.request("GET", page)[0] == 200
        proxy.stop()
        status, headers, body = Client(instance).request("GET", page)
        assert status == 503
        assert headers["retry-after"].isdigit()
        assert "try again" in body
        assert Client(instance).request("GET", "/readyz")[0] == 503
        assert Client(instance).request("GET", "/healthz")[0] == 200
        proxy.start()  # the database is back, on the same address; the app is not restarted
        deadline = time.monotonic() + 10
        while (status := Client(instance).request("GET", page)[0]) != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status == 200
        assert Client(instance).request("GET", "/readyz")[0] == 200
    finally:
        instance.stop()
        proxy.stop()
