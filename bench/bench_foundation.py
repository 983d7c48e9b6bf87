"""Benchmark the foundation: parse the drafts, import them, serve the biggest reading pages (a script, not a test).

    .venv/bin/python bench/bench_foundation.py [--runs N] [--requests N] [--drafts DIR] [--pg URL]

Printed, each a median of --runs runs (at least 5) beside a baseline measured in the same run:
- parse: every draft under policy_drafts/ through `find_draft_files` + `parse_chain`, beside only reading and
  decoding the same files, and beside markdown-it tokenising the same text (the parser's own floor);
- import: `import_drafts` into a fresh SQLite database (schema built by `upgrade head`, not timed), and into a
  fresh PostgreSQL database with --pg or a postgres DATABASE_URL, beside one Core executemany of the same
  clause rows into a scratch table on the same database;
- render: the largest section page and the largest full version page, through Flask's test client and through
  a real server (gunicorn, one gthread worker, one thread: keep-alive) with a keep-alive HTTP client, beside a Flask route that returns a
  pre-rendered string of the same size the same two ways. Times are per request, medians of --requests.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402 - the repository root must be on the path first
from flask import Flask  # noqa: E402

from app import create_app  # noqa: E402
from app.drafts.parsing import decode_draft  # noqa: E402
from app.drafts.services import find_draft_files, import_drafts, parse_chain  # noqa: E402
from app.extensions import db  # noqa: E402

DRAFTS = ROOT / "policy_drafts"
SECRET = "bench-secret-key-not-for-production"  # noqa: S105 - a throwaway local server


def median_ms(fn: Callable[[], object], runs: int) -> float:
    """Run `fn` `runs` times; return the median wall time in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def line(label: str, ms: float, baseline_label: str, baseline_ms: float) -> str:
    ratio = ms / baseline_ms if baseline_ms else float("inf")
    return f"  {label:<44} {ms:9.2f} ms   | {baseline_label:<34} {baseline_ms:9.2f} ms   (×{ratio:.1f})"


def bench_config(url: str, instance: Path) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": SECRET,
        "INSTANCE_PATH": str(instance),
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": None,
    }


# --- parse -------------------------------------------------------------------------------------------------


def bench_parse(drafts: Path, runs: int) -> None:
    from markdown_it import MarkdownIt

    files = find_draft_files(drafts)
    words = sum(len(f.path.read_text(encoding="utf-8").split()) for f in files)
    print(f"parse: {len(files)} drafts, {words:,} words, median of {runs} runs")

    def parse_all() -> None:
        for _draft, _document in parse_chain(find_draft_files(drafts)):
            pass

    def read_all() -> None:
        for f in find_draft_files(drafts):
            decode_draft(f.path.read_bytes(), str(f.path))

    md = MarkdownIt("js-default")
    texts = [f.path.read_text(encoding="utf-8") for f in files]

    def tokenise_all() -> None:
        for text in texts:
            md.parse(text)

    parse_ms = median_ms(parse_all, runs)
    print(
        line("find_draft_files + parse_chain", parse_ms, "read + decode the files", median_ms(read_all, runs))
    )
    print(line("", parse_ms, "markdown-it tokenise only", median_ms(tokenise_all, runs)))


# --- import ------------------------------------------------------------------------------------------------


def fresh_sqlite(folder: Path, n: int) -> str:
    return f"sqlite:///{folder / f'bench-{n}.db'}"


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """Create a scratch database on the server for this benchmark; drop it afterwards."""
    name = f"bench_foundation_{os.getpid()}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_schema(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def build_schema(app: Flask) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        db.engine.dispose()


def clause_rows(drafts: Path) -> list[dict[str, str]]:
    from app.drafts.rendering import render_clause

    return [
        {"key": c.key, "markdown": c.markdown, "html": render_clause(c.markdown), "text": c.text}
        for _f, document in parse_chain(find_draft_files(drafts))
        for section in document.sections
        for c in section.clauses
    ]


