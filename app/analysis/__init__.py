"""The analysis workbench: search, coding, suggested themes, charts, answering by theme, the report."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the pure modules in this package (textsearch, agreement, themes) must load without Flask
    from flask import Flask


def init_app(app: Flask) -> None:
    from app.analysis import indexing  # noqa: F401 - registers the index listener
    from app.analysis.cli import analysis_cli
    from app.analysis.jobs import init_app as init_jobs
    from app.analysis.views import bp

    app.register_blueprint(bp)
    init_jobs(app)
    app.cli.add_command(analysis_cli)
