"""Benchmark the analysis workbench (a script, not a test).

    .venv/bin/python bench/bench_analysis.py [--rows N] [--queries N] [--runs N] [--pg URL] [--sqlite FILE]
        [--reuse] [--theme-rows N] [--skip-search] [--skip-themes]

(a) Search: N comments' index rows (default 100,000) in one version, on SQLite (FTS5) and, with --pg, PostgreSQL
    (tsvector + GIN), each row made by `app.analysis.indexing.comment_document` and written by its batched
    `write_new_documents` (PostgreSQL's GIN index built once after the load). A two-word query with one filter
    (a clause), page of 25, through `app.analysis.search.search`: as a visitor (public rows only) and as staff
    (everything), the first page and a later keyset page (the cursor half-way down the ids); p50 and p99 over
    --queries different word pairs, each the median of --runs runs. Baseline in the same run: the same page by
    `folded LIKE '%w1%' AND folded LIKE '%w2%'` with the same filter, visibility, cursor, order and limit.
    Then three hostile search boxes (FTS5/tsquery syntax, SQL, 15,000+ characters): time and hits. The comments
    are recombined sentences of tests/data/themes_labelled.jsonl (this project's own words) plus numbered words.
    --sqlite FILE keeps the SQLite index and --reuse skips seeding when a database already holds N comment rows.
(b) Index write cost: milliseconds per comment to write its index row (the flush listener), median of runs.
(c) Suggested themes on tests/data/themes_labelled.jsonl (540 comments, 12 themes, own words): adjusted Rand
    index and per-theme precision/recall after matching themes to labels one-to-one (Hungarian), NMF (ours) beside
    TF-IDF k-means with the same number of themes; then time and peak RSS for --theme-rows comments (default
    100,000), in a child process so the memory figure is its own.
Figures are medians of the runs stated; the machine has 2 cores shared with up to 7 other sessions, so absolute
times are noisy: compare figures within one run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT / "tests" / "data" / "themes_labelled.jsonl"


def load_corpus() -> list[dict[str, str]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def synthetic_texts(count: int, seed: int = 5) -> list[str]:
    """Comments made by recombining the corpus's sentences, with a few numbered words so queries vary."""
    rng = random.Random(seed)
    sentences = sorted(
        {s.strip() + "." for row in load_corpus() for s in row["text"].split(".") if s.strip()}
    )
    return [
        " ".join(rng.sample(sentences, rng.randint(1, 4)))
        + f" ref{rng.randrange(2000)} item{rng.randrange(500)}"
        for _ in range(count)
    ]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- (a) and (b) search ------------------------------------------------------------------------------------

# Hostile search boxes: FTS5 and tsquery syntax, SQL, a huge string. Each must give a page, never an error.
# `{a}` and `{b}` become words the index holds, so a hostile string can still find something.
HOSTILE = (
    '"{a}" OR NEAR({b} {a}, 2) AND folded:* ^{b} -',
    "{a}'; DROP TABLE search_documents; -- !!&|<->:* {b}",
    "{a} " * 3000,
)


def build_app(url: str, tmp: str):  # type: ignore[no-untyped-def]
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": tmp,
            "REDIS_URL": None,
            "PDF_PRERENDER": False,
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "ANALYSIS_JOBS": "inline",
        }
    )


def comment_documents(texts: list[str], version_id: int, policy_id: int, clause_ids: list[int]):  # type: ignore[no-untyped-def]
    """(ref_id, fields) for each text as the flush listener would index it, from a comment never stored.

    `app.analysis.indexing.comment_document` builds every row (so the public flag is the one visibility rule's):
    about 3 % are held or hidden, which the public search must not find and staff search must.
    """
    import datetime as dt

    from app.analysis.indexing import Facts, comment_document
    from app.models import Comment

    rng = random.Random(1)
    facts = Facts(policy_id, True)
    start = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    for n, text in enumerate(texts, start=1):
        roll = rng.random()
        state = "held" if roll < 0.02 else "hidden" if roll < 0.03 else "published"
        comment = Comment(
            version_id=version_id,
            clause_id=rng.choice(clause_ids),
            body=text,
            body_html=text,
            state=state,
            author_verified=roll > 0.5,
            display_as="name",
            redaction_count=0,
            created_at=start + dt.timedelta(seconds=5 * n),
        )
        fields = comment_document(comment, lambda _version_id: facts)
        if fields is not None:  # a comment is always indexed
            yield n, fields