def bench_import(label: str, make_url: Callable[[int], str], drafts: Path, instance: Path, runs: int) -> str:
    """Time import_drafts into `runs` fresh databases; return the URL of the last one (left imported)."""
    rows = clause_rows(drafts)
    import_times, baseline_times = [], []
    url = ""
    for n in range(runs):
        url = make_url(n)
        empty_schema(url)
        app = create_app(bench_config(url, instance))
        build_schema(app)
        with app.app_context():
            start = time.perf_counter()
            report = import_drafts(db.session, drafts)
            db.session.commit()
            import_times.append(time.perf_counter() - start)
            db.session.remove()

            scratch = sa.Table(
                "bench_scratch",
                sa.MetaData(),
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("key", sa.String(200)),
                sa.Column("markdown", sa.Text),
                sa.Column("html", sa.Text),
                sa.Column("text", sa.Text),
            )
            scratch.create(db.engine)
            start = time.perf_counter()
            with db.engine.begin() as connection:
                connection.execute(scratch.insert(), rows)
            baseline_times.append(time.perf_counter() - start)
            scratch.drop(db.engine)
            db.engine.dispose()
    print(f"import into a fresh {label} database: {len(report.created)} versions, {len(rows)} clauses")
    print(
        line(
            "import_drafts (parse + store) + commit",
            statistics.median(import_times) * 1000,
            "Core executemany of the clause rows",
            statistics.median(baseline_times) * 1000,
        )
    )
    return url


# --- render ------------------------------------------------------------------------------------------------


def biggest_pages(app: Flask) -> dict[str, str]:
    """The URL paths of the largest section page and the largest version page."""
    from app.models import Clause, Section, Version

    with app.app_context():
        session = db.session
        version = max(session.scalars(sa.select(Version)), key=lambda v: v.word_count)
        section_size = (
            sa.select(Section, sa.func.sum(sa.func.length(Clause.html)).label("size"))
            .join(Clause, Clause.section_id == Section.id)
            .group_by(Section.id)
            .order_by(sa.desc("size"))
            .limit(1)
        )
        section = session.execute(section_size).first()[0]
        base = f"/policies/{version.policy.slug}/versions"
        pages = {
            f"version page ({version.label})": f"{base}/{version.slug}",
            f"section page ({section.heading[:24]})": (
                f"/policies/{section.version.policy.slug}/versions/{section.version.slug}/sections/{section.key}"
            ),
        }
        db.session.remove()
    return pages


def static_app(bodies: dict[str, str]) -> Flask:
    """The baseline: Flask returning a pre-rendered string, one route per page."""
    app = Flask("baseline")
    for n, body in enumerate(bodies.values()):
        app.add_url_rule(f"/static/{n}", f"page{n}", lambda body=body: body)
    return app


def server_app() -> Flask:
    """What gunicorn serves (it imports this module): the real app, or the baseline, per the environment."""
    if os.environ["BENCH_MODE"] == "app":
        return create_app(json.loads(os.environ["BENCH_CONFIG"]))
    return static_app(json.loads(Path(os.environ["BENCH_BODIES"]).read_text()))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(env: dict[str, str], app_spec: str = "bench_foundation:server_app()") -> Iterator[int]:
    """Serve `app_spec` with one gthread worker, one thread: keep-alive on a free port until the block ends."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "gthread", "--threads", "1",
        "--chdir", str(ROOT), "--pythonpath", f"{ROOT / 'bench'},{ROOT}", "--log-level", "warning",
        app_spec,
    ]  # fmt: skip
    proc = subprocess.Popen(command, env={**os.environ, **env})  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def http_get_ms(port: int, path: str, requests: int) -> tuple[float, int]:
    """Median ms per GET over one keep-alive connection (after two warm-up requests); and the body size."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    size = 0

    def get() -> None:
        nonlocal size
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status}")
        size = len(body)

    get()
    get()
    ms = median_ms(get, requests)
    connection.close()
    return ms, size


