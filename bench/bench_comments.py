"""Benchmark commenting (a script, not a test).

    .venv/bin/python bench/bench_comments.py [--runs N] [--requests N] [--pg URL]

With --pg (or a postgres DATABASE_URL) the same figures are measured on a scratch PostgreSQL database too.
Printed, each the median of --runs runs (at least 5), beside a baseline measured in the same run:

(a) comments accepted per second: signed-in POSTs of the comment form through the whole HTTP stack (gunicorn,
    one gthread worker, one thread, keep-alive, a real server on 127.0.0.1), CSRF ON with a real token read
    from the form page, the honeypot and time stamp checked, rate limits OFF; each POST is a new text on the
    same clause (so the duplicate check and the campaign comparison run), answered by a 303 to its receipt.
    Baseline: one-row-per-commit INSERTs of comment rows into the same database (SQLAlchemy Core, one
    connection), with no HTTP, no validation, no rendering.
(b) the busiest section page's requests per second, with 10 and with 10,000 comments (plus replies) on its
    clauses, beside Flask serving a pre-rendered string of the same size through the same server.
Each run's figure is 1 / the median request time over --requests requests on one keep-alive connection.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402 - the repository root must be on the path first
from bench_foundation import build_schema, postgres_database  # noqa: E402
from bench_foundation import gunicorn as serve_on_gunicorn  # noqa: E402
from flask import Flask  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.services import create_user  # noqa: E402
from app.comments.forms import sign_shown_at  # noqa: E402
from app.drafts.services import import_drafts  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Comment, Version  # noqa: E402
from app.models.base import utcnow  # noqa: E402

DRAFTS = ROOT / "policy_drafts"
SECRET = "bench-secret-key-not-for-production"  # noqa: S105 - a throwaway local server
PASSWORD = "bench password 2019"  # noqa: S105
WORDS = [
    "data",
    "people",
    "agencies",
    "trust",
    "consent",
    "share",
    "collect",
    "purpose",
    "value",
    "whanau",
    "iwi",
    "community",
    "records",
    "privacy",
    "retention",
    "access",
    "safe",
    "fair",
    "open",
    "clear",
    "reasons",
    "choice",
    "service",
    "guidance",
    "principle",
    "practice",
    "review",
    "information",
    "research",
    "analysis",
    "oversight",
    "kaitiakitanga",
    "manaakitanga",
    "partnership",
    "decisions",
    "respect",
]


def bench_config(url: str, instance: Path) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": SECRET,
        "INSTANCE_PATH": str(instance),
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": None,
        "WTF_CSRF_ENABLED": True,
    }


def random_text(rng: random.Random, words: int = 40) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)) + f" ({rng.getrandbits(48):x})."


# --- data --------------------------------------------------------------------------------------------


def prepare(app: Flask) -> dict[str, Any]:
    """Import the drafts, open the consultation draft for comment, make a user; find the busiest section."""
    with app.app_context():
        import_drafts(db.session, DRAFTS)
        version = db.session.scalar(sa.select(Version).where(Version.slug == "consultation-draft"))
        now = utcnow()
        version.comments_open_at = now.replace(year=now.year - 1)
        version.comments_close_at = now.replace(year=now.year + 1)
        create_user(db.session, "bench@example.org", "Bench User", PASSWORD, verified=True)
        section = max(version.sections, key=lambda s: len(s.clauses))
        clause = section.clauses[0]
        info = {
            "version_id": version.id,
            "section_id": section.id,
            "clause_ids": [c.id for c in section.clauses],
            "section_path": f"/policies/{version.policy.slug}/versions/{version.slug}/sections/{section.key}",
            "form_path": f"/policies/{version.policy.slug}/versions/{version.slug}/clauses/{clause.key}/comment",
            "clause_id": clause.id,
        }
        db.session.commit()
        db.engine.dispose()
    return info


def seed_comments(app: Flask, info: dict[str, Any], total: int, rng: random.Random) -> None:
    """Give the section's clauses `total` published comments in all (a fifth of them replies), counts kept."""
    from app.comments.services import refresh_counts

    with app.app_context():
        clause_ids = info["clause_ids"]
        db.session.execute(sa.delete(Comment).where(Comment.clause_id.in_(clause_ids)))
        rows = []
        for n in range(total):
            body = random_text(rng, 30)
            rows.append(
                {
                    "tracking_number": f"KR-B{n:07d}"[:16],
                    "version_id": info["version_id"],
                    "clause_id": clause_ids[n % len(clause_ids)],
                    "body": body,
                    "body_html": f"<p>{body}</p>",
                    "display_as": "name",
                    "author_verified": True,
                    "fingerprint_hash": f"{n:064x}",
                    "state": "published",
                    "created_at": utcnow(),
                }
            )
        db.session.execute(sa.insert(Comment), rows)
        top = db.session.execute(
            sa.select(Comment.id, Comment.clause_id)
            .where(Comment.clause_id.in_(clause_ids))
            .order_by(Comment.id)
        ).all()
        # Every fifth comment becomes a reply to an earlier comment on its clause.
        firsts: dict[int, int] = {}
        replies = []
        for n, (comment_id, clause_id) in enumerate(top):
            if n % 5 == 4 and clause_id in firsts:
                replies.append({"id": comment_id, "parent_id": firsts[clause_id]})
            firsts.setdefault(clause_id, comment_id)
        if replies:
            db.session.execute(sa.update(Comment), replies)
        refresh_counts(db.session, clause_ids)
        db.session.commit()
        db.engine.dispose()


