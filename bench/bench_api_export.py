"""Benchmark the open-data exports and the API's comment list at a million comments (a script, not a test).

    .venv/bin/python bench/bench_api_export.py [--rows 1000000] [--runs 3] [--requests 200] [--pg URL]

Builds a scratch SQLite database (`alembic upgrade head`, one small version) and fills it with --rows published
comments by raw INSERTs, then prints, each the median of --runs runs beside a baseline from the same run:
With `--pg postgresql://host:port/db` the same runs go to that PostgreSQL database instead (its schema is
DROPPED and rebuilt: give it a scratch database), the rows are loaded with COPY, and the baselines are
PostgreSQL's own `COPY (…) TO STDOUT WITH CSV` through psql (to /dev/null) and the keyset query through psycopg.

(a) export rows per second and peak memory (max RSS of a fresh process) for the streamed CSV export of every
    comment of the version (`app.api.exporting`, through the app, written to /dev/null). Baseline: the sqlite3
    shell's own `.mode csv` of the same rows and columns (its `COPY … TO`), also to /dev/null.
(b) API list p50/p99: `GET /api/v1/…/comments?limit=50&cursor=…` at random keyset positions through the Flask
    test client (the whole app: routing, token check, query, presenters, marshmallow, JSON). Baseline: the same
    keyset query in SQL (sqlite3 module), ids only.
The machine has 2 cores shared with up to 7 other helpers: figures move by tens of percent between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXPORT_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from app import create_app
from tests.support.database import app_config
from pathlib import Path
from app.api import exporting
from app.extensions import db
from app.models import Version
app = create_app(app_config(Path({folder!r}), {url!r}))
with app.app_context():
    version = db.session.get(Version, 1)
    started = time.perf_counter()
    columns, records = exporting.rows(db.session, "comments", [version])
    with open("/dev/null", "w") as sink:
        for chunk in exporting.as_csv(columns, records):
            sink.write(chunk)
    elapsed = time.perf_counter() - started
print(json.dumps({{"seconds": elapsed, "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""

BASELINE_SQL = """.mode csv
.headers on
.output /dev/null
SELECT c.tracking_number, 'p/v', cl.key, s.key, c.created_at, u.display_name, 'individual', '', c.author_verified,
       c.body, c.quote_exact, NULL, c.campaign_group_id, 0
