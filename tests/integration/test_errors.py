"""The unexpected error as production meets it: nothing half-written is kept, and the page needs no database.

These tests build their own app with TESTING and PROPAGATE_EXCEPTIONS off (the test app lets exceptions
propagate to the test, so Flask's 500 handler never runs there), with a test-only route added before its first
request. They use the session's migrated database directly, not the rolled-back test transaction: a row that
escaped the rollback must be really committed to be seen.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import _create_identifier

from app import create_app
from app.extensions import db
from app.models import Policy
from tests.conftest import test_config as config_for_tests


class Boom(RuntimeError):
    """The unexpected: a bug, not a domain error."""


def production_like(config: dict[str, object], routes: Callable[[Flask], None]) -> Flask:
    app = create_app({**config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False, "DEBUG": False})
    routes(app)
    return app


@pytest.fixture
def make_app(database: tuple[Path, str]) -> Iterator[Callable[..., Flask]]:
    built: list[Flask] = []

    def make(routes: Callable[[Flask], None], **overrides: object) -> Flask:
        tmp_dir, url = database
        app = production_like({**config_for_tests(tmp_dir, url), **overrides}, routes)
        built.append(app)
        return app

    yield make
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_an_unexpected_error_is_a_500_page_and_its_writes_are_rolled_back(make_app, database):
    slug = f"never-stored-{uuid.uuid4().hex[:12]}"

    def routes(app: Flask) -> None:
        @app.get("/_test/write-then-fail")
        def write_then_fail():
            db.session.add(Policy(slug=slug, title="Half-written", moderation="post"))
            db.session.flush()  # the row is in the transaction: only a rollback keeps it out
            raise Boom("a bug after a write")

    app = make_app(routes)
    response = app.test_client().get("/_test/write-then-fail")

    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    engine = sa.create_engine(database[1])
    try:
        with engine.connect() as connection:
            stored = connection.scalar(
                sa.select(sa.func.count())
                .where(sa.column("slug") == slug)
                .select_from(sa.table("policies", sa.column("slug")))
            )
        assert stored == 0, "the half-written row was committed"
    finally:
        with engine.begin() as connection:  # if the test failed, leave no row for other tests to trip on
            connection.execute(sa.text("DELETE FROM policies WHERE slug = :slug"), {"slug": slug})
        engine.dispose()


def test_an_unexpected_error_is_problem_json_for_the_api(make_app):
    def routes(app: Flask) -> None:
        @app.get("/api/_test/fail")
        def fail():
            raise Boom("a bug in the API")

    response = make_app(routes).test_client().get("/api/_test/fail")

    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 500


# --- the database is gone --------------------------------------------------------------------------------------


def closed_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed once the socket is: nothing listens there


UNREACHABLE = {
    "postgresql": lambda tmp: f"postgresql+psycopg://korero@127.0.0.1:{closed_port()}/gone?connect_timeout=2",
    "sqlite": lambda tmp: f"sqlite:///{tmp / 'no-such-folder' / 'gone.db'}",
}


@pytest.fixture(params=sorted(UNREACHABLE))
def unreachable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return UNREACHABLE[request.param](tmp_path)


def query_routes(app: Flask) -> None:
    @app.get("/_test/query")
    def query():
        db.session.execute(sa.text("SELECT 1"))
        return "unreachable database answered"

    @app.get("/_test/query-then-fail")
    def query_then_fail():
        # A bug that swallows the database error, then fails in some other way.
        with contextlib.suppress(sa.exc.OperationalError):
            db.session.execute(sa.text("SELECT 1"))
        raise Boom("a bug while the database is down")


BROWSER = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "Mozilla/5.0 (test)"}


def signed_in_client(app: Flask) -> FlaskClient:
    """A client whose session cookie says someone is signed in: loading them would need the database."""
    client = app.test_client()
    client.environ_base.update(BROWSER)
    with app.test_request_context(environ_base=BROWSER):
        identifier = _create_identifier()  # Flask-Login's "strong" session protection checks it
    with client.session_transaction() as session:
        session.update({"_user_id": "a-session-token", "_fresh": True, "_id": identifier})
    return client


def test_the_busy_page_renders_when_the_database_is_unreachable(make_app, unreachable_url):
    app = make_app(query_routes, SQLALCHEMY_DATABASE_URI=unreachable_url, SQLALCHEMY_ENGINE_OPTIONS={})

    response = app.test_client().get("/_test/query")

    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "Please try again" in response.get_data(as_text=True)


def test_the_500_page_renders_when_the_database_is_unreachable(make_app, unreachable_url):
    app = make_app(query_routes, SQLALCHEMY_DATABASE_URI=unreachable_url, SQLALCHEMY_ENGINE_OPTIONS={})
    client = signed_in_client(app)

    response = client.get("/_test/query-then-fail")

    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


def test_the_busy_page_renders_for_a_signed_in_visitor_too(make_app, unreachable_url):
    app = make_app(query_routes, SQLALCHEMY_DATABASE_URI=unreachable_url, SQLALCHEMY_ENGINE_OPTIONS={})
    client = signed_in_client(app)

    response = client.get("/_test/query")

    assert response.status_code == 503