# --- the server --------------------------------------------------------------------------------------


def server_app() -> Flask:
    """What gunicorn serves (it imports this module): the real app, or the pre-rendered baseline."""
    if os.environ["BENCH_MODE"] == "app":
        return create_app(json.loads(os.environ["BENCH_CONFIG"]))
    body = Path(os.environ["BENCH_BODY"]).read_text(encoding="utf-8")
    baseline = Flask("baseline")
    baseline.add_url_rule("/page", "page", lambda: body)
    return baseline


@contextmanager
def gunicorn(env: dict[str, str]) -> Iterator[int]:
    """Serve this module's server_app() on gunicorn (one gthread worker, one thread) until the block ends."""
    with serve_on_gunicorn(env, "bench_comments:server_app()") as port:
        yield port


class Browser:
    """One keep-alive connection that keeps cookies, like a browser tab."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body: bytes | None = None
        if form is not None:
            body = urlencode(form).encode(
                "ascii"
            )  # bytes: sent with the headers in one packet (no Nagle delay)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8")
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, response.headers.get("Location", ""), text

    def close(self) -> None:
        self.connection.close()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if match is None:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


# --- (a) comments accepted per second ----------------------------------------------------------------


def time_posts(port: int, info: dict[str, Any], app: Flask, requests: int, rng: random.Random) -> float:
    """Median seconds per accepted comment POST (303 to a receipt) over one signed-in keep-alive connection."""
    browser = Browser(port)
    status, _, page = browser.request("GET", "/login")
    status, location, _ = browser.request(
        "POST", "/login", {"email": "bench@example.org", "password": PASSWORD, "csrf_token": csrf_from(page)}
    )
    if status not in (302, 303):
        raise RuntimeError(f"login failed: {status}")
    status, _, form_page = browser.request("GET", info["form_path"])
    if status != 200:
        raise RuntimeError(f"comment form: {status}")
    token = csrf_from(form_page)
    with app.test_request_context():
        shown_at = sign_shown_at(time.time() - 10)  # a form shown ten seconds ago
    times = []
    for _ in range(requests):
        form = {
            "csrf_token": token,
            "body": random_text(rng),
            "display_as": "name",
            "website": "",
            "shown_at": shown_at,
        }
        start = time.perf_counter()
        status, location, _ = browser.request("POST", info["form_path"], form)
        times.append(time.perf_counter() - start)
        if status != 303 or "/receipts/" not in location:
            raise RuntimeError(f"comment not accepted: {status} {location}")
    browser.close()
    return statistics.median(times)


def time_raw_inserts(url: str, info: dict[str, Any], requests: int, rng: random.Random) -> float:
    """Median seconds per one-row INSERT + COMMIT of a comment row, one connection."""
    engine = sa.create_engine(url)
    table = Comment.__table__
    times = []
    with engine.connect() as connection:
        for n in range(requests):
            body = random_text(rng)
            row = {
                "tracking_number": f"KR-R{rng.getrandbits(40):x}"[:16],
                "version_id": info["version_id"],
                "clause_id": info["clause_id"],
                "body": body,
                "body_html": f"<p>{body}</p>",
                "display_as": "name",
                "author_verified": True,
                "fingerprint_hash": f"{n:064x}",
                "state": "published",
                "created_at": utcnow(),
            }
            start = time.perf_counter()
            connection.execute(sa.insert(table), row)
            connection.commit()
            times.append(time.perf_counter() - start)
    engine.dispose()
    return statistics.median(times)


# --- (b) the section page ----------------------------------------------------------------------------


def time_gets(port: int, path: str, requests: int) -> tuple[float, int]:
    browser = Browser(port)
    size = 0
    times = []
    for n in range(requests + 2):
        start = time.perf_counter()
        status, _, body = browser.request("GET", path)
        if n >= 2:
            times.append(time.perf_counter() - start)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status}")
        size = len(body.encode("utf-8"))
    browser.close()
    return statistics.median(times), size


# --- running -----------------------------------------------------------------------------------------


def run_database(label: str, url: str, runs: int, requests: int, rows: list[tuple[str, ...]]) -> None:
    rng = random.Random(2019)
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        config = bench_config(url, instance)
        app = create_app(config)
        build_schema(app)
        info = prepare(app)
        env = {"BENCH_MODE": "app", "BENCH_CONFIG": json.dumps(config)}

        accepted, inserted = [], []
        with gunicorn(env) as port:
            for _ in range(runs):
                accepted.append(1 / time_posts(port, info, app, requests, rng))
                inserted.append(1 / time_raw_inserts(url, info, requests, rng))
        a, b = statistics.median(accepted), statistics.median(inserted)
        rows.append(
            (
                label,
                "(a) comments accepted / s (HTTP, CSRF on)",
                f"{a:,.0f}",
                "raw 1-row INSERT+COMMIT / s",
                f"{b:,.0f}",
                f"{a / b:.2f}",
            )
        )

        for total in (10, 10_000):
            seed_comments(app, info, total, rng)
            page_rates, uncached_rates, base_rates = [], [], []
            # The same app with the anonymous page cache off: what a signed-in reader (or a cache miss) costs.
            uncached_env = {**env, "BENCH_CONFIG": json.dumps({**config, "PAGE_CACHE_SECONDS": 0})}
            with gunicorn(env) as port, gunicorn(uncached_env) as uncached_port:
                _, size = time_gets(port, info["section_path"], 3)
                _, _, html = Browser(port).request("GET", info["section_path"])
                body_file = instance / "page.html"
                body_file.write_text(html, encoding="utf-8")
                with gunicorn({"BENCH_MODE": "static", "BENCH_BODY": str(body_file)}) as base_port:
                    for _ in range(runs):
                        page_rates.append(1 / time_gets(port, info["section_path"], requests)[0])
                        uncached_rates.append(
                            1 / time_gets(uncached_port, info["section_path"], max(20, requests // 5))[0]
                        )
                        base_rates.append(1 / time_gets(base_port, "/page", requests)[0])
            p, u, q = (statistics.median(r) for r in (page_rates, uncached_rates, base_rates))
            rows.append(
                (
                    label,
                    f"(b) section page / s, {total:,} comments ({size // 1024} KiB), anonymous",
                    f"{p:,.0f}",
                    "pre-rendered page / s",
                    f"{q:,.0f}",
                    f"{p / q:.2f}",
                )
            )
            rows.append(
                (
                    label,
                    f"(b) the same with the page cache off ({total:,} comments)",
                    f"{u:,.0f}",
                    "pre-rendered page / s",
                    f"{q:,.0f}",
                    f"{u / q:.2f}",
                )
            )
        with app.app_context():
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--pg", default=None, help="a PostgreSQL server URL to create a scratch database on")
    args = parser.parse_args()
    runs = max(5, args.runs)
    pg = args.pg or (
        os.environ.get("DATABASE_URL") if "postgres" in os.environ.get("DATABASE_URL", "") else None
    )

    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as folder:
        run_database("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}", runs, args.requests, rows)
    if pg:
        url = (
            pg.replace("postgresql://", "postgresql+psycopg://", 1) if pg.startswith("postgresql://") else pg
        )
        with postgres_database(url) as scratch:
            run_database("PostgreSQL", scratch, runs, args.requests, rows)

    print(f"\nMedians of {runs} runs; each run is 1 / median request time over {args.requests} requests,")
    print("one keep-alive connection to gunicorn (1 gthread worker, 1 thread) on 127.0.0.1.")
    header = ("database", "measure", "value", "baseline", "baseline value", "ratio")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
