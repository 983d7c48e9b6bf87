"""Benchmark campaign grouping across a whole version (a script, not a test).

    .venv/bin/python bench/bench_campaigns_lsh.py [--sizes 10000 100000] [--runs 5]

(a) Quality on tests/data/campaigns_labelled.jsonl (6 form-letter campaigns of 25 edited letters, 21 independent
    comments, 6 of them borrowing one campaign sentence), each posted through the comment service on a random
    clause of one version: pairwise precision, recall and F1 of the campaign groups against the labels, and how many
    independent comments were grouped. Baseline in the same run: the clause-only grouping (the version-wide MinHash
    step switched off).
(b) Cost per new comment of the version-wide step (band keys, one indexed lookup, candidate checks, keys stored)
    with N comments already in the version: median over 50 new comments, --runs times, for each N.
SQLite; the machine has 2 cores shared with up to 7 other sessions: compare figures within this run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

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


def cost(size: int, runs: int) -> float:
    import sqlalchemy as sa
    from bench_analysis import synthetic_texts

    from app.analysis import campaigns as version_wide
    from app.analysis.lsh import band_keys
    from app.boundary import unit_of_work
    from app.comments.campaigns import fingerprint, normalise
    from app.extensions import db
    from app.models import Clause, Comment
    from tests.factories import make_user, make_version

    medians = []
    with tempfile.TemporaryDirectory() as tmp:
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
            comments = db.metadata.tables["comments"]
            bands = db.metadata.tables["campaign_band_keys"]
            with db.engine.begin() as connection:
                for start in range(0, size, 5000):
                    chunk = texts[start : start + 5000]
                    result = connection.execute(
                        comments.insert().returning(comments.c.id),
                        [
                            {
                                "tracking_number": f"B{start + n:09d}",
                                "user_id": author_id,
                                "version_id": version_id,
                                "clause_id": clause_ids[(start + n) % len(clause_ids)],
                                "body": t,
                                "body_html": t,
                                "display_as": "name",
                                "author_verified": False,
                                "fingerprint_hash": fingerprint(t),
                                "state": "published",
                                "report_count": 0,
                                "reply_count": 0,
                            }
                            for n, t in enumerate(chunk)
                        ],
                    )
                    ids = [row[0] for row in result]
                    connection.execute(
                        bands.insert(),
                        [
                            {"version_id": version_id, "comment_id": cid, "band": b}
                            for cid, t in zip(ids, chunk, strict=True)
                            for b in band_keys(normalise(t))
                        ],
                    )
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
            db.engine.dispose()
    return 1000 * statistics.median(medians)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print("Machine: 2 cores shared with up to 7 other sessions; SQLite; compare figures within this run.")
    print("(a) quality on the labelled set (pairwise over campaign members; independents must stay alone)")
    for name, on in (("version-wide MinHash (ours)", True), ("clause-only (baseline)", False)):
        p, r, f1, wrong = quality(on)
        print(f"    {name:30s} precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}  independents grouped: {wrong}")
    print("(b) version-wide step per new comment (median of 50 comments, median of runs)")
    for size in args.sizes:
        print(f"    {size:>9,} comments in the version: {cost(size, args.runs):.2f} ms", flush=True)


if __name__ == "__main__":
    main()
