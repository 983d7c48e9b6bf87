"""The suggested-themes job on its production path: queued on RQ after the commit, run by a worker.

Redis database 14 is this test's alone (flushed before and after); the worker is an in-process RQ SimpleWorker
in burst mode, so the job runs through Redis exactly as a `rq worker` would run it, with the test's app standing
in for the one the job builds for itself. Skipped when Redis is not reachable.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.analysis import jobs
from app.boundary import unit_of_work
from app.extensions import db
from app.models import Role, ThemeRun, ThemeSuggestion, User, Version
from tests.factories import make_comment, make_user, make_version
from tests.support.database import app_config, database_url, reset_schema, sqlalchemy_url

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture(scope="module")
def redis_connection() -> Iterator[object]:
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.flushdb()
    except RedisDown:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    yield connection
    connection.flushdb()


def _own_database(tmp: Path) -> str:
    """A database of this module's own: the worker must read committed rows, which the shared test database's
    rolled-back transactions never hold."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return database_url(tmp, "themes_rq.db")
    import psycopg
    from psycopg import sql

    root, _, name = base.rpartition("/")
    own = f"{name}_themes_rq"
    with psycopg.connect(f"{root}/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(own)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(own)))
    return sqlalchemy_url(f"{root}/{own}")


@pytest.fixture(scope="module")
def rq_app(tmp_path_factory: pytest.TempPathFactory, redis_connection: object) -> Iterator[Flask]:
    """An app on a committed database of its own (the worker reads what the request committed)."""
    from flask_migrate import upgrade

    tmp: Path = tmp_path_factory.mktemp("themes-rq")
    url = _own_database(tmp)
    reset_schema(url)
    app = create_app(
        {
            **app_config(tmp, url),
            "PAGE_CACHE_SECONDS": 0,
            "REDIS_URL": REDIS_URL,
            "ANALYSIS_JOBS": "rq",
            "INTAKE_IMPORT_JOBS": "rq",
        }
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


RIVERS = [
    "The river is polluted and the water is dirty.",
    "Clean the river water, fish are dying.",
    "Water quality in the river must improve.",
    "River water pollution is my worry.",
    "Protect the river water from farm runoff.",
]
HOUSES = [
    "Rents are too high and housing is scarce.",
    "Build more housing, rents keep rising.",
    "Housing costs and rents push families out.",
    "Affordable housing and fair rents please.",
    "Rents and housing shortage hurt young people.",
]


def test_a_themes_run_is_queued_after_the_commit_and_a_worker_does_it(rq_app, redis_connection, monkeypatch):
    from rq import Queue, SimpleWorker

    with rq_app.app_context(), unit_of_work() as session:
        version = make_version(session, policy_slug="themes-rq")
        for body in RIVERS + HOUSES:
            make_comment(session, make_user(session), version, "purpose-1", body=body)
        version_id = version.id
        analyst_id = make_user(session, Role.REVIEWER.value).id
    queue = Queue(jobs.RQ_QUEUE, connection=redis_connection)
    with rq_app.app_context(), unit_of_work() as session:
        run = jobs.start_run(
            session, session.get_one(User, analyst_id), session.get_one(Version, version_id), 2, 0
        )
        run_id = run.id
        assert queue.count == 0  # nothing is queued before the commit: a rolled-back request queues nothing
    assert queue.count == 1
    assert queue.jobs[0].id == f"korero-themes-{run_id}"
    # The job builds its own app (a worker process has none): here, the test's.
    monkeypatch.setattr("app.create_app", lambda *args, **kwargs: rq_app)
    SimpleWorker([queue], connection=redis_connection).work(burst=True)
    assert queue.count == 0
    with rq_app.app_context():
        done = db.session.get_one(ThemeRun, run_id)
        assert (done.status, done.progress, done.error) == ("done", 100, "")
        suggestions = db.session.scalars(
            select(ThemeSuggestion).where(ThemeSuggestion.run_id == run_id)
        ).all()
        assert len(suggestions) == 2
        assert sorted(len(s.members) for s in suggestions) == [5, 5]
        db.session.remove()


def test_a_table_import_runs_on_rq_through_the_same_runner(rq_app, redis_connection, monkeypatch):
    from rq import Queue, SimpleWorker

    from app.intake import jobs as import_jobs
    from app.models import ImportRun, Submission
    from tests.integration.test_import_jobs import rows

    with rq_app.app_context(), unit_of_work() as session:
        version_id = make_version(session, policy_slug="import-rq").id
        staff_id = make_user(session, "intake").id
    queue = Queue(import_jobs.RQ_QUEUE, connection=redis_connection)
    with rq_app.app_context(), unit_of_work() as session:
        run = import_jobs.start_import(
            session,
            session.get_one(User, staff_id),
            session.get_one(Version, version_id),
            "paper.csv",
            rows(4),
            dry_run=False,
        )
        run_id = run.id
        assert queue.count == 0
    assert [job.id for job in queue.jobs] == [f"korero-import-{run_id}"]
    monkeypatch.setattr("app.create_app", lambda *args, **kwargs: rq_app)
    SimpleWorker([queue], connection=redis_connection).work(burst=True)
    with rq_app.app_context():
        done = db.session.get_one(ImportRun, run_id)
        assert (done.status, done.created_count, done.error) == ("done", 4, None)
        assert done.heartbeat_at is not None
        assert (
            len(db.session.scalars(select(Submission).where(Submission.version_id == version_id)).all()) == 4
        )
        db.session.remove()