def seed_index(url: str, texts: list[str], version_id: int, policy_id: int, clause_ids: list[int]) -> float:
    """Write the index rows: on SQLite with the app's batched writer (`write_new_documents`), 10,000 a
    transaction, FTS5 following through the migration's triggers; on PostgreSQL by COPY of the same rows (what
    `write_new_documents` would insert, `folded` by `textsearch.fold`), the migration's generated tsvector
    computed as each row lands and the GIN index dropped for the load and built once afterwards (as a restore
    would). The batched writer ran at about 16,000 rows a minute on PostgreSQL on this busy machine.
    """
    import click
    import sqlalchemy as sa

    from app.analysis.indexing import write_new_documents
    from app.analysis.schema import POSTGRES_PARTS, TSV_INDEX
    from app.analysis.textsearch import fold
    from app.extensions import db

    started = time.perf_counter()
    documents = comment_documents(texts, version_id, policy_id, clause_ids)
    if url.startswith("postgresql"):
        columns = ("kind", "ref_id", *COPIED_FIELDS, "folded")
        raw = db.engine.raw_connection()
        try:
            connection: Any = raw.driver_connection
            connection.execute(f"DROP INDEX {TSV_INDEX}")
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY search_documents ({', '.join(columns)}) FROM STDIN") as copy,
                click.progressbar(documents, length=len(texts), label=f"index rows {len(texts):>9,}") as bar,
            ):
                for ref_id, fields in bar:
                    copy.write_row(
                        ("comment", ref_id, *(fields[name] for name in COPIED_FIELDS), fold(fields["body"]))
                    )
            connection.execute("SET maintenance_work_mem = '512MB'")
            connection.execute(POSTGRES_PARTS[1])
            connection.commit()
        finally:
            raw.close()
        with db.engine.connect() as autocommit:
            autocommit.execution_options(isolation_level="AUTOCOMMIT").execute(
                sa.text("VACUUM ANALYZE search_documents")
            )
        return time.perf_counter() - started
    with click.progressbar(length=len(texts), label=f"index rows {len(texts):>9,}") as bar:
        while True:
            chunk = [("comment", ref_id, fields) for ref_id, fields in itertools.islice(documents, 10_000)]
            if not chunk:
                break
            with db.engine.begin() as connection:
                write_new_documents(connection, chunk)
            bar.update(len(chunk))
    with db.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
        connection.execute(sa.text("ANALYZE"))
    return time.perf_counter() - started


# The fields of `comment_document`, in the order COPY sends them.
COPIED_FIELDS = (
    "policy_id",
    "version_id",
    "clause_id",
    "campaign_group_id",
    "state",
    "public",
    "verified",
    "channel",
    "body",
    "created_at",
)


def like_statement(
    table, version_id: int, public_only: bool, clause_id: int, w1: str, w2: str, before: int | None
):  # type: ignore[no-untyped-def]
    """The baseline: the same page as the search (filters, order, limit) by `folded LIKE '%w%'`."""
    import sqlalchemy as sa

    conditions = [
        table.c.version_id == version_id,
        table.c.clause_id == clause_id,
        table.c.folded.like(f"%{w1}%"),
        table.c.folded.like(f"%{w2}%"),
    ]
    if public_only:
        conditions.append(table.c.public.is_(True))
    if before is not None:
        conditions.append(table.c.id < before)
    return sa.select(table.c.id, table.c.body).where(*conditions).order_by(table.c.id.desc()).limit(26)


