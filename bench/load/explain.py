"""EXPLAIN (ANALYZE, BUFFERS) of the hot statements on the seeded database (bench/load/seed.py, 1M comments).

    .venv/bin/python bench/load/explain.py [--runs 5]

For each statement the services run on the busiest clause, this prints the plan's top nodes, the index used, and
the median execution time over --runs, twice: as the app runs it (psycopg prepare_threshold=None: every
execution planned for its own values, a "custom plan"), and as a generic plan (PREPARE with
plan_cache_mode = force_generic_plan, what psycopg's default would reach after five executions). The machine is
shared (2 cores, other helpers' work): the times are indicative, the plans are the point.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from app.comments.campaigns import fingerprint, normalise  # noqa: E402
from bench.load.seed import CAMPAIGN_LETTER  # noqa: E402

PAGE_TERM = (
    "SELECT c.id, c.clause_id FROM comments AS c WHERE c.clause_id = $1 AND c.state = 'published' "
    "AND c.parent_id IS NULL AND (c.campaign_group_id IS NULL OR c.state <> 'published' OR c.id = ("
    "SELECT g.representative_id FROM campaign_groups AS g WHERE g.id = c.campaign_group_id)) "
    "ORDER BY c.id DESC LIMIT 6"
)
OLD_PAGE_TERM = PAGE_TERM.replace(
    "SELECT g.representative_id FROM campaign_groups AS g WHERE g.id = c.campaign_group_id",
    "SELECT min(m.id) FROM comments AS m WHERE m.campaign_group_id = c.campaign_group_id AND m.state = 'published'",
)
EXACT = (  # grouping: the first other comment on the clause with this exact text
    "SELECT id, campaign_group_id FROM comments WHERE clause_id = $1 AND fingerprint_hash = $2 AND id <> $3 "
    "AND parent_id IS NULL AND state <> 'withdrawn' AND (user_id IS NULL OR user_id <> $4) ORDER BY id LIMIT 1"
)
NEAR = (  # grouping: the clause's newest ungrouped top-level comments of a similar length
    "SELECT id, body FROM comments WHERE clause_id = $1 AND id <> $2 AND parent_id IS NULL AND state <> 'withdrawn' "
    "AND (user_id IS NULL OR user_id <> $3) AND campaign_group_id IS NULL AND length(body) BETWEEN $4 AND $5 "
    "ORDER BY id DESC LIMIT 50"
)
DUPLICATE = (  # posting: the same text from the same person on the clause in the last ten minutes
    "SELECT id FROM comments WHERE fingerprint_hash = $1 AND user_id = $2 AND clause_id = $3 "
    "AND created_at >= now() - interval '10 minutes' AND state <> 'withdrawn' ORDER BY id LIMIT 1"
)
NEXT_REPRESENTATIVE = (  # moderation: the group's next earliest published member when its representative goes
    "SELECT min(id) FROM comments WHERE campaign_group_id = $1 AND state = 'published' AND id <> $2"
)


def explain(connection: psycopg.Connection, statement: str, params: tuple, runs: int, generic: bool) -> dict:
    connection.execute(f"SET plan_cache_mode = {'force_generic_plan' if generic else 'force_custom_plan'}")
    connection.execute(f"PREPARE probe AS {statement}")
    args = ", ".join(psycopg.sql.Literal(p).as_string(connection) for p in params)
    times, plan = [], None
    for _ in range(runs):
        row = connection.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE probe({args})").fetchone()[
            0
        ]
        plan = row[0]
        times.append(plan["Execution Time"])
    connection.execute("DEALLOCATE probe")
    return {"ms": statistics.median(times), "plan": plan["Plan"]}


def nodes(plan: dict, depth: int = 0, limit: int = 4) -> list[str]:
    label = plan["Node Type"] + (f" using {plan['Index Name']}" if "Index Name" in plan else "")
    label += f" (rows {plan.get('Actual Rows', 0):,}, removed {plan.get('Rows Removed by Filter', 0):,})"
    lines = ["  " * depth + label]
    for child in plan.get("Plans", [])[: 2 if depth < limit else 0]:
        lines += nodes(child, depth + 1, limit)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    info = json.loads((HERE / ".seeded.json").read_text())
    url = info["database_url"]
    with psycopg.connect(url, autocommit=True, prepare_threshold=None) as connection:
        hot, group = info["hot_clause_id"], info["campaign_group_id"]
        representative, user = connection.execute(
            "SELECT representative_id, (SELECT user_id FROM comments WHERE id = representative_id) FROM campaign_groups "
            "WHERE id = %s",
            (group,),
        ).fetchone()
        newest = connection.execute("SELECT max(id) FROM comments").fetchone()[0]
        length = len(normalise(CAMPAIGN_LETTER))
        cases = [
            ("section page term, busiest clause (kept representative)", PAGE_TERM, (hot,)),
            ("the same, before: min(id) over the group's members", OLD_PAGE_TERM, (hot,)),
            (
                "exact-fingerprint lookup, campaign letter",
                EXACT,
                (hot, fingerprint(CAMPAIGN_LETTER), newest + 1, user),
            ),
            (
                "near-duplicate check, busiest clause",
                NEAR,
                (hot, newest + 1, user, int(length * 0.6), int(length * 2.5)),
            ),
            ("duplicate check (same person, 10 min)", DUPLICATE, (fingerprint(CAMPAIGN_LETTER), user, hot)),
            ("next representative after a hide", NEXT_REPRESENTATIVE, (group, representative)),
        ]
        total = connection.execute("SELECT count(*) FROM comments").fetchone()[0]
        print(
            f"{total:,} comments; busiest clause {hot}; campaign group {group} (representative {representative})"
        )
        print("2 cores shared with other helpers' work: times indicative; medians of", args.runs, "runs\n")
        print("| statement | custom plan ms | generic plan ms | plan (custom) |")
        print("|---|---:|---:|---|")
        details = []
        for name, statement, params in cases:
            custom = explain(connection, statement, params, args.runs, generic=False)
            generic = explain(connection, statement, params, args.runs, generic=True)
            top = nodes(custom["plan"])
            print(
                f"| {name} | {custom['ms']:.2f} | {generic['ms']:.2f} | {' → '.join(t.strip() for t in top[:3])} |"
            )
            details.append((name, top, nodes(generic["plan"])))
        for name, custom_plan, generic_plan in details:
            print(
                f"\n{name}\n  custom:\n    "
                + "\n    ".join(custom_plan)
                + "\n  generic:\n    "
                + "\n    ".join(generic_plan)
            )


if __name__ == "__main__":
    main()
