"""Issue 14's drafting races against a real server: two saves of one section at once, two starts at once.

A gunicorn with two workers of two threads each serves a database of its own: PostgreSQL when TEST_DATABASE_URL
is set (CI's PostgreSQL pass), else a SQLite file — so each pass of the suite checks its own database. Two
drafters, each with a session of their own, send the same request at the same moment (a barrier releases both
threads); every round must end with exactly one accepted and one refused in words (409/400) — never both
accepted (a lost write) and never a 500.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql

from tests.integration.live import PASSWORD, Client, Server, sign_in, worker_index
from tests.support.database import sqlalchemy_url

ROOT = Path(__file__).resolve().parents[2]
POLICY = "data-protection-and-use-policy"
ROUNDS = 4


def _database(folder: Path) -> str:
    """A fresh database for this module: PostgreSQL on TEST_DATABASE_URL's server, else a SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{folder / 'races.db'}"
    base = sqlalchemy_url(url).replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    name = f"korero_races_{worker_index()}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{base}/{name}"


def _build(url: str, folder: Path) -> None:
    """Schema by the migrations, the project's drafts, two drafters."""
    from flask_migrate import upgrade

    from app import create_app
    from app.auth.services import create_user
    from app.drafts.services import import_drafts
    from app.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url),
            "SECRET_KEY": "x",
            "PDF_PRERENDER": False,
            "INSTANCE_PATH": str(folder),
            "REDIS_URL": None,
        }
    )
    with app.app_context():
        upgrade()
        import_drafts(db.session, ROOT / "policy_drafts")
        for n in range(2):
            create_user(
                db.session, f"drafter{n}@live.test", f"Drafter {n}", PASSWORD, role="drafter", verified=True
            )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    folder = tmp_path_factory.mktemp("races")
    url = _database(folder)
    _build(url, folder)
    server_url = url if url.startswith("sqlite") else sqlalchemy_url(url)
    server = Server(
        server_url, None, {"RATELIMIT_ENABLED": False, "PAGE_CACHE_SECONDS": 0}, workers=2, threads=2
    )
    try:
        server.start(folder)
        engine = sa.create_engine(sqlalchemy_url(url))
        yield SimpleNamespace(server=server, engine=engine, url=url)
        engine.dispose()
    finally:
        server.stop()


def at_once(*calls):
    """Run each call in its own thread, released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call) -> None:
        barrier.wait()
        results[index] = call()[0]  # the status

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def drafters(site) -> tuple[Client, Client]:
    return sign_in(site.server, "drafter0@live.test"), sign_in(site.server, "drafter1@live.test")


def scalar(site, query: str, **params) -> object:
    with site.engine.connect() as connection:
        return connection.execute(sa.text(query), params).scalar()


def test_two_starts_of_one_version_at_once_make_one(site):
    first, second = drafters(site)
    for n in range(ROUNDS):
        label = f"Race start {n}"
        path = f"/drafting/{POLICY}/start"
        results = at_once(
            partial(first.request, "POST", path, {"label": label}),
            partial(second.request, "POST", path, {"label": label}),
        )
        assert sorted(results) in ([303, 400], [303, 409]), f"round {n}: {results}"
        count = scalar(site, "SELECT count(*) FROM versions WHERE label = :label", label=label)
        assert count == 1, f"round {n}: {count} versions"


def _section(site, slug: str) -> tuple[int, str, str]:
    """A working version's revision and its first section's key and source text (as the edit page shows it)."""
    from app.drafting.services import _section_sources, text_hash
    from app.drafts.parsing import parse_draft

    with site.engine.connect() as connection:
        revision, source = connection.execute(
            sa.text("SELECT revision, source_markdown FROM versions WHERE slug = :slug"), {"slug": slug}
        ).one()
    section = _section_sources(source, parse_draft(source))[0]
    assert section.hash == text_hash(section.text)
    return revision, section.key, section.text


def test_two_saves_of_one_section_at_once_are_never_both_accepted(site):
    first, second = drafters(site)
    status, headers, _ = first.request("POST", f"/drafting/{POLICY}/start", {"label": "Race saves"})
    assert status == 303
    slug = headers["location"].rstrip("/").rsplit("/", 1)[-1]
    from app.drafting.services import text_hash

    for n in range(ROUNDS):
        revision, key, text = _section(site, slug)
        base = {"revision": str(revision), "text_hash": text_hash(text), "save": "1"}
        mine = text + f"\n\nA clause that drafter 0 added in round {n}."
        theirs = text + f"\n\nA clause that drafter 1 added in round {n}."
        path = f"/drafting/{POLICY}/{slug}/sections/{key}"
        results = at_once(
            partial(first.request, "POST", path, {**base, "text": mine}),
            partial(second.request, "POST", path, {**base, "text": theirs}),
        )
        assert sorted(results) == [303, 409], f"round {n}: {results}"
        after_revision, _, after = _section(site, slug)
        assert after_revision == revision + 1, f"round {n}: one save, one revision"
        winner, loser = ("drafter 0", "drafter 1") if results[0] == 303 else ("drafter 1", "drafter 0")
        assert f"{winner} added in round {n}" in after, f"round {n}: the accepted text is the one stored"
        assert f"{loser} added in round {n}" not in after, f"round {n}: the refused text is not"