def search_bench(url: str, rows: int, queries: int, runs: int, label: str, reuse: bool) -> dict[str, float]:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app.analysis import search as search_module
    from app.analysis.indexing import write_document
    from app.analysis.textsearch import fold, parse_query
    from app.boundary import unit_of_work
    from app.extensions import db
    from app.models import ANONYMOUS, Clause, Role, User, Version
    from tests.factories import make_comment, make_user, make_version
    from tests.support.database import reset_schema

    tmp = tempfile.mkdtemp(prefix="bench-analysis-")
    texts = synthetic_texts(rows)
    app = build_app(url, tmp)
    table = db.metadata.tables["search_documents"]
    load_seconds = 0.0
    with app.app_context():
        seeded = 0
        if reuse:
            try:
                seeded = (
                    db.session.scalar(
                        sa.select(sa.func.count()).select_from(table).where(table.c.kind == "comment")
                    )
                    or 0
                )
            except sa.exc.SQLAlchemyError:
                db.session.rollback()
            db.session.remove()
        if seeded != rows:
            db.engine.dispose()
            reset_schema(url)
            upgrade()
            with unit_of_work() as session:
                version = make_version(session, label="Bench draft")
                make_user(session, role=Role.MODERATOR.value, email="staff@bench.korero.test")
                clause_ids = list(
                    session.scalars(sa.select(Clause.id).where(Clause.version_id == version.id))
                )
                version_id, policy_id = version.id, version.policy_id
            load_seconds = seed_index(url, texts, version_id, policy_id, clause_ids)
        session = db.session()
        version = session.scalars(sa.select(Version)).one()
        staff = session.scalars(sa.select(User).where(User.email == "staff@bench.korero.test")).one()
        version_id, policy_id = version.id, version.policy_id
        clause_ids = list(session.scalars(sa.select(Clause.id).where(Clause.version_id == version_id)))
        count = session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        public_count = (
            session.scalar(sa.select(sa.func.count()).select_from(table).where(table.c.public)) or 0
        )
        middle = session.scalar(sa.select(sa.func.max(table.c.id))) // 2  # a cursor half-way down the list
        rng = random.Random(2)
        words = sorted(
            {
                w
                for t in texts[:2000]
                for w in fold(t).replace(".", " ").split()
                if len(w) > 4 and not w[-1].isdigit()
            }
        )
        pairs = [(rng.choice(words), rng.choice(words), rng.choice(clause_ids)) for _ in range(queries)]
        cases = (  # (name, viewer, cursor)
            ("public, first page", ANONYMOUS, None),
            ("staff, first page", staff, None),
            ("public, later page", ANONYMOUS, middle),
            ("staff, later page", staff, middle),
        )
        # name -> engine -> per-run (p50, p99)
        figures: dict[str, dict[str, list[tuple[float, float]]]] = {
            c[0]: {"fts": [], "like": []} for c in cases
        }
        found: dict[str, list[int]] = {c[0]: [] for c in cases}
        for run in range(runs):
            for name, viewer, cursor in cases:
                fts_times, like_times = [], []
                for w1, w2, clause_id in pairs:
                    filters = search_module.Filters(clause_id=clause_id)
                    t0 = time.perf_counter()
                    page = search_module.search(
                        session, viewer, version, parse_query(f"{w1} {w2}"), filters, before=cursor
                    )
                    fts_times.append(time.perf_counter() - t0)
                    like = like_statement(table, version_id, viewer is ANONYMOUS, clause_id, w1, w2, cursor)
                    t0 = time.perf_counter()
                    session.execute(like).all()
                    like_times.append(time.perf_counter() - t0)
                    if run == 0:
                        found[name].append(len(page.hits))
                figures[name]["fts"].append((statistics.median(fts_times), percentile(fts_times, 99)))
                figures[name]["like"].append((statistics.median(like_times), percentile(like_times, 99)))
            session.rollback()
        hostile_times: list[tuple[str, float, int]] = []
        for pattern in HOSTILE:
            raw = pattern.format(a=pairs[0][0], b=pairs[0][1])
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                page = search_module.search(
                    session, ANONYMOUS, version, parse_query(raw), search_module.Filters()
                )
                times.append(time.perf_counter() - t0)
            shown = raw if len(raw) < 60 else f"{raw[:20]}… ({len(raw):,} chars)"
            hostile_times.append((shown, statistics.median(times), len(page.hits)))
        session.rollback()
        # (b) index write cost: post real comments through the service; the flush listener writes each row.
        write_times = []
        author = make_user(session, email=f"poster{time.time_ns()}@bench.korero.test")
        session.commit()
        clause = session.get_one(Clause, clause_ids[0])
        for n in range(60):
            t0 = time.perf_counter()
            make_comment(
                session,
                author,
                version,
                clause.key,
                body=f"Bench comment number {n} about the river {n * 7}.",
            )
            session.flush()
            write_times.append(time.perf_counter() - t0)
        session.rollback()
        only_index = []
        with db.engine.begin() as connection:
            for n in range(200):
                fields = {
                    "policy_id": policy_id,
                    "version_id": version_id,
                    "clause_id": clause_ids[0],
                    "campaign_group_id": None,
                    "state": "published",
                    "public": True,
                    "verified": False,
                    "channel": "online",
                    "body": f"Index only {n} words about rates and rivers.",
                }
                t0 = time.perf_counter()
                write_document(connection, "comment", 10_000_000 + n, fields)
                only_index.append(time.perf_counter() - t0)
            connection.rollback()
        session.close()
        db.engine.dispose()

    def med(values: list[tuple[float, float]], i: int) -> float:
        return 1000 * statistics.median(v[i] for v in values)

    seeded_note = f"seeded in {load_seconds:.1f} s" if load_seconds else "reused the seeded index"
    print(
        f"[{label}] {count:,} index rows ({public_count:,} public; {seeded_note}); {queries} two-word queries with a "
        f"clause filter (one of {len(clause_ids)}), page of 25, through app.analysis.search.search; "
        f"p50 and p99 per run, median of {runs} runs; baseline LIKE '%w1%' AND LIKE '%w2%', same filter, order, limit:"
    )
    result: dict[str, float] = {"rows": count, "load_s": load_seconds}
    for name, _viewer, _cursor in cases:
        fts, like = figures[name]["fts"], figures[name]["like"]
        hits = statistics.median(found[name])
        print(
            f"    {name:20s} full-text p50 {med(fts, 0):8.2f} ms  p99 {med(fts, 1):8.2f} ms | "
            f"LIKE p50 {med(like, 0):8.2f} ms  p99 {med(like, 1):8.2f} ms | "
            f"LIKE ÷ full-text p50 {med(like, 0) / med(fts, 0):6.1f} ×  p99 {med(like, 1) / med(fts, 1):6.1f} × "
            f"(median hits {hits:.0f})"
        )
        result[f"{name} fts p50"] = med(fts, 0)
        result[f"{name} like p50"] = med(like, 0)
    for shown, took, hits in hostile_times:
        print(f"    hostile {shown!r}: {1000 * took:.2f} ms, {hits} hits (no filter; median of {runs})")
    print(
        f"    index row written on flush: {1000 * statistics.median(only_index):.3f} ms median (200 rows); "
        f"whole post_comment + flush {1000 * statistics.median(write_times):.2f} ms median (60 comments)",
        flush=True,
    )
    return result


