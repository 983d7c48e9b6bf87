"""What settling one comment costs, in process: CPU and wall time per comment, and its slowest statements.

    .venv/bin/python bench/load/settle_cost.py [bench/load/.seeded.json] [--comments 40]

Posts --comments comments on the busiest clause through the app (their settle jobs go to a Redis queue no worker
reads, db 12), then settles each with `app.comments.jobs.run_settle`, as an RQ worker would, timing each one:
CPU time (`time.process_time`, this process only: the database's own work is the wall time beyond it) and wall
time, medians; then the statements that took longest in total. One process, one thread. The comments stay (they
are settled, so every kept count stays right): use the harness's database, not one you care about.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.comments.antibot import sign_shown_at
from app.comments.jobs import run_settle
from app.extensions import db
from bench.load.inprocess import flush_queue, load_app, read_state, signed_in

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("state", type=Path, nargs="?", default=HERE / ".seeded.json")
    parser.add_argument("--comments", type=int, default=40)
    args = parser.parse_args()
    info = read_state(args.state)
    app = load_app(info)
    client = signed_in(app, info["commenter"], info["password"])
    with app.test_request_context():
        stamp = sign_shown_at(time.time() - 30)
    run = time.time_ns()
    for n in range(args.comments):
        form = {"body": f"Settle cost probe {run} {n}: how long agencies keep what people tell them, and why.",
                "display_as": "name", "website": "", "shown_at": stamp}  # fmt: skip
        posted = client.post(info["form_path"], data=form)
        if posted.status_code != 303:
            raise SystemExit(f"comment POST: {posted.status_code}")
    with app.app_context():
        ids = [
            row[0]
            for row in db.session.execute(text("SELECT id FROM comments WHERE NOT processed ORDER BY id"))
        ]
        db.session.remove()
        statements: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])

        @event.listens_for(db.engine, "before_cursor_execute")
        def started(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            conn.info["bench_started"] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def finished(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            entry = statements[" ".join(statement.split())[:110]]
            entry[0] += 1
            entry[1] += time.perf_counter() - conn.info["bench_started"]

    cpu, wall = [], []
    for comment_id in ids:
        cpu_at, wall_at = time.process_time(), time.perf_counter()
        run_settle(app, comment_id)
        cpu.append((time.process_time() - cpu_at) * 1000)
        wall.append((time.perf_counter() - wall_at) * 1000)
    flush_queue()
    print(f"{len(ids)} comments settled at {info['comments']:,} comments; medians per comment:")
    print(f"  CPU {statistics.median(cpu):.1f} ms, wall {statistics.median(wall):.1f} ms")
    print("statements, by total time:")
    for statement, (count, seconds) in sorted(statements.items(), key=lambda item: -item[1][1])[:8]:
        print(f"  {count:4d} × {seconds * 1000 / count:7.2f} ms  {statement}")


if __name__ == "__main__":
    main()
