"""Benchmark the stored-version compare (cold and cached) and carry-forward on publish with database writes.

    .venv/bin/python bench/bench_compare_pages.py [--runs N] [--comments N]

A script that prints figures, not a test. It builds a throwaway SQLite database (migrations, then the drafts in
policy_drafts/), and prints medians of N runs (default 7):

- compare_versions(consultation draft, final) cold: both versions loaded from their rows, compared, the view
  model built — beside difflib.SequenceMatcher over the same two texts (clause texts joined), measured in the
  same run;
- the same call again (the cached repeat a compare page makes);
- the whole compare page (GET through the test client), cached;
- carry_forward() of N comments (default 10,000; passages and whole-clause comments spread over the
  consultation draft's clauses) into the revised draft, including the bulk insert of the placements, beside
  difflib over the same old and new clause texts.
"""

from __future__ import annotations

import argparse
import difflib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, insert, select  # noqa: E402 - the repository root must be on the path first

from app import create_app  # noqa: E402
from app.diffing import anchoring, cache, listing, services  # noqa: E402
from app.diffing.anchoring import make_anchor  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Clause, Comment, CommentPlacement, Version  # noqa: E402
from app.placements import carrying  # noqa: E402


def median_ms(fn: Callable[[], object], runs: int, before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def difflib_over(old_texts: list[str], new_texts: list[str]) -> None:
    old, new = "\n".join(old_texts).split(), "\n".join(new_texts).split()
    difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()


def seed_comments(session, version: Version, count: int) -> None:
    """Store `count` comments on the version's clauses: two in three about a passage, the rest whole-clause."""
    rng = random.Random(2019)
    clauses = list(session.execute(select(Clause.id, Clause.text).where(Clause.version_id == version.id)))
    rows = []
    for n in range(count):
        clause_id, text = clauses[n % len(clauses)]
        row = {
            "tracking_number": f"KR-B{n:07d}",
            "version_id": version.id,
            "clause_id": clause_id,
            "body": "A benchmark comment.",
            "body_html": "<p>A benchmark comment.</p>",
            "fingerprint_hash": f"{n:064d}",
            "state": "published",
        }
        if n % 3 and len(text) > 40:
            start = rng.randrange(0, len(text) - 30)
            end = min(len(text), start + rng.randint(10, 60))
            anchor = make_anchor(text, start, end)
            row.update(
                quote_exact=anchor.exact,
                quote_prefix=anchor.prefix,
                quote_suffix=anchor.suffix,
                quote_start=anchor.start,
                quote_end=anchor.end,
            )
        rows.append(row)
    session.execute(insert(Comment), rows)
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--comments", type=int, default=10_000)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="korero-bench-"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
            "INSTANCE_PATH": str(folder),
            "RATELIMIT_ENABLED": False,
            "REDIS_URL": None,
            "SERVER_NAME": "bench.test",
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        from app.drafts.services import import_drafts

        upgrade()
        import_drafts(db.session, ROOT / "policy_drafts")
        db.session.commit()
        session = db.session
        versions = list(session.scalars(select(Version).order_by(Version.position)))
        first, revised, final = versions[0], versions[1], versions[-1]
        old_doc, new_doc = listing.stored_document(session, first), listing.stored_document(session, final)
        old_texts = [c.text for c in old_doc.clauses]
        new_texts = [c.text for c in new_doc.clauses]
        words = sum(len(t.split()) for t in new_texts)
        print(f"Compare '{first.label}' → '{final.label}' ({words:,} words), median of {args.runs} runs:")
        cold = median_ms(
            lambda: services.compare_versions(session, first, final), args.runs, before=cache.clear_cache
        )
        baseline = median_ms(lambda: difflib_over(old_texts, new_texts), args.runs)
        services.compare_versions(session, first, final)
        cached = median_ms(lambda: services.compare_versions(session, first, final), max(args.runs, 50))
        client = app.test_client()
        url = f"/policies/{first.policy.slug}/compare/{first.slug}...{final.slug}"
        client.get(url)  # warm the cache and the templates
        page = median_ms(lambda: client.get(url), args.runs)
        print(f"  compare_versions, cold (rows loaded, compared, view built): {cold:8.2f} ms")
        print(
            f"  difflib.SequenceMatcher on the same words (baseline):      {baseline:8.2f} ms  ({baseline / cold:.1f}× slower)"
        )
        print(f"  compare_versions, cached repeat:                           {cached:8.4f} ms")
        print(f"  the whole compare page (GET, cached diff):                 {page:8.2f} ms")

        seed_comments(session, first, args.comments)
        carry_old = [c.text for c in old_doc.clauses]
        carry_new = [c.text for c in listing.stored_document(session, revised).clauses]

        def reset() -> None:
            session.execute(delete(CommentPlacement))
            session.commit()
            cache.clear_cache()  # cold: the comparison is made afresh too
            anchoring._clause_diff.cache_clear()

        def carry() -> None:
            carrying.carry_forward(session, first, revised)
            session.commit()

        print(
            f"Carry {args.comments:,} comments forward '{first.label}' → '{revised.label}', median of {args.runs} runs:"
        )
        carried = median_ms(carry, args.runs, before=reset)
        base = median_ms(lambda: difflib_over(carry_old, carry_new), args.runs)
        count = session.scalar(select(db.func.count()).select_from(CommentPlacement))
        print(f"  carry_forward incl. loading and bulk insert ({count:,} rows): {carried:8.1f} ms")
        print(f"  difflib.SequenceMatcher on the same texts (baseline):       {base:8.1f} ms")


if __name__ == "__main__":
    main()
