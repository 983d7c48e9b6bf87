"""Benchmark the analysis workbench (a script, not a test).

    .venv/bin/python bench/bench_analysis.py [--rows N] [--queries N] [--pg URL] [--theme-rows N] [--skip-search]

(a) Search: N index rows (default 100,000) in one version, on SQLite (FTS5) and, with --pg, PostgreSQL
    (tsvector + GIN). A two-word query with one filter (a clause), first page of 25, through
    `app.analysis.search.search` as a visitor would (public rows only): p50 and p99 over --queries different
    word pairs. Baseline in the same run: the same page by `folded LIKE '%w1%' AND folded LIKE '%w2%'` with the same
    filter, order and limit.
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


def search_bench(url: str, rows: int, queries: int, label: str) -> dict[str, float]:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app.analysis import search as search_module
    from app.analysis.indexing import write_document
    from app.analysis.textsearch import fold, parse_query
    from app.boundary import unit_of_work
    from app.extensions import db
    from app.models import ANONYMOUS, Clause, Version
    from tests.factories import make_comment, make_user, make_version
    from tests.support.database import reset_schema

    tmp = tempfile.mkdtemp(prefix="bench-analysis-")
    reset_schema(url)
    app = build_app(url, tmp)
    with app.app_context():
        upgrade()
        with unit_of_work() as session:
            version = make_version(session, label="Bench draft")
            clause_ids = list(session.scalars(sa.select(Clause.id).where(Clause.version_id == version.id)))
            version_id, policy_id = version.id, version.policy_id
        texts = synthetic_texts(rows)
        rng = random.Random(1)
        table = db.metadata.tables["search_documents"]
        started = time.perf_counter()
        with db.engine.begin() as connection:
            batch = []
            for n, text in enumerate(texts, start=1):
                batch.append(
                    {
                        "kind": "comment",
                        "ref_id": n,
                        "policy_id": policy_id,
                        "version_id": version_id,
                        "clause_id": rng.choice(clause_ids),
                        "campaign_group_id": None,
                        "state": "published",
                        "public": True,
                        "verified": False,
                        "channel": "online",
                        "body": text,
                        "folded": fold(text),
                    }
                )
                if len(batch) == 5000:
                    connection.execute(table.insert(), batch)
                    batch = []
            if batch:
                connection.execute(table.insert(), batch)
        load_seconds = time.perf_counter() - started
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(sa.text("ANALYZE search_documents"))
        words = sorted(
            {
                w
                for t in texts[:2000]
                for w in fold(t).replace(".", " ").split()
                if len(w) > 4 and not w[-1].isdigit()
            }
        )
        pairs = [(rng.choice(words), rng.choice(words)) for _ in range(queries)]
        fts_times, like_times = [], []
        with app.app_context():
            session = db.session()
            version = session.get(Version, version_id)
            for w1, w2 in pairs:
                clause_id = rng.choice(clause_ids)
                filters = search_module.Filters(clause_id=clause_id)
                query = parse_query(f"{w1} {w2}")
                t0 = time.perf_counter()
                search_module.search(session, ANONYMOUS, version, query, filters)
                fts_times.append(time.perf_counter() - t0)
                like = (
                    sa.select(table.c.id, table.c.body)
                    .where(
                        table.c.version_id == version_id,
                        table.c.public.is_(True),
                        table.c.clause_id == clause_id,
                        table.c.folded.like(f"%{w1}%"),
                        table.c.folded.like(f"%{w2}%"),
                    )
                    .order_by(table.c.id.desc())
                    .limit(26)
                )
                t0 = time.perf_counter()
                session.execute(like).all()
                like_times.append(time.perf_counter() - t0)
            # (b) index write cost: post real comments through the service; the flush listener writes each row.
            write_times = []
            author = make_user(session)
            session.commit()
            clause = session.get(Clause, clause_ids[0])
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
            # the same flushes with the listener's work measured alone
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
            count = session.scalar(sa.select(sa.func.count()).select_from(table))

        db.engine.dispose()
    result = {
        "rows": count,
        "load_s": load_seconds,
        "fts_p50_ms": 1000 * statistics.median(fts_times),
        "fts_p99_ms": 1000 * percentile(fts_times, 99),
        "like_p50_ms": 1000 * statistics.median(like_times),
        "like_p99_ms": 1000 * percentile(like_times, 99),
        "post_comment_ms": 1000 * statistics.median(write_times),
        "index_row_ms": 1000 * statistics.median(only_index),
    }
    print(
        f"[{label}] {count:,} rows (loaded in {load_seconds:.1f}s); {queries} two-word queries + clause filter, page of 25:\n"
        f"    full-text  p50 {result['fts_p50_ms']:8.2f} ms   p99 {result['fts_p99_ms']:8.2f} ms\n"
        f"    LIKE scan  p50 {result['like_p50_ms']:8.2f} ms   p99 {result['like_p99_ms']:8.2f} ms   (baseline, same run)\n"
        f"    index row written on flush: {result['index_row_ms']:.3f} ms median (200 rows); whole post_comment + flush "
        f"{result['post_comment_ms']:.2f} ms median (60 comments)",
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
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL"))
    parser.add_argument("--theme-rows", type=int, default=100_000)
    parser.add_argument("--theme-runs", type=int, default=3)
    parser.add_argument("--skip-search", action="store_true")
    args = parser.parse_args()
    print("Machine: 2 cores shared with up to 7 other sessions; compare figures within this run.")
    if not args.skip_search:
        print("(a)(b) search and index writes")
        with tempfile.TemporaryDirectory() as tmp:
            search_bench(f"sqlite:///{tmp}/bench.db", args.rows, args.queries, "SQLite FTS5")
        if args.pg:
            search_bench(args.pg, args.rows, args.queries, "PostgreSQL tsvector+GIN")
    print("(c) suggested themes, labelled set of 540 comments in 12 themes")
    theme_quality(args.theme_runs)
    theme_scale(args.theme_rows)
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
