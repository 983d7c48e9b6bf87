"""Benchmark whole-version submissions (a script, not a test).

    .venv/bin/python bench/bench_submissions.py [--runs N] [--samples N] [--rows N] [--only import]

Printed, each the median of --runs runs (at least 5), beside a baseline measured in the same run, on a fresh
SQLite database in a temporary folder (the app's own test client: the whole Flask stack, CSRF off, no network):

(a) accepting a submission with three 3 MB PDF attachments: p50 of the POST's wall time over --samples people
    (each signed in beforehand, one submission each), beside the same POST with no attachments.
    Sniffing, the zip/PDF checks, hashing, storing and inline extraction are all inside the timed request
    (SUBMISSIONS_EXTRACT_INLINE_BYTES is raised so the extraction is not deferred to the worker thread).
(b) extraction throughput in pages per second: `app.submissions.extraction.extract` on the same three files,
    beside pypdf's bare `PdfReader(...).pages[i].extract_text()` loop over the same bytes.
(c) (median of --import-runs runs, at least 3) the bulk import rate for --rows rows (10,000 by default) of a CSV:
    `import_table` (every row checked, cleaned, rendered and duplicate-checked, then all stored in batched
    INSERTs with their search documents, in one all-or-nothing transaction), beside a raw
    SQLAlchemy Core executemany INSERT of the same rows into the same table.

The machine has 2 cores shared with up to 7 other jobs: absolute figures move with the load; the ratio to the
baseline measured in the same run is the figure to read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402 - the repository root must be on the path first
from bench_foundation import bench_config, build_schema  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.services import create_user  # noqa: E402
from app.comments.forms import sign_shown_at  # noqa: E402
from app.drafts.parsing import NZ  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Submission, Version  # noqa: E402
from tests.support.files import pdf  # noqa: E402

PASSWORD = "bench password 2026"  # noqa: S105 - a throwaway local database
MB = 1024 * 1024


def three_mb_pdf(n: int) -> bytes:
    """A PDF of about 3 MB: 40 pages of text padded with a comment so the bytes are realistic in size."""
    return pdf(f"Submission attachment {n}, a page of our letter", pages=40, padding=3 * MB)


def median(values: list[float]) -> float:
    return statistics.median(values)


def setup(folder: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{folder / 'bench.db'}"
    config = {
        **bench_config(url, folder),
        "WTF_CSRF_ENABLED": False,
        "TESTING": True,
        "PAGE_CACHE_SECONDS": 0,
        "COMMENTS_MIN_FILL_SECONDS": 0,
        "SUBMISSIONS_EXTRACT_INLINE_BYTES": 20 * MB,
    }
    app = create_app(config)
    build_schema(app)
    from app.drafts.services import import_drafts

    with app.app_context():
        import_drafts(db.session, ROOT / "policy_drafts")
        version = db.session.scalars(
            sa.select(Version).where(Version.status != "working").order_by(Version.id)
        ).first()
        now = dt.datetime.now(dt.UTC)
        version.comments_open_at = now - dt.timedelta(days=1)
        version.comments_close_at = now + dt.timedelta(days=30)
        db.session.commit()
        target = (version.policy.slug, version.slug, version.id)
    return app, target


def bench_accept(app, target, runs: int, samples: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    policy, slug, _ = target
    files = [three_mb_pdf(i) for i in range(3)]
    with_files: list[float] = []
    without: list[float] = []
    counter = 0
    for _run in range(runs):
        for kind, out in (("files", with_files), ("none", without)):
            times = []
            for _ in range(samples):
                counter += 1
                with app.app_context():
                    email = f"bench{counter}@example.org"
                    create_user(db.session, email, f"Bench {counter}", PASSWORD, verified=True)
                    db.session.commit()
                    shown_at = sign_shown_at(time.time() - 60)
                client = app.test_client()
                client.post("/login", data={"email": email, "password": PASSWORD})
                data = {
                    "body": f"Submission number {counter}: the draft needs plainer words in part {counter % 7}.",
                    "consent": "named",
                    "submitter_kind": "individual",
                    "shown_at": shown_at,
                    "website": "",
                    "submit": "x",
                }
                if kind == "files":
                    data["attachments"] = [(io.BytesIO(f), f"letter-{i}.pdf") for i, f in enumerate(files)]
                start = time.perf_counter()
                response = client.post(
                    f"/policies/{policy}/versions/{slug}/submission",
                    data=data,
                    content_type="multipart/form-data",
                )
                times.append(time.perf_counter() - start)
                if response.status_code != 303:
                    raise SystemExit(f"submission refused: {response.status_code}")
            out.append(median(times) * 1000)
    return median(with_files), median(without)


def bench_extract(runs: int) -> tuple[float, float, int]:
    from pypdf import PdfReader

    from app.submissions.extraction import extract

    files = [three_mb_pdf(i) for i in range(3)]
    pages = sum(len(PdfReader(io.BytesIO(f)).pages) for f in files)
    ours, bare = [], []
    for _ in range(runs):
        start = time.perf_counter()
        for f in files:
            extract("pdf", f)
        ours.append(pages / (time.perf_counter() - start))
        start = time.perf_counter()
        for f in files:
            reader = PdfReader(io.BytesIO(f))
            for page in reader.pages:
                page.extract_text()
        bare.append(pages / (time.perf_counter() - start))
    return median(ours), median(bare), pages


def csv_rows(n: int, offset: int) -> bytes:
    today = dt.datetime.now(dt.UTC).astimezone(NZ).date().isoformat()
    lines = ["name,contact,organisation,organisation_kind,region,consent,channel,received_on,text"]
    for i in range(n):
        lines.append(
            f"Person {offset}-{i},,,,Otago,named,post,{today},Transcribed paper submission {offset}-{i} about the glossary."
        )
    return ("\n".join(lines) + "\n").encode()


def bench_import(app, target, runs: int, rows: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    from app.comments.campaigns import fingerprint
    from app.intake.services import import_table
    from app.models import User

    _, _, version_id = target
    ours, raw = [], []
    with app.app_context():
        staff = create_user(
            db.session, "intake@bench.example.org", "Bench intake", PASSWORD, "intake", verified=True
        )
        db.session.commit()
        staff_id = staff.id
    for run in range(runs):
        data = csv_rows(rows, run)
        with app.app_context():
            session = db.session
            version = session.get(Version, version_id)
            staff = session.get(User, staff_id)
            start = time.perf_counter()
            report = import_table(session, staff, version, "bench.csv", data, dry_run=False)
            session.commit()
            ours.append(rows / (time.perf_counter() - start))
            if not report.ok or len(report.created) != rows:
                raise SystemExit(f"import refused: {report.problems[:3]}")
        today = dt.datetime.now(dt.UTC).astimezone(NZ).date()
        values = [
            {
                "tracking_number": f"KR-R{run:03d}-{i:04d}"[:16],
                "version_id": version_id,
                "entered_by_id": staff_id,
                "submitter_name": f"Raw {run}-{i}",
                "submitter_kind": "individual",
                "consent": "named",
                "channel": "post",
                "received_on": today,
                "body": f"Transcribed paper submission raw {run}-{i} about the glossary.",
                "body_html": "",
                "section_keys": [],
                "fingerprint_hash": fingerprint(f"raw {run} {i}"),
                "state": "published",
                "region": "Otago",
                "created_at": dt.datetime.now(dt.UTC),
            }
            for i in range(rows)
        ]
        with app.app_context():
            start = time.perf_counter()
            with db.engine.begin() as connection:
                connection.execute(sa.insert(Submission.__table__), values)
            raw.append(rows / (time.perf_counter() - start))
    return median(ours), median(raw)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--import-runs", type=int, default=3, help="runs of (c), each --rows rows")
    parser.add_argument("--only", choices=("accept", "extract", "import"), help="run one part only")
    args = parser.parse_args()
    runs = max(5, args.runs)
    with tempfile.TemporaryDirectory() as folder:
        app, target = setup(Path(folder))
        print(f"whole-version submissions, SQLite, median of {runs} runs (2 shared cores: read the ratios)")
        if args.only in (None, "accept"):
            with_files, without = bench_accept(app, target, runs, args.samples)
            print(
                f"  (a) accept, 3 x 3 MB PDFs, p50       {with_files:9.1f} ms | baseline, no files   {without:9.1f} ms (x{with_files / without:.1f})"
            )
        if args.only in (None, "extract"):
            ours, bare, pages = bench_extract(runs)
            print(
                f"  (b) extraction, {pages} pages         {ours:9.1f} p/s | bare pypdf           {bare:9.1f} p/s (x{bare / ours:.2f} slower)"
            )
        if args.only not in (None, "import"):
            return
        imported, raw = bench_import(app, target, max(3, args.import_runs), args.rows)
        print(
            f"  (c) import {args.rows:,} rows            {imported:9.0f} rows/s | raw INSERT      {raw:9.0f} rows/s (x{raw / imported:.1f} slower)"
        )


if __name__ == "__main__":
    main()