FROM comments c JOIN clauses cl ON cl.id = c.clause_id JOIN sections s ON s.id = cl.section_id
LEFT JOIN users u ON u.id = c.user_id WHERE c.version_id = 1 AND c.state = 'published' ORDER BY c.id;
"""


def _comment_row(i: int, clauses: list[int]) -> tuple[object, ...]:
    body = f"Comment number {i}: the clause should say more about consent, and about who decides."
    return (
        f"KR-{i:09d}",
        1,
        1,
        clauses[i % len(clauses)],
        body,
        f"<p>{body}</p>",
        "name",
        1,
        f"{i:064d}",
        "published",
        0,
        0,
        "2026-06-01 12:00:00",
    )


COMMENT_INSERT_COLUMNS = (
    "tracking_number, user_id, version_id, clause_id, body, body_html, display_as, author_verified,"
    " fingerprint_hash, state, report_count, reply_count, created_at"
)
BENCH_USER = (
    "INSERT INTO users (email, display_name, password_hash, role, session_token, created_at)"
    " VALUES ('bench@example.org', 'Bench Person', 'x', 'commenter', 'bench-token', '2026-01-01 00:00:00')"
)


def _schema(folder: Path, url: str) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.drafts.parsing import parse_draft
    from app.drafts.services import store_version
    from app.extensions import db
    from app.models import Policy
    from tests.factories import SMALL_DRAFT
    from tests.support.database import app_config, reset_schema

    if url.startswith("postgresql"):
        reset_schema(url)
    app = create_app(app_config(folder, url))
    with app.app_context():
        upgrade()
        policy = Policy(slug="bench", title="Bench Policy")
        db.session.add(policy)
        db.session.flush()
        text = SMALL_DRAFT.format(title="Bench Policy", label="First draft", status="published", period="")
        store_version(db.session, policy, parse_draft(text), "first-draft", 1, None)
        db.session.commit()
        db.engine.dispose()


def build(folder: Path, rows: int) -> str:
    url = f"sqlite:///{folder}/bench.db"
    _schema(folder, url)
    connection = sqlite3.connect(folder / "bench.db")
    connection.execute(BENCH_USER)
    clauses = [row[0] for row in connection.execute("SELECT id FROM clauses ORDER BY id")]
    started = time.perf_counter()
    for start in range(0, rows, 50_000):
        connection.executemany(
            f"INSERT INTO comments ({COMMENT_INSERT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",  # noqa: S608 - fixed column names, no outside input
            (_comment_row(i, clauses) for i in range(start, min(rows, start + 50_000))),
        )
    connection.commit()
    connection.close()
    print(f"seeded {rows:,} comments in {time.perf_counter() - started:.1f} s")
    return url


def build_pg(folder: Path, rows: int, pg: str) -> str:
    import psycopg

    from tests.support.database import sqlalchemy_url

    url = sqlalchemy_url(pg)
    _schema(folder, url)
    started = time.perf_counter()
    with psycopg.connect(pg) as connection:
        connection.execute(BENCH_USER)
        clauses = [row[0] for row in connection.execute("SELECT id FROM clauses ORDER BY id")]
        with connection.cursor().copy(f"COPY comments ({COMMENT_INSERT_COLUMNS}) FROM STDIN") as copy:
            for i in range(rows):
                copy.write_row(_comment_row(i, clauses))
        connection.execute("ANALYZE comments")
    print(f"seeded {rows:,} comments in {time.perf_counter() - started:.1f} s (COPY)")
    return url


def _run_child(args: list[str], stdin: str | None = None) -> tuple[str, float, int]:
    """Run one child under GNU time; its stdout, wall time and its own peak RSS in KiB.

    (`ru_maxrss` of a child forked from this process would count this process's memory before the exec.)
    """
    started = time.perf_counter()
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
        done = subprocess.run(  # noqa: S603 - our own fixed commands, no outside input
            ["/usr/bin/time", "-f", "%M", "-o", report.name, *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        elapsed = time.perf_counter() - started
        rss = int(report.read().strip().splitlines()[-1])
    return done.stdout, elapsed, rss


def _baseline_export(folder: Path, pg: str | None) -> tuple[str, float, int]:
    if pg is None:
        return _run_child(["sqlite3", str(folder / "bench.db")], BASELINE_SQL)
    select = BASELINE_SQL.split(".output /dev/null\n", 1)[1].strip().rstrip(";")
    return _run_child(
        ["psql", pg, "-q", "-o", "/dev/null", "-c", f"COPY ({select}) TO STDOUT WITH CSV HEADER"]
    )


def export_runs(folder: Path, url: str, rows: int, runs: int, pg: str | None = None) -> None:
    ours, base = [], []
    baseline_name = "PostgreSQL COPY TO (psql)" if pg else "sqlite3 .mode csv"
    for _ in range(runs):
        _out, elapsed, rss = _baseline_export(folder, pg)
        base.append({"seconds": elapsed, "max_rss_kb": rss})
        child = EXPORT_CHILD.format(root=str(ROOT), folder=str(folder), url=url)
        out, _elapsed, rss = _run_child([sys.executable, "-c", child])
        figures = json.loads(out.strip().splitlines()[-1])
        ours.append({"seconds": figures["seconds"], "max_rss_kb": rss})
    median = statistics.median
    print(f"(a) CSV export of {rows:,} comments, median of {runs}:")
    print(
        f"    Kōrero export (streamed, via the app): {rows / median(r['seconds'] for r in ours):>10,.0f} rows/s, "
        f"peak RSS {median(r['max_rss_kb'] for r in ours) / 1024:,.0f} MiB (the app and its imports included)"
    )
    print(
        f"    {baseline_name + ' (baseline):':<39}{rows / median(r['seconds'] for r in base):>10,.0f} rows/s, "
        f"peak RSS {median(r['max_rss_kb'] for r in base) / 1024:,.0f} MiB"
    )


def list_runs(folder: Path, url: str, rows: int, runs: int, requests: int, pg: str | None = None) -> None:
    from app import create_app
    from tests.support.database import app_config

    app = create_app(app_config(folder, url))
    app.config["PAGE_CACHE_SECONDS"] = 0
    path = "/api/v1/policies/bench/versions/first-draft/comments"
    query = (
        "SELECT id FROM comments WHERE version_id = 1 AND state IN ('hidden', 'published', 'withdrawn')"
        " AND id > ? ORDER BY id LIMIT 51"
    )
    if pg is None:
        raw: Any = sqlite3.connect(folder / "bench.db")
    else:
        import psycopg

        raw = psycopg.connect(pg, autocommit=True)
        query = query.replace("?", "%s")
    from app.api.requests import encode_cursor

    rng = random.Random(7)
    ours_p50, ours_p99, base_p50, base_p99 = [], [], [], []
    with app.app_context(), app.test_request_context():
        cursors = [encode_cursor("comments", rng.randrange(1, rows)) for _ in range(requests)]
    for _ in range(runs):
        client = app.test_client()
        times = []
        for cursor in cursors:
            started = time.perf_counter()
            response = client.get(path, query_string={"limit": 50, "cursor": cursor})
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"API answered {response.status_code}: {response.data[:200]!r}")
        times.sort()
        ours_p50.append(times[len(times) // 2])
        ours_p99.append(times[int(len(times) * 0.99) - 1])
        times = []
        for _cursor in cursors:
            after = rng.randrange(1, rows)
            started = time.perf_counter()
            raw.execute(query, (after,)).fetchall()
            times.append(time.perf_counter() - started)
        times.sort()
        base_p50.append(times[len(times) // 2])
        base_p99.append(times[int(len(times) * 0.99) - 1])
    ms = 1000
    median = statistics.median
    print(
        f"(b) API comment list (limit 50) at {rows:,} comments, {requests} requests a run, median of {runs}:"
    )
    print(
        f"    GET /api/v1/…/comments : p50 {median(ours_p50) * ms:7.2f} ms   p99 {median(ours_p99) * ms:7.2f} ms"
    )
    print(
        f"    same keyset SQL (baseline): p50 {median(base_p50) * ms:7.2f} ms   p99 {median(base_p99) * ms:7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--pg", metavar="URL", help="a scratch PostgreSQL database (its schema is dropped and rebuilt)"
    )
    args = parser.parse_args()
    os.environ.setdefault("KORERO_ENV", "development")
    where = "PostgreSQL (local, shared)" if args.pg else "SQLite (file, WAL off)"
    print(f"machine: 2 cores shared with up to 7 other helpers; {where}")
    with tempfile.TemporaryDirectory(prefix="korero-bench-") as tmp:
        folder = Path(tmp)
        url = build_pg(folder, args.rows, args.pg) if args.pg else build(folder, args.rows)
        export_runs(folder, url, args.rows, args.runs, args.pg)
        list_runs(folder, url, args.rows, args.runs, args.requests, args.pg)


if __name__ == "__main__":
    main()
