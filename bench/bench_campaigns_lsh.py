"""Benchmark campaign grouping across a whole version (a script, not a test).

    .venv/bin/python bench/bench_campaigns_lsh.py [--sizes 10000 100000] [--runs 5] [--pg URL] [--skip-quality]

(a) Quality on tests/data/campaigns_labelled.jsonl (6 form-letter campaigns of 25 edited letters, 21 independent
    comments, 6 of them borrowing one campaign sentence), each posted through the comment service on a random
    clause of one version: pairwise precision, recall and F1 of the campaign groups against the labels, and how many
    independent comments were grouped. Baseline in the same run: the clause-only grouping (the version-wide MinHash
    step switched off).
(b) Cost per new comment of the version-wide step (band keys, one indexed lookup, candidate checks, keys stored)
    with N comments already in the version: median over 50 new comments, --runs times, for each N, and its
    ratio to the first size's in the same run (a size may be given twice, e.g. `--sizes 10000 1000000 10000`, to
    see how much the machine's load moved between them). On SQLite by default; with --pg on that PostgreSQL
    database (its schema is rebuilt), the comments and their band keys COPYed in, the keys computed by
    `app.analysis.campaigns.keys_for` in two worker processes.
The machine has 2 cores shared with up to 7 other sessions: compare figures within this run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
CORPUS = ROOT / "tests" / "data" / "campaigns_labelled.jsonl"


def fresh_app(tmp: str):  # type: ignore[no-untyped-def]
    from bench_analysis import build_app
    from flask_migrate import upgrade

    app = build_app(f"sqlite:///{tmp}/campaigns.db", tmp)
    with app.app_context():
        upgrade()
    return app


def pairwise(labels: list[str], groups: list[int | None]) -> tuple[float, float, float]:
    truth = set()
    found = set()
    for i, j in itertools.combinations(range(len(labels)), 2):
        if not labels[i].startswith(("own-", "borrow-")) and labels[i] == labels[j]:
            truth.add((i, j))
        if groups[i] is not None and groups[i] == groups[j]:
            found.add((i, j))
    tp = len(truth & found)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def quality(version_wide_on: bool) -> tuple[float, float, float, int]:
    from app.analysis import campaigns as version_wide
    from app.boundary import unit_of_work
    from app.extensions import db
    from app.models import Clause
    from tests.factories import make_comment, make_user, make_version

    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    original = version_wide.version_match
    if not version_wide_on:
        version_wide.version_match = lambda *_args, **_kw: None  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = fresh_app(tmp)
            with app.app_context(), unit_of_work() as session:
                version = make_version(session, label="Campaign draft")
                keys = [c.key for c in session.query(Clause).filter(Clause.version_id == version.id)]
                rng = random.Random(3)
                made = [
                    make_comment(session, make_user(session), version, rng.choice(keys), body=r["text"])
                    for r in rows
                ]
                session.flush()
                groups = [c.campaign_group_id for c in made]
            with app.app_context():
                db.engine.dispose()
    finally:
        version_wide.version_match = original
    labels = [r["label"] for r in rows]
    wrongly = sum(
        1
        for label, g in zip(labels, groups, strict=True)
        if label.startswith(("own-", "borrow-")) and g is not None
    )
    return (*pairwise(labels, groups), wrongly)


def keys_of(text: str) -> list[str]:
    """A text's band keys, as `app.analysis.campaigns.keys_for` gives them (a pool worker's job)."""
    from app.analysis.campaigns import keys_for
    from app.comments.campaigns import normalise

    return keys_for(normalise(text))


def comment_row(
    n: int, text: str, author_id: int, version_id: int, clause_ids: list[int]
) -> dict[str, object]:
    from app.comments.campaigns import fingerprint

    return {
        "tracking_number": f"B{n:09d}",
        "user_id": author_id,
        "version_id": version_id,
        "clause_id": clause_ids[n % len(clause_ids)],
        "body": text,
        "body_html": text,
        "display_as": "name",
        "author_verified": False,
        "fingerprint_hash": fingerprint(text),
        "state": "published",
        "report_count": 0,
        "reply_count": 0,
    }


def seed_sqlite(texts: list[str], author_id: int, version_id: int, clause_ids: list[int]) -> None:
    from app.extensions import db

    comments = db.metadata.tables["comments"]
    bands = db.metadata.tables["campaign_band_keys"]
    with db.engine.begin() as connection:
        for start in range(0, len(texts), 5000):
            chunk = texts[start : start + 5000]
            result = connection.execute(
                comments.insert().returning(comments.c.id),
                [comment_row(start + n, t, author_id, version_id, clause_ids) for n, t in enumerate(chunk)],
            )
            ids = [row[0] for row in result]
            connection.execute(
                bands.insert(),
                [
                    {"version_id": version_id, "comment_id": cid, "band": b}
                    for cid, t in zip(ids, chunk, strict=True)
                    for b in keys_of(t)
                ],
            )


def seed_postgres(texts: list[str], author_id: int, version_id: int, clause_ids: list[int]) -> None:
    """COPY the comments and their band keys (as bench/load/seed.py does), keys computed by two workers.

    Foreign-key triggers are off for the load (`session_replication_role = replica`: every id is made here and
    consistent by construction); the band key index is built once afterwards, then the table is ANALYZEd.
    """
    import multiprocessing

    import click
    import sqlalchemy as sa

    from app.extensions import db

    columns = list(comment_row(0, "", author_id, version_id, clause_ids))
    raw = db.engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        first = connection.execute("SELECT coalesce(max(id), 0) + 1 FROM comments").fetchone()[0]
        connection.execute("SET session_replication_role = replica")
        connection.execute("DROP INDEX ix_campaign_band_keys_version_band_id")
        connection.execute("DROP INDEX ix_campaign_band_keys_comment_id")
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY comments (id, {', '.join(columns)}) FROM STDIN") as copy,
            click.progressbar(texts, label=f"comments  {len(texts):>9,}") as bar,
        ):
            for n, text in enumerate(bar):
                row = comment_row(n, text, author_id, version_id, clause_ids)
                copy.write_row((first + n, *row.values()))
        with (
            multiprocessing.Pool(2) as pool,
            connection.cursor() as cursor,
            cursor.copy("COPY campaign_band_keys (version_id, comment_id, band) FROM STDIN") as copy,
            click.progressbar(length=len(texts), label=f"band keys {len(texts):>9,}") as bar,
        ):
            for n, keys in enumerate(pool.imap(keys_of, texts, chunksize=2000)):
                for key in keys:
                    copy.write_row((version_id, first + n, key))
                bar.update(1)
        connection.execute("SET maintenance_work_mem = '512MB'")
        connection.execute(
            "CREATE INDEX ix_campaign_band_keys_version_band_id ON campaign_band_keys (version_id, band, id)"
        )
        connection.execute("CREATE INDEX ix_campaign_band_keys_comment_id ON campaign_band_keys (comment_id)")
        connection.execute(
            "SELECT setval(pg_get_serial_sequence('comments', 'id'), (SELECT max(id) FROM comments))"
        )
        connection.execute("SET session_replication_role = DEFAULT")
        connection.commit()
    finally:
        raw.close()
    with db.engine.connect() as autocommit:
        autocommit.execution_options(isolation_level="AUTOCOMMIT").execute(
            sa.text("VACUUM ANALYZE comments, campaign_band_keys")
        )


def cost(size: int, runs: int, pg: str | None = None) -> tuple[float, int]:
    """The version-wide step's median milliseconds per new comment with `size` comments in the version, and
    how many band keys the version holds."""
    import sqlalchemy as sa
    from bench_analysis import build_app, synthetic_texts
    from flask_migrate import upgrade

    from app.analysis import campaigns as version_wide
    from app.boundary import unit_of_work
    from app.comments.campaigns import fingerprint, normalise
    from app.extensions import db
    from app.models import CampaignBandKey, Clause, Comment
    from tests.factories import make_user, make_version
    from tests.support.database import reset_schema

    medians = []
    with tempfile.TemporaryDirectory() as tmp:
        if pg:
            reset_schema(pg)
            app = build_app(pg, tmp)
            with app.app_context():
                upgrade()
        else:
            app = fresh_app(tmp)
        with app.app_context():
            with unit_of_work() as session:
                version = make_version(session, label="Cost draft")
                author = make_user(session)
                clause_ids = list(
                    session.scalars(sa.select(Clause.id).where(Clause.version_id == version.id))
                )
                version_id, author_id = version.id, author.id
            texts = synthetic_texts(size + 50 * runs, seed=size)
            (seed_postgres if pg else seed_sqlite)(texts[:size], author_id, version_id, clause_ids)
            offset = size
            for _ in range(runs):
                times = []
                with unit_of_work() as session:
                    for text in texts[offset : offset + 50]:
                        comment = Comment(
                            user_id=None,
                            version_id=version_id,
                            clause_id=clause_ids[0],
                            body=text,
                            body_html=text,
                            fingerprint_hash=fingerprint(text),
                        )
                        session.add(comment)
                        session.flush()
                        t0 = time.perf_counter()
                        keys = version_wide.keys_for(normalise(text))
                        version_wide.version_match(session, comment, keys)
                        version_wide.remember(session, comment, keys)
                        session.flush()
                        times.append(time.perf_counter() - t0)
                offset += 50
                medians.append(statistics.median(times))
            with unit_of_work() as session:
                stored = session.scalar(sa.select(sa.func.count()).select_from(CampaignBandKey)) or 0
            db.engine.dispose()
    return 1000 * statistics.median(medians), stored


def main() -> None:
    from tests.support.database import sqlalchemy_url

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pg", help="measure (b) on this PostgreSQL database (its schema is rebuilt)")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    engine = "PostgreSQL" if args.pg else "SQLite"
    print(
        f"Machine: 2 cores shared with up to 7 other sessions; (a) on SQLite, (b) on {engine}; compare figures within this run."
    )
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not args.skip_quality:
        print(
            "(a) quality on the labelled set (pairwise over campaign members; independents must stay alone)"
        )
        for name, on in (("version-wide MinHash (ours)", True), ("clause-only (baseline)", False)):
            p, r, f1, wrong = quality(on)
            print(
                f"    {name:30s} precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}  independents grouped: {wrong}"
            )
    print("(b) version-wide step per new comment (median of 50 comments, median of runs)")
    pg = sqlalchemy_url(args.pg) if args.pg else None
    first: float | None = None
    for size in args.sizes:
        took, stored = cost(size, args.runs, pg)
        first = first or took
        print(
            f"    {size:>9,} comments in the version ({stored:,} band keys): {took:.2f} ms "
            f"({took / first:.2f} × the first size's)",
            flush=True,
        )
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
