"""The signed-in section page and the comment POST at two database sizes, in process, in the same run.

    .venv/bin/python bench/load/flatness.py SMALL.json LARGE.json [--runs 15]
    .venv/bin/python bench/load/flatness.py STATE.json --profile 200   # where a POST's CPU goes

Each argument is a `.seeded.json` that bench/load/seed.py wrote (e.g. 10,000 and 1,000,000 comments). For each,
one app (its comment jobs queued in Redis db 12 and settled after the timing) signs the harness's reader in (the
account that has not commented; it comments during the POST timing, so a second run needs a new one), then
times --runs signed-in views of the busiest section (after one warm-up) and --runs comment POSTs on the busiest
clause; prints medians, statements per request, and the large/small ratios. One process, one thread: the
figures measure the work per request, not the server.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.comments.antibot import sign_shown_at
from app.extensions import db
from bench.load.inprocess import expect, flush_queue, load_app, read_state, signed_in


def measure(state: Path, runs: int, profile: cProfile.Profile | None = None) -> dict[str, float]:
    info = read_state(state)
    # The POST's request path as in production: the settle job goes to a queue no worker reads during the
    # timing, and is done (settle_pending) afterwards, so the kept counts stay right.
    app = load_app(info)
    client = signed_in(app, info.get("reader", info["commenter"]), info["password"])
    counted: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: counted.append(a[2]))

    def timed(call) -> tuple[float, int]:
        counted.clear()
        started = time.perf_counter()
        call()
        return (time.perf_counter() - started) * 1000, len(counted)

    def view() -> None:
        expect(client.get(info["section_path"]).status_code, 200, "section page")

    def post(n: int):
        def send() -> None:
            form = {"body": f"Flatness probe {n} {time.time_ns()} about consent and retention.", "display_as": "name",
                    "website": "", "shown_at": sign_shown_at(time.time() - 30)}  # fmt: skip
            expect(client.post(info["form_path"], data=form).status_code, 303, "comment POST")

        return send

    view()
    views = [timed(view) for _ in range(runs)]
    with app.test_request_context():  # sign_shown_at needs the app's secret
        if profile is not None:
            profile.enable()
        posts = [timed(post(n)) for n in range(runs)]
        if profile is not None:
            profile.disable()
    from app.comments.jobs import settle_pending

    while settle_pending(app):
        pass
    flush_queue()
    return {
        "comments": info["comments"],
        "view_ms": statistics.median(v[0] for v in views),
        "view_statements": statistics.median(v[1] for v in views),
        "post_ms": statistics.median(p[0] for p in posts),
        "post_statements": statistics.median(p[1] for p in posts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("small", type=Path)
    parser.add_argument("large", type=Path, nargs="?")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--profile",
        type=int,
        metavar="POSTS",
        help="profile this many POSTs on SMALL alone (CPU time), print it",
    )
    args = parser.parse_args()
    if args.profile:
        profile = cProfile.Profile(time.process_time)
        row = measure(args.small, args.profile, profile)
        print(f"{args.profile} POSTs at {row['comments']:,} comments: median {row['post_ms']:.1f} ms wall, "
              f"{row['post_statements']:.0f} statements")  # fmt: skip
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(
            r"/app/|flask_login|flask_wtf|wtforms|/rq/|flask_babel|sessions", 40
        )
        stats.sort_stats("tottime").print_stats(25)
        return
    if args.large is None:
        parser.error("give SMALL and LARGE, or --profile")
    small, large = measure(args.small, args.runs), measure(args.large, args.runs)
    print(f"medians of {args.runs}; one process, one thread")
    print("| | comments | signed-in section page ms | statements | comment POST ms | statements |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, row in (("small", small), ("large", large)):
        print(f"| {name} | {row['comments']:,} | {row['view_ms']:.1f} | {row['view_statements']:.0f} | "
              f"{row['post_ms']:.1f} | {row['post_statements']:.0f} |")  # fmt: skip
    print(
        f"| large ÷ small | | {large['view_ms'] / small['view_ms']:.2f} × | | {large['post_ms'] / small['post_ms']:.2f} × | |"
    )


if __name__ == "__main__":
    main()