def bench_render(url: str, instance: Path, requests: int) -> None:
    app = create_app(bench_config(url, instance))
    pages = biggest_pages(app)
    client = app.test_client()
    bodies = {}
    for label, path in pages.items():
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code}")
        bodies[label] = response.get_data(as_text=True)
    baseline = static_app(bodies)
    baseline_client = baseline.test_client()

    print(
        f"render: median of {requests} requests each, after warm-up ({url.split(':', maxsplit=1)[0]} database)"
    )
    # The server time to render: the page cache (anonymous readers) switched off in a second app.
    uncached = create_app({**bench_config(url, instance), "PAGE_CACHE_SECONDS": 0}).test_client()
    for title, test_client in (
        (" through Flask's test client, rendered (page cache off)", uncached),
        (" through Flask's test client, anonymous reader (page cache on)", client),
    ):
        print(title)
        for n, (label, path) in enumerate(pages.items()):
            for _ in range(2):
                test_client.get(path)
                baseline_client.get(f"/static/{n}")
            app_ms = median_ms(lambda path=path, c=test_client: c.get(path), requests)
            base_ms = median_ms(lambda n=n: baseline_client.get(f"/static/{n}"), requests)
            size = len(bodies[label].encode())
            print(line(f"{label}, {size / 1024:.0f} KiB", app_ms, "pre-rendered string, same size", base_ms))

    print(" through gunicorn (1 worker, 1 thread) and http.client, one keep-alive connection, page cache on")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(bodies, handle)
        bodies_file = handle.name
    try:
        app_env = {"BENCH_MODE": "app", "BENCH_CONFIG": json.dumps(bench_config(url, instance))}
        with (
            gunicorn(app_env) as app_port,
            gunicorn({"BENCH_MODE": "static", "BENCH_BODIES": bodies_file}) as base_port,
        ):
            for n, (label, path) in enumerate(pages.items()):
                app_ms, size = http_get_ms(app_port, path, requests)
                base_ms, _ = http_get_ms(base_port, f"/static/{n}", requests)
                print(
                    line(f"{label}, {size / 1024:.0f} KiB", app_ms, "pre-rendered string, same size", base_ms)
                )
    finally:
        os.unlink(bodies_file)
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs for parse and import (at least 5)")
    parser.add_argument("--requests", type=int, default=50, help="requests per page (at least 5)")
    parser.add_argument("--drafts", type=Path, default=DRAFTS)
    parser.add_argument(
        "--pg", help="also import into PostgreSQL on this server (default: a postgres DATABASE_URL)"
    )
    args = parser.parse_args()
    if args.runs < 5 or args.requests < 5:
        parser.error("use at least 5 runs and 5 requests: the figures are medians")
    pg = args.pg or (
        os.environ.get("DATABASE_URL") if "postgres" in os.environ.get("DATABASE_URL", "") else None
    )

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"Python {sys.version.split()[0]}, SQLAlchemy {sa.__version__}, {os.cpu_count()} CPUs, load average {load}\n"
    )
    bench_parse(args.drafts, args.runs)
    print()
    with tempfile.TemporaryDirectory(prefix="korero-bench-") as tmp:
        instance = Path(tmp)
        sqlite_url = bench_import(
            "SQLite", lambda n: fresh_sqlite(instance, n), args.drafts, instance, args.runs
        )
        if pg:
            for prefix in ("postgres://", "postgresql://"):
                if pg.startswith(prefix):
                    pg = "postgresql+psycopg://" + pg.removeprefix(prefix)
            with postgres_database(pg) as pg_url:
                print()
                bench_import("PostgreSQL", lambda _n: pg_url, args.drafts, instance, args.runs)
                print()
                bench_render(pg_url, instance, args.requests)
        print()
        bench_render(sqlite_url, instance, args.requests)


if __name__ == "__main__":
    main()
