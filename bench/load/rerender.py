"""What the busiest section page costs to render again after a comment, in process, at a seeded database's size.

    .venv/bin/python bench/load/rerender.py bench/load/.seeded.json [--runs 7]

The page cache on (Redis db 12), a visitor's view. Each run first renders the page cached, then either
- *one clause moved*: a comment lands on the busiest clause (its tags moved, as a settled comment moves them),
  so the page renders again with that clause's block new and every other block from the store; or
- *everything moved* (the baseline, in the same run): the site's tag moves, as a display-name change does, so
  the page and every block render again;
and times that render (CPU of this process, and wall). Prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.caching import SITE, comment_tags, page_cache
from bench.load.inprocess import expect, flush_queue, load_app, read_state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("state", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    info = read_state(args.state)
    app = load_app(info)
    app.config.update(PAGE_CACHE_SECONDS=300, PAGE_CACHE_MIN_AGE=0)
    client = app.test_client()
    path = info["section_path"]

    with app.app_context():
        from sqlalchemy import select

        from app.extensions import db
        from app.models import Comment

        busiest = db.session.scalars(
            select(Comment).where(Comment.clause_id == info["hot_clause_id"]).limit(1)
        ).one()
        one_clause = comment_tags(busiest)

    def render_after(tags: list[str]) -> tuple[float, float]:
        expect(client.get(path).status_code, 200, "section page")  # cached now
        with app.app_context():
            page_cache().bump(tags)
        cpu, wall = time.process_time(), time.perf_counter()
        response = client.get(path)
        cpu, wall = (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000
        expect(response.status_code, 200, "section page")
        if response.headers.get("X-Page-Cache") != "miss":
            raise SystemExit(f"expected a render, got {response.headers.get('X-Page-Cache')}")
        return cpu, wall

    render_after([SITE])  # warm: the blocks in the store, the templates compiled
    rows: dict[str, list[tuple[float, float]]] = {"one clause moved": [], "everything moved": []}
    for _ in range(args.runs):  # interleaved, so both feel the same machine
        rows["one clause moved"].append(render_after(one_clause))
        rows["everything moved"].append(render_after([SITE]))
    flush_queue()
    print(f"{info['comments']:,} comments, busiest section, visitor's page, medians of {args.runs}")
    print("| page rendered again after | CPU ms | wall ms |")
    print("|---|---:|---:|")
    for name, values in rows.items():
        print(f"| {name} | {statistics.median(v[0] for v in values):.1f} | "
              f"{statistics.median(v[1] for v in values):.1f} |")  # fmt: skip
    one = statistics.median(v[0] for v in rows["one clause moved"])
    every = statistics.median(v[0] for v in rows["everything moved"])
    print(f"one clause ÷ everything (CPU): {one / every:.2f} ×")


if __name__ == "__main__":
    main()