# --- (c) themes ----------------------------------------------------------------------------------------------


def matched_scores(truth: list[str], predicted: list[int]) -> tuple[dict[str, tuple[float, float]], float]:
    """Per-label precision and recall after a one-to-one matching of predicted groups to labels; and mean F1."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    labels = sorted(set(truth))
    groups = sorted(set(predicted))
    overlap = np.zeros((len(labels), len(groups)))
    for t, p in zip(truth, predicted, strict=True):
        overlap[labels.index(t), groups.index(p)] += 1
    rows, cols = linear_sum_assignment(-overlap)
    scores = {}
    for r, c in zip(rows, cols, strict=True):
        hit = overlap[r, c]
        precision = hit / overlap[:, c].sum() if overlap[:, c].sum() else 0.0
        recall = hit / overlap[r, :].sum()
        scores[labels[r]] = (precision, recall)
    for label in labels:
        scores.setdefault(label, (0.0, 0.0))
    f1 = [2 * p * r / (p + r) if p + r else 0.0 for p, r in scores.values()]
    return scores, sum(f1) / len(f1)


def theme_quality(runs: int) -> None:
    from sklearn.metrics import adjusted_rand_score

    from app.analysis.themes import kmeans_labels, suggest_themes, theme_labels

    corpus = load_corpus()
    texts = [row["text"] for row in corpus]
    truth = [row["theme"] for row in corpus]
    k = len(set(truth))
    ours, base = [], []
    for seed in range(runs):
        labels = theme_labels(suggest_themes(texts, k, seed=seed), len(texts))
        baseline = kmeans_labels(texts, k, seed=seed)
        ours.append((adjusted_rand_score(truth, labels), *matched_scores(truth, labels)))
        base.append((adjusted_rand_score(truth, baseline), *matched_scores(truth, baseline)))
    for name, results in (("TF-IDF + NMF (ours)", ours), ("TF-IDF + k-means (baseline)", base)):
        ari = statistics.median(r[0] for r in results)
        f1 = statistics.median(r[2] for r in results)
        print(f"    {name:28s} ARI {ari:.3f}   mean matched F1 {f1:.3f}   (median of {runs} seeds)")
    per_theme = ours[0][1]
    base_theme = base[0][1]
    print("    per theme (seed 0), precision/recall:  ours | baseline")
    for label in sorted(per_theme):
        p, r = per_theme[label]
        bp, br = base_theme[label]
        print(f"      {label:10s} {p:.2f}/{r:.2f} | {bp:.2f}/{br:.2f}")


def theme_scale(rows: int) -> None:
    code = (
        f"import sys, time, resource; sys.path.insert(0, {str(ROOT)!r}); sys.path.insert(0, {str(ROOT / 'bench')!r})\n"
        "from bench_analysis import synthetic_texts\n"
        "from app.analysis.themes import suggest_themes\n"
        f"texts = synthetic_texts({rows})\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "t0 = time.perf_counter(); found = suggest_themes(texts, 12, seed=0); took = time.perf_counter() - t0\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(f'{took:.1f} {peak / 1024:.0f} {before / 1024:.0f} {len(found)}')\n"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter running our own code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    took, peak, before, found = out
    print(
        f"    {rows:,} comments: {took} s, peak RSS {peak} MB (of which {before} MB before fitting: Python, the texts), {found} themes"
    )


def main() -> None:
    from tests.support.database import sqlalchemy_url

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of every query set; medians of their p50/p99"
    )
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL"))
    parser.add_argument("--sqlite", help="SQLite file to seed (kept, for --reuse); default a temporary one")
    parser.add_argument("--reuse", action="store_true", help="keep an index already seeded with --rows rows")
    parser.add_argument("--theme-rows", type=int, default=100_000)
    parser.add_argument("--theme-runs", type=int, default=3)
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-themes", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true", help="search on --pg only")
    args = parser.parse_args()
    print("Machine: 2 cores shared with up to 7 other sessions; compare figures within this run.")
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not args.skip_search:
        print("(a)(b) search and index writes")
        with tempfile.TemporaryDirectory() as tmp:
            path = args.sqlite or f"{tmp}/bench.db"
            if not args.skip_sqlite:
                search_bench(
                    f"sqlite:///{path}", args.rows, args.queries, args.runs, "SQLite FTS5", args.reuse
                )
        if args.pg:
            search_bench(
                sqlalchemy_url(args.pg),
                args.rows,
                args.queries,
                args.runs,
                "PostgreSQL tsvector+GIN",
                args.reuse,
            )
    if not args.skip_themes:
        print("(c) suggested themes, labelled set of 540 comments in 12 themes")
        theme_quality(args.theme_runs)
        theme_scale(args.theme_rows)
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
