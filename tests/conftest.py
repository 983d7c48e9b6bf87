"""Shared fixtures: an app on a real database (SQLite by default, PostgreSQL with TEST_DATABASE_URL).

The schema is built once per run by `alembic upgrade head`; each test runs inside an outer transaction that is
rolled back, so tests never see each other's rows. Services' commits become savepoint releases.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import flask_babel
import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.test import TestResponse

from app import create_app
from app.caching import page_cache
from app.extensions import db
from tests.support.database import app_config as test_config
from tests.support.database import database_url, give_each_worker_its_own_database, reset_schema

give_each_worker_its_own_database()  # before any fixture reads TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parent.parent
DRAFTS = ROOT / "policy_drafts"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Hash with argon2's cheapest profile: production cost only slows tests, the logic is the same."""
    from argon2 import PasswordHasher, profiles

    from app.auth import services

    monkeypatch.setattr(services, "password_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
    services._dummy_hash.cache_clear()  # the dummy hash for unknown emails follows the hasher
    yield
    services._dummy_hash.cache_clear()


@pytest.fixture(autouse=True)
def rate_limits_off() -> Iterator[None]:
    """Start and end every test with rate limits off.

    Flask-Limiter's `limiter` is one object shared by every app the tests build, and `init_app` copies the
    newest app's RATELIMIT_ENABLED onto it; tests of the limits build an app with limits on and must not leak
    that into the next test.
    """
    from app.extensions import limiter

    limiter.enabled = False
    yield
    limiter.enabled = False


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Build the test database once by upgrading to head."""
    from flask_migrate import upgrade

    tmp_dir = tmp_path_factory.mktemp("instance")
    url = database_url(tmp_dir)
    reset_schema(url)
    app = create_app(test_config(tmp_dir, url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return tmp_dir, url


@pytest.fixture(scope="session")
def base_app(database: tuple[Path, str]) -> Iterator[Flask]:
    tmp_dir, url = database
    app = create_app(test_config(tmp_dir, url))
    app.test_client_class = BoundaryClient
    yield app
    with app.app_context():
        db.engine.dispose()


class BoundaryClient(FlaskClient):
    """A test client whose requests see only what the test committed, as a real client would.

    Tests share one session with the requests they make (one app context); the request boundary rolls that
    session back on any error, so the test's own pending rows are committed (a savepoint released inside the
    outer, rolled-back transaction) before each request. The shared app context also keeps `g` from one request
    to the next, where a real server starts each request afresh: so the signed-in user Flask-Login cached and
    the locale Flask-Babel chose are forgotten before each request, as they would be.
    """

    def open(self, *args: object, **kwargs: object) -> TestResponse:  # type: ignore[override]
        db.session.commit()
        g.pop("_login_user", None)
        flask_babel.refresh()
        return super().open(*args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def app(base_app: Flask) -> Iterator[Flask]:
    """The app with every database call inside one rolled-back transaction."""
    with base_app.app_context():
        engines = db._app_engines[base_app]
        engine = engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        engines[None] = connection  # a Connection binds sessions as an Engine would
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
        # The page cache is on (as in production) and outlives the test; the last test's pages showed rows
        # that were rolled back, so start from an empty cache.
        page_cache().bump([], hard=["site"])
        try:
            yield base_app
        finally:
            db.session.remove()
            engines[None] = engine
            transaction.rollback()
            connection.close()


@pytest.fixture
def session(app: Flask) -> sa.orm.Session:
    return db.session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def imported(app: Flask) -> None:
    """The project's drafts, imported."""
    from app.drafts.services import import_drafts

    import_drafts(db.session, DRAFTS)
    db.session.flush()
