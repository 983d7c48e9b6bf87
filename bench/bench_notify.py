"""Benchmark the mail queue (a script, not a test).

    .venv/bin/python bench/bench_notify.py [--messages 10000] [--runs 3]

Sends --messages receipt notifications to a local SMTP debugging server (aiosmtpd's Sink handler, on 127.0.0.1,
in this process) in two ways, in the same run, and prints per-email costs, each the median of --runs runs:

(a) through the queue: `enqueue` of one outbox row per receipt (what a request pays; all rows in one
    transaction here), then the worker's `drain` — claim each row with a conditional UPDATE, find the author
    and their settings, render the plain-text and HTML parts with the unsubscribe headers, send over one
    SMTP connection, mark the row done (two short transactions per row);
(b) baseline: the same messages, rendered beforehand, sent with smtplib over one connection and nothing else.

The database is a scratch SQLite file (WAL), built by `alembic upgrade head`; the comments the receipts are
for are inserted directly (one per author), since posting them is not what is measured.
The machine has 2 cores shared with up to 7 other helpers: figures vary by tens of percent between runs.
"""

from __future__ import annotations

import argparse
import smtplib
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from aiosmtpd.controller import Controller  # noqa: E402 - the repository root must be on the path first
from bench_foundation import build_schema  # noqa: E402
from sqlalchemy import delete, insert, select  # noqa: E402

from app import create_app  # noqa: E402
from app.boundary import unit_of_work  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Clause, Comment, OutboxMessage, User  # noqa: E402
from app.notify import queue  # noqa: E402
from app.notify.letters import letters_for, public_request_context, render_letter  # noqa: E402

SECRET = "bench-secret-key-not-for-production"  # noqa: S105 - a throwaway local run


class Counting:
    """An SMTP handler that accepts and drops every message (aiosmtpd's Sink), counting them."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def seed(app, count: int) -> list[int]:
    """A policy version, `count` authors and one comment each; return the comment ids."""
    from tests.factories import make_version

    with app.app_context(), unit_of_work() as session:
        version = make_version(session, policy_slug="bench-policy")
        clause = session.scalars(select(Clause).where(Clause.version_id == version.id).limit(1)).one()
        password_hash = "not-a-hash: these accounts never sign in"  # noqa: S105 - no password is checked here
        session.execute(
            insert(User),
            [
                {
                    "email": f"person{n}@bench.example.org",
                    "display_name": f"Person {n}",
                    "password_hash": password_hash,
                    "role": "commenter",
                    "session_token": f"bench-token-{n}",
                }
                for n in range(count)
            ],
        )
        user_ids = list(session.scalars(select(User.id).order_by(User.id)))
        session.execute(
            insert(Comment),
            [
                {
                    "tracking_number": f"KR-{n // 10000:04d}-{n % 10000:04d}",
                    "user_id": user_id,
                    "version_id": version.id,
                    "clause_id": clause.id,
                    "body": f"Benchmark comment number {n}: keep the records short and say who sees them.",
                    "body_html": f"<p>Benchmark comment number {n}.</p>",
                    "fingerprint_hash": f"{n:064d}",
                }
                for n, user_id in enumerate(user_ids)
            ],
        )
    with app.app_context():
        return list(db.session.scalars(select(Comment.id).order_by(Comment.id)))


def through_the_queue(app, comment_ids: list[int]) -> tuple[float, float, int]:
    """(seconds to enqueue, seconds to drain, messages sent)."""
    with app.app_context():
        started = time.perf_counter()
        with unit_of_work() as session:
            for comment_id in comment_ids:
                queue.enqueue(session, "receipt", {"comment_id": comment_id}, locale="en")
        enqueued = time.perf_counter()
        sent = queue.drain()
        drained = time.perf_counter()
        with unit_of_work() as session:
            session.execute(delete(OutboxMessage))
    return enqueued - started, drained - enqueued, sent


def rendered(app, comment_ids: list[int]) -> list:
    """The same receipts, rendered once up front, for the raw-SMTP baseline."""
    messages = []
    with app.app_context():
        session = db.session
        for comment_id in comment_ids:
            row = OutboxMessage(kind="receipt", payload={"comment_id": comment_id}, locale="en")
            with public_request_context():
                for letter in letters_for(session, row):
                    messages.append(render_letter(letter))
        session.rollback()
    return messages


def raw_smtp(messages: list, port: int) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for message in messages:
            smtp.send_message(message)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    handler = Counting()
    with socket.socket() as probe:  # aiosmtpd's controller cannot take port 0: find a free one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    with tempfile.TemporaryDirectory(prefix="korero-bench-notify-") as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        app = create_app(
            {
                "SECRET_KEY": SECRET,
                "SQLALCHEMY_DATABASE_URI": url,
                "INSTANCE_PATH": tmp,
                "REDIS_URL": None,
                "RATELIMIT_STORAGE_URI": "memory://",
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": port,
                "MAIL_USE_TLS": False,
                "PUBLIC_URL": "https://korero.example.org",
                "PDF_PRERENDER": False,
            }
        )
        build_schema(app)
        comment_ids = seed(app, args.messages)
        messages = rendered(app, comment_ids)
        enqueue_times, drain_times, raw_times = [], [], []
        for run in range(args.runs):
            before = handler.count
            raw_times.append(raw_smtp(messages, port))
            if handler.count - before != len(messages):
                raise SystemExit(f"the SMTP server got {handler.count - before} of {len(messages)} messages")
            enqueue_s, drain_s, sent = through_the_queue(app, comment_ids)
            if sent != len(comment_ids):
                raise SystemExit(f"the queue sent {sent} of {len(comment_ids)} messages")
            enqueue_times.append(enqueue_s)
            drain_times.append(drain_s)
            print(
                f"run {run + 1}: raw SMTP {raw_times[-1]:.2f} s, enqueue {enqueue_s:.2f} s, "
                f"worker {drain_s:.2f} s for {sent:,} messages",
                flush=True,
            )
        with app.app_context():
            db.engine.dispose()
    controller.stop()

    n = args.messages
    raw = statistics.median(raw_times) / n * 1000
    enq = statistics.median(enqueue_times) / n * 1000
    work = statistics.median(drain_times) / n * 1000
    print()
    print(f"{n:,} receipt notifications, SQLite, SMTP to aiosmtpd on 127.0.0.1; median of {args.runs} runs")
    print("(2 cores shared with up to 7 other helpers' jobs: read the figures as rough)")
    print(f"  baseline, raw SMTP send of the rendered messages  {raw:7.3f} ms per email")
    print(f"  queue: enqueue in the request's transaction       {enq:7.3f} ms per email")
    print(f"  queue: worker (claim, render, send, mark done)    {work:7.3f} ms per email")
    print(
        f"  queue total                                       {enq + work:7.3f} ms per email "
        f"({(enq + work) / raw:.1f}x the raw send)"
    )


if __name__ == "__main__":
    main()
