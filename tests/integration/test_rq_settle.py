"""Comments settled by real RQ workers: the web instance only stores them; a separate worker process does the rest.

The two-instance and fault tests settle on a thread of the instance; this one runs the production layout
(`COMMENT_JOBS=rq`, `rq worker -w rq.worker.SimpleWorker korero-comments`) against PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg
import pytest

from tests.integration.live import (
    ROOT,
    SECRET,
    Server,
    first_clause,
    fresh_database,
    post_comment,
    redis_url,
    sign_in,
)

LETTER = (
    "We ask that no agency shares what whanau tell it about their health or their children with any other "
    "agency unless the family has agreed to it in writing first, and that every agency publishes each year "
    "how many times it shared such information and for what purpose. {}"
)


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory):
    database = fresh_database("korero_rq")
    redis = redis_url()
    folder = tmp_path_factory.mktemp("rq")
    server = Server(database, redis, {"COMMENT_JOBS": "rq"})
    try:
        server.start(folder)
        yield server, database, redis, folder
    finally:
        server.stop()


def _counts(database: str, clause_key: str) -> tuple[int, int]:
    with psycopg.connect(database) as connection:
        return connection.execute(
            "SELECT c.comment_count, (SELECT count(*) FROM comments m WHERE m.clause_id = c.id AND NOT m.processed)"
            " FROM clauses c JOIN versions v ON v.id = c.version_id"
            " WHERE v.slug = 'consultation-draft' AND c.key = %s",
            (clause_key,),
        ).fetchone()


def _work(database: str, redis: str, folder) -> subprocess.CompletedProcess[str]:
    """One RQ worker in burst mode: it settles what is queued, then exits."""
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis,
        "SECRET_KEY": SECRET,
        "KORERO_ENV": "development",
        "KORERO_INSTANCE": str(folder / "worker-instance"),
        "KORERO_COMMENT_SETTLE_PRESSURE": "0",  # settle at once, however busy the test machine is
    }
    command = [sys.executable, "-m", "rq.cli", "worker", "--burst", "-w", "rq.worker.SimpleWorker"]
    return subprocess.run(  # noqa: S603 - our own interpreter and rq's CLI
        [*command, "--url", redis, "korero-comments"],
        check=False,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_posted_comments_wait_for_the_worker_then_are_grouped_and_counted(instance):
    server, database, redis, folder = instance
    clause, _section = first_clause(database)
    count_before, _ = _counts(database, clause)
    marker = uuid.uuid4().hex[:8]
    for person in range(3):  # the same letter from three people: a campaign
        author = sign_in(server, f"person{person}@live.test")
        status, receipt = post_comment(author, clause, LETTER.format(f"({marker})"))
        assert status == 303, receipt
    # Acknowledged and stored, but nothing settled yet: no worker has run.
    count_now, unsettled = _counts(database, clause)
    assert (count_now, unsettled) == (count_before, 3)

    finished = _work(database, redis, folder)
    assert finished.returncode == 0, finished.stderr[-3000:]

    count_after, unsettled = _counts(database, clause)
    assert unsettled == 0
    assert count_after == count_before + 3
    with psycopg.connect(database) as connection:
        groups = connection.execute(
            "SELECT campaign_group_id FROM comments WHERE body LIKE %s", (f"%({marker})%",)
        ).fetchall()
        members = connection.execute(
            "SELECT g.member_count FROM campaign_groups g WHERE g.id = %s", (groups[0][0],)
        ).fetchone()
    assert len({row[0] for row in groups}) == 1
    assert groups[0][0] is not None
    assert members == (3,)

    # A second run finds nothing to do: the jobs were done once, and settling twice changes nothing.
    again = _work(database, redis, folder)
    assert again.returncode == 0, again.stderr[-3000:]
    assert _counts(database, clause) == (count_after, 0)
