"""The test database and the app's test settings, shared by the integration and the browser tests."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa


def sqlalchemy_url(url: str) -> str:
    """A postgres:// or postgresql:// URL as SQLAlchemy's psycopg 3 URL; anything else as it is."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def give_each_worker_its_own_database() -> None:
    """Under pytest-xdist, point TEST_DATABASE_URL at a database of this worker's own (made if missing).

    Every fixture that builds or copies a database starts from TEST_DATABASE_URL, so with two workers each
    builds its schema in its own database instead of both dropping and building one at once.
    """
    url = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker or os.environ.get("KORERO_TEST_DB_WORKER") == worker:
        return
    import psycopg
    from psycopg import sql

    plain = sqlalchemy_url(url).replace("postgresql+psycopg://", "postgresql://")
    root, _, name = plain.rpartition("/")
    own = f"{name}_{worker}"
    with psycopg.connect(f"{root}/postgres", autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (own,)).fetchone()
        if found is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(own)))
    os.environ["TEST_DATABASE_URL"] = f"{root}/{own}"
    os.environ["KORERO_TEST_DB_WORKER"] = worker


def database_url(tmp_dir: Path, sqlite_name: str = "test.db") -> str:
    """TEST_DATABASE_URL (PostgreSQL in CI), else a fresh SQLite file for this run."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return sqlalchemy_url(url)
    return f"sqlite:///{tmp_dir / sqlite_name}"


def reset_schema(url: str) -> None:
    """Drop everything in the test database, so `upgrade head` builds it from nothing."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        else:
            existing = sa.MetaData()
            existing.reflect(connection)
            existing.drop_all(connection)
    engine.dispose()


def app_config(tmp_dir: Path, url: str) -> dict[str, object]:
    """The settings every test app starts from: production's, less CSRF, rate limits, Redis and prerendering."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(tmp_dir),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": None,
        # The page cache is on, as in production (app/caching.py's default): the test client commits before
        # each request, so the cache sees every change. A test that needs it off says so.
        "PAGE_CACHE_SECONDS": 10.0,
        "PAGE_CACHE_MIN_AGE": 0.0,  # every change shows at once; test_page_cache.py tests the floor
        "PDF_PRERENDER": False,
        "COMMENT_SETTLE_PRESSURE": 0,  # never held back for a busy machine: test_comment_jobs.py tests that
        "COMMENT_JOBS": "inline",  # a comment's grouping and counts are done as its POST commits  # tests render the PDFs they check, in the foreground
        "SERVER_NAME": "korero.test",
        "PREFERRED_URL_SCHEME": "http",
    }
