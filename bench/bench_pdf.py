"""PDF renditions: cold render time and size, cached download time, beside WeasyPrint's bare render.

Run: .venv/bin/python bench/bench_pdf.py [--runs 5] [--big-runs 3]

It builds a throwaway SQLite database with the project's drafts, then for the final version's PDF and the
redline consultation draft → final measures, in the same run:
  - bare:   weasyprint.HTML(string=html).write_pdf(stylesheets=...) in this process (the baseline)
  - cold:   Renditions.render_now (the sandboxed worker process, locked fetcher, PDF/UA, atomic write)
  - cached: a GET through the test client that finds the PDF in the cache (send_file, conditional)
  - static: a GET of a static file of about the same size through the same client (the baseline for cached)
Medians of --runs (--big-runs for the renders, which take seconds).
"""

from __future__ import annotations

import argparse
import functools
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_time(func, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def get(client: Any, target: str) -> None:
    response = client.get(target)
    if response.status_code != 200:
        raise SystemExit(f"{target}: HTTP {response.status_code}")
    response.get_data()
    response.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--big-runs", type=int, default=3)
    args = parser.parse_args()

    import weasyprint
    from flask_migrate import upgrade

    from app import create_app
    from app.drafts.services import import_drafts
    from app.extensions import db
    from app.models import Version
    from app.pdf import services
    from app.pdf.jobs import get_renditions

    tmp = Path(tempfile.mkdtemp(prefix="korero-bench-pdf-"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
            "INSTANCE_PATH": str(tmp),
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SERVER_NAME": "korero.test",
            "PDF_RENDER_PROCESSES": 1,
        }
    )
    try:
        with app.app_context():
            upgrade()
            import_drafts(db.session, ROOT / "policy_drafts")
            db.session.commit()
            renditions = get_renditions()
            renditions.pool.warm()
            client = app.test_client()
            versions = {v.slug: v for v in db.session.scalars(db.select(Version))}
            final, consultation = versions["final"], versions["consultation-draft"]
            cases = [
                (
                    "final version",
                    services.version_rendition(db.session, final),
                    "/policies/data-protection-and-use-policy/versions/final/pdf",
                ),
                (
                    "redline consultation → final",
                    services.redline_rendition(db.session, consultation, final),
                    "/policies/data-protection-and-use-policy/compare/consultation-draft...final/pdf",
                ),
                (
                    "one section (Purpose and scope)",
                    services.section_rendition(db.session, final, final.sections[0]),
                    "/policies/data-protection-and-use-policy/versions/final/sections/purpose-and-scope/pdf",
                ),
            ]
            print(
                f"WeasyPrint {weasyprint.__version__}; medians of {args.big_runs} renders, {args.runs} downloads\n"
            )
            print(f"{'rendition':34} {'pages':>5} {'size':>9} {'bare':>8} {'cold':>8} {'ratio':>6}")
            sizes = {}
            for label, rendition, url in cases:
                html, css = rendition.build(), services.stylesheets()
                sheets = [weasyprint.CSS(string=text) for text in css]
                bare_pdf = weasyprint.HTML(string=html).write_pdf(stylesheets=sheets)  # warm this process too

                def bare_render(html: str = html, css: list[str] = css) -> None:
                    weasyprint.HTML(string=html).write_pdf(
                        stylesheets=[weasyprint.CSS(string=t) for t in css]
                    )

                def cold(key: str = rendition.key, html: str = html, css: list[str] = css) -> None:
                    path = renditions.cache.get(key)
                    if path is not None:
                        path.unlink()
                    renditions.render_now(key, html, css)

                bare = median_time(bare_render, args.big_runs)

                cold_time = median_time(cold, args.big_runs)
                path = renditions.cache.get(rendition.key)
                from pypdf import PdfReader

                pages = len(PdfReader(str(path)).pages)
                size = path.stat().st_size
                sizes[label] = (url, size)
                print(
                    f"{label:34} {pages:>5} {size / 1024:>7.0f}kB {bare:>7.3f}s {cold_time:>7.3f}s "
                    f"{cold_time / bare:>5.2f}×   (bare PDF {len(bare_pdf) / 1024:.0f} kB, untagged)"
                )

            # Cached download vs a static file of the same size, through the same client.
            static_dir = Path(app.static_folder)
            print(f"\n{'download (cached)':34} {'size':>9} {'median':>9} {'static file':>12} {'ratio':>6}")
            for label, (url, size) in sizes.items():
                probe = static_dir / "_bench_probe.pdf"
                probe.write_bytes(b"x" * size)
                try:
                    get(client, url)
                    cached = median_time(functools.partial(get, client, url), args.runs)
                    static = median_time(
                        functools.partial(get, client, "/static/_bench_probe.pdf"), args.runs
                    )
                finally:
                    probe.unlink()
                print(
                    f"{label:34} {size / 1024:>7.0f}kB {cached * 1000:>7.1f}ms {static * 1000:>10.1f}ms "
                    f"{cached / static:>5.2f}×"
                )
            renditions.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
