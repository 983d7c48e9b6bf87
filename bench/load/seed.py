"""Seed a PostgreSQL database with a consultation's last day: many comments, skewed, with kept counts right.

    .venv/bin/python bench/load/seed.py [--database-url postgresql://127.0.0.1:5432/korero_load]
        [--comments 1000000] [--users 50000] [--campaign 30000] [--hot-share 0.23] [--seed 2019]

1. Makes the database (dropping it first), builds the schema with `korero setup --no-demo` (migrations, then the
   drafts of policy_drafts/), opens the consultation draft's comment period and makes the harness's people
   (a commenter and a moderator, with real passwords).
2. COPYs (psycopg 3 `cursor.copy`) the users and the comments, with a progress bar. The skew: the busiest
   section's first clause holds --hot-share of all comments, among them a --campaign-letter campaign group; the
   rest fall on the version's other clauses with a long tail (Zipf-like). One comment in ten is a reply; a few
   are held, hidden or withdrawn.
3. Sets every kept count from the rows, one `UPDATE … FROM (SELECT … GROUP BY)` per table: clauses.comment_count,
   comments.reply_count, campaign_groups.member_count (published rows only, as the services count them), then
   moves the id sequences on and ANALYZEs. `--check` recounts afterwards and fails if anything disagrees.

Writes bench/load/.seeded.json (paths and ids the runner needs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.comments.campaigns import fingerprint, normalise  # noqa: E402 - the repository root goes first
from app.models.comments import TRACKING_ALPHABET  # noqa: E402

STATE = Path(__file__).resolve().parent / ".seeded.json"
SECRET = "load-harness-secret-not-for-production"  # noqa: S105 - a throwaway local server
PASSWORD = "load harness password 2019"  # noqa: S105
COMMENTER = "poster@load.korero.test"
MODERATOR = "moderator@load.korero.test"
READER = "reader@load.korero.test"  # signed in, never comments: the reader most signed-in visitors are
WORDS = (  # noqa: SIM905 - one line of words reads better than a column of 33
    "data people agencies trust consent share collect purpose value whanau iwi community records privacy "
    "retention access safe fair open clear reasons choice government health education benefit tikanga "
    "manaakitanga transparency oversight algorithm identity protection"
).split()
CAMPAIGN_LETTER = (
    "I oppose sharing my data without my consent. Agencies must ask first, explain the purpose, and let "
    "people see and correct what is held about them. Please strengthen the principles before this is final."
)
COMMENT_COLUMNS = (
    "id", "tracking_number", "user_id", "version_id", "clause_id", "parent_id", "campaign_group_id", "body",
    "body_html", "display_as", "author_verified", "fingerprint_hash", "state", "moderation_reason",
    "report_count", "reply_count", "created_at",
)  # fmt: skip


def tracking_for(number: int) -> str:
    """A unique tracking number from a row number (KR-XXXX-XXXX in the readable alphabet, 'Q' first)."""
    base = len(TRACKING_ALPHABET)
    chars = []
    for _ in range(7):
        number, digit = divmod(number, base)
        chars.append(TRACKING_ALPHABET[digit])
    code = "Q" + "".join(reversed(chars))  # seeded numbers start with Q (ids below 25**7 = 6.1e9)
    return f"KR-{code[:4]}-{code[4:]}"


def admin_url(url: str) -> tuple[str, str]:
    """The server's maintenance database URL and the target database's name."""
    head, _, name = url.rpartition("/")
    return f"{head}/postgres", name.split("?")[0]


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def recreate_database(url: str) -> None:
    maintenance, name = admin_url(libpq(url))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def app_environment(url: str, instance: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": libpq(url),
        "SECRET_KEY": SECRET,
        "KORERO_INSTANCE": str(instance),
        "KORERO_ENV": "development",
    }


def setup_schema(url: str, instance: Path) -> None:
    """`korero setup --no-demo`: migrations (flask db upgrade) and the drafts, as a deployment would."""
    korero = Path(sys.executable).with_name("korero")
    subprocess.run(  # noqa: S603 - our own command line
        [str(korero), "setup", "--no-demo"], env=app_environment(url, instance), check=True, cwd=ROOT
    )


def make_people(url: str, instance: Path) -> None:
    """The harness's commenter and moderator, through the app's own command (real password hashes)."""
    korero = str(Path(sys.executable).with_name("korero"))
    env = {**app_environment(url, instance), "KORERO_USER_PASSWORD": PASSWORD}
    for email, name, role in (
        (COMMENTER, "Load Poster", "commenter"),
        (MODERATOR, "Load Moderator", "moderator"),
        (READER, "Load Reader", "commenter"),
    ):
        subprocess.run(  # noqa: S603
            [
                korero,
                "users",
                "create",
                "--email",
                email,
                "--name",
                name,
                "--role",
                role,
                "--password",
                PASSWORD,
            ],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
        )


def words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def seed(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    url = libpq(args.database_url)
    instance = Path(tempfile.mkdtemp(prefix="korero-load-seed-"))
    started = time.perf_counter()
    click.echo(f"database {url}: recreating, then `korero setup --no-demo`")
    recreate_database(url)
    setup_schema(url, instance)
    make_people(url, instance)
    now = dt.datetime.now(dt.UTC)
    with psycopg.connect(url) as connection:
        version_id, policy_slug, version_slug = connection.execute(
            "SELECT v.id, p.slug, v.slug FROM versions v JOIN policies p ON p.id = v.policy_id "
            "WHERE v.slug = 'consultation-draft'"
        ).fetchone()
        connection.execute(
            "UPDATE versions SET comments_open_at = %s, comments_close_at = %s, open_when_superseded = true WHERE id = %s",
            (now - dt.timedelta(days=60), now + dt.timedelta(days=1), version_id),
        )
        sections = connection.execute(
            "SELECT s.id, s.key, count(c.id) FROM sections s JOIN clauses c ON c.section_id = s.id "
            "WHERE s.version_id = %s GROUP BY s.id, s.key, s.position ORDER BY count(c.id) DESC, s.position LIMIT 1",
            (version_id,),
        ).fetchone()
        section_id, section_key, _ = sections
        hot_clause_id, hot_clause_key = connection.execute(
            "SELECT id, key FROM clauses WHERE section_id = %s ORDER BY position LIMIT 1", (section_id,)
        ).fetchone()
        clause_ids = [
            row[0]
            for row in connection.execute("SELECT id FROM clauses WHERE version_id = %s", (version_id,))
        ]
        first_user = int(connection.execute("SELECT coalesce(max(id), 0) + 1 FROM users").fetchone()[0])
        first_comment = int(connection.execute("SELECT coalesce(max(id), 0) + 1 FROM comments").fetchone()[0])

        copy_started = time.perf_counter()
        # --- users
        user_ids = list(range(first_user, first_user + args.users))
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY users (id, email, display_name, password_hash, role, email_verified_at, session_token, "
                "created_at) FROM STDIN"
            ) as copy,
            click.progressbar(user_ids, label=f"users    {args.users:>9,}") as bar,
        ):
            for user_id in bar:
                copy.write_row((
                    user_id, f"person{user_id}@load.korero.test", f"Person {user_id}",
                    "!seeded-no-password", "commenter", now, hashlib.sha256(b"%d" % user_id).hexdigest(), now,
                ))  # fmt: skip

        # --- the campaign group on the busiest clause
        campaign_text = normalise(CAMPAIGN_LETTER)
        campaign_hash = fingerprint(CAMPAIGN_LETTER)
        group_id = connection.execute(
            "INSERT INTO campaign_groups (version_id, clause_id, fingerprint, fingerprint_hash, member_count, "
            "created_at) VALUES (%s, %s, %s, %s, 0, %s) RETURNING id",
            (version_id, hot_clause_id, campaign_text, campaign_hash, now),
        ).fetchone()[0]

        # --- comments
        others = [cid for cid in clause_ids if cid != hot_clause_id]
        weights = [1 / (rank + 1) ** 0.8 for rank in range(len(others))]  # a long tail over the other clauses
        cumulative = list(
            itertools.accumulate(weights)
        )  # once, not per row: choices() would redo it each call
        rng.shuffle(others)
        hot_total = round(args.comments * args.hot_share)
        campaign_left = min(args.campaign, hot_total)
        recent_top: dict[int, list[int]] = {}  # clause -> recent top-level ids (reply targets)
        span = dt.timedelta(days=59)
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY comments ({', '.join(COMMENT_COLUMNS)}) FROM STDIN") as copy,
            click.progressbar(range(args.comments), label=f"comments {args.comments:>9,}") as bar,
        ):
            hot_left = hot_total
            for n in bar:
                comment_id = first_comment + n
                remaining = args.comments - n
                on_hot = rng.random() < hot_left / remaining
                clause_id = hot_clause_id if on_hot else rng.choices(others, cum_weights=cumulative)[0]
                hot_left -= on_hot
                created = now - span + span * (n / args.comments)  # ids and times rise together
                state = "published"
                roll = rng.random()
                if roll < 0.015:
                    state = "held"
                elif roll < 0.025:
                    state = "hidden"
                elif roll < 0.03:
                    state = "withdrawn"
                parent_id = group = None
                targets = recent_top.setdefault(clause_id, [])
                is_campaign = (
                    on_hot and campaign_left > 0 and rng.random() < campaign_left / max(hot_left + 1, 1)
                )
                if is_campaign:
                    campaign_left -= 1
                    body, digest, group = CAMPAIGN_LETTER, campaign_hash, group_id
                    targets = []  # letters are not replied to
                elif targets and rng.random() < 0.1:
                    parent_id = rng.choice(targets)
                    body = words(rng, rng.randint(8, 40)) + f" (r{comment_id})."
                    digest = fingerprint(body)
                else:
                    body = words(rng, rng.randint(20, 90)) + f" ({comment_id})."
                    digest = fingerprint(body)
                    targets.append(comment_id)
                    if len(targets) > 50:
                        del targets[:25]
                reason = "Removed: personal details." if state == "hidden" else None
                if state == "withdrawn":
                    body = ""
                copy.write_row((
                    comment_id, tracking_for(comment_id), rng.choice(user_ids), version_id, clause_id, parent_id,
                    group, body, f"<p>{body}</p>" if body else "", "name", True, digest, state, reason, 0, 0,
                    created,
                ))  # fmt: skip

        copy_seconds = time.perf_counter() - copy_started
        click.echo(f"COPY: {args.comments / copy_seconds:,.0f} comments/s")
        click.echo("kept counts: one UPDATE … FROM (SELECT … GROUP BY) per table")
        connection.execute(
            "UPDATE clauses SET comment_count = counted.n FROM (SELECT clause_id, count(*) AS n FROM comments "
            "WHERE state = 'published' GROUP BY clause_id) AS counted WHERE clauses.id = counted.clause_id"
        )
        connection.execute(
            "UPDATE comments SET reply_count = counted.n FROM (SELECT parent_id, count(*) AS n FROM comments "
            "WHERE parent_id IS NOT NULL AND state = 'published' GROUP BY parent_id) AS counted "
            "WHERE comments.id = counted.parent_id"
        )
        connection.execute(
            "UPDATE campaign_groups SET member_count = counted.n FROM (SELECT campaign_group_id, count(*) AS n "
            "FROM comments WHERE campaign_group_id IS NOT NULL AND state = 'published' GROUP BY campaign_group_id) "
            "AS counted WHERE campaign_groups.id = counted.campaign_group_id"
        )
        connection.execute(  # the kept representative: the earliest published member
            "UPDATE campaign_groups SET representative_id = first.id FROM (SELECT campaign_group_id, min(id) AS id "
            "FROM comments WHERE campaign_group_id IS NOT NULL AND state = 'published' GROUP BY campaign_group_id) "
            "AS first WHERE campaign_groups.id = first.campaign_group_id"
        )
        for table in ("users", "comments", "campaign_groups"):
            connection.execute(
                sql.SQL("SELECT setval(pg_get_serial_sequence({t}, 'id'), (SELECT max(id) FROM {i}))").format(
                    t=sql.Literal(table), i=sql.Identifier(table)
                )
            )
    with psycopg.connect(url, autocommit=True) as connection:
        click.echo("ANALYZE")
        connection.execute("VACUUM ANALYZE")
        hot_count = connection.execute(
            "SELECT comment_count FROM clauses WHERE id = %s", (hot_clause_id,)
        ).fetchone()[0]
        total = connection.execute("SELECT count(*) FROM comments").fetchone()[0]
        size = connection.execute("SELECT pg_total_relation_size('comments')").fetchone()[0]
    base = f"/policies/{policy_slug}/versions/{version_slug}"
    info = {
        "database_url": url,
        "comments": total,
        "version_id": version_id,
        "hot_clause_id": hot_clause_id,
        "hot_clause_published": hot_count,
        "campaign_group_id": group_id,
        "section_path": f"{base}/sections/{section_key}",
        "form_path": f"{base}/clauses/{hot_clause_key}/comment",
        "compare_path": f"/policies/{policy_slug}/compare/consultation-draft...revised-draft",
        "commenter": COMMENTER,
        "moderator": MODERATOR,
        "reader": READER,
        "password": PASSWORD,
        "secret_key": SECRET,
        "seconds": round(time.perf_counter() - started, 1),
        "copy_seconds": round(copy_seconds, 1),
        "comments_table_bytes": size,
    }
    STATE.write_text(json.dumps(info, indent=2))
    click.echo(
        f"seeded {total:,} comments in {info['seconds']} s ({size / total:.0f} bytes a comment on disk with "
        f"indexes); busiest clause: {hot_count:,} published; state in {STATE.relative_to(ROOT)}"
    )
    return info


def check(url: str) -> list[str]:
    """Recount every kept count from the rows; return what disagrees (nothing when the seed is right)."""
    problems = []
    queries = {
        "clauses.comment_count": "SELECT count(*) FROM clauses c WHERE c.comment_count <> (SELECT count(*) FROM "
        "comments m WHERE m.clause_id = c.id AND m.state = 'published')",
        "comments.reply_count": "SELECT count(*) FROM comments p WHERE p.reply_count <> coalesce((SELECT count(*) "
        "FROM comments r WHERE r.parent_id = p.id AND r.state = 'published'), 0)",
        "campaign_groups.member_count": "SELECT count(*) FROM campaign_groups g WHERE g.member_count <> (SELECT "
        "count(*) FROM comments m WHERE m.campaign_group_id = g.id AND m.state = 'published')",
        "campaign_groups.representative_id": "SELECT count(*) FROM campaign_groups g WHERE g.representative_id "
        "IS DISTINCT FROM (SELECT min(m.id) FROM comments m WHERE m.campaign_group_id = g.id "
        "AND m.state = 'published')",
    }
    with psycopg.connect(libpq(url)) as connection:
        for name, query in queries.items():
            wrong = connection.execute(query).fetchone()[0]
            if wrong:
                problems.append(f"{name}: {wrong} rows disagree with a recount")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LOAD_DATABASE_URL", "postgresql://127.0.0.1:5432/korero_load"),
    )
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--campaign", type=int, default=30_000, help="letters in the campaign group")
    parser.add_argument(
        "--hot-share", type=float, default=0.23, help="share of comments on the busiest clause"
    )
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--check", action="store_true", help="recount the kept counts afterwards")
    args = parser.parse_args()
    if args.campaign > args.comments * args.hot_share:
        args.campaign = int(args.comments * args.hot_share * 0.5)
        click.echo(f"campaign shrunk to {args.campaign:,} letters to fit the busiest clause")
    seed(args)
    if args.check:
        problems = check(args.database_url)
        for problem in problems:
            click.echo(f"WRONG {problem}", err=True)
        if problems:
            raise SystemExit(1)
        click.echo("check: every kept count agrees with a recount")


if __name__ == "__main__":
    main()
