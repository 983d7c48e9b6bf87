"""The analysis workbench: search, coding, suggested themes, charts, answering by theme, the report."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.analysis import indexing  # noqa: F401 - registers the index listener
    from app.analysis.cli import analysis_cli
    from app.analysis.jobs import init_app as init_jobs
    from app.analysis.views import bp

    app.register_blueprint(bp)
    init_jobs(app)
    app.cli.add_command(analysis_cli)
