"""Thin command-line shells around the services: `flask drafts ...`, `korero serve`."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from app.boundary import unit_of_work
from app.drafts import services as draft_services
from app.drafts.parsing import DraftParseError

drafts_cli = click.Group("drafts", help="Import and check policy drafts.")


@drafts_cli.command("import")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@with_appcontext
def import_command(path: Path | None) -> None:
    """Import every draft under PATH (default: policy_drafts/) in one transaction."""
    root = path or Path(current_app.config["DRAFTS_PATH"])
    try:
        with unit_of_work() as session:
            files = draft_services.find_draft_files(root)
            with click.progressbar(length=len(files), label="Importing drafts", show_pos=True) as bar:
                report = draft_services.import_drafts(session, root, progress=lambda *_: bar.update(1))
    except DraftParseError as error:  # the unit of work rolled back
        raise click.ClickException(f"{error} (nothing was imported)") from None
    click.echo(f"{len(report.created)} version(s) imported, {len(report.unchanged)} already up to date.")


@drafts_cli.command("check")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def check_command(file: Path) -> None:
    """Lint one draft FILE without touching the database."""
    try:
        document = draft_services.read_draft(file)
    except (DraftParseError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"{file}: OK — '{document.version}' ({document.status}), {len(document.sections)} sections, "
        f"{len(document.clauses)} clauses, {document.word_count():,} words."
    )


def init_app(app: Flask) -> None:
    """Register the command groups on the app."""
    app.cli.add_command(drafts_cli)
    app.cli.add_command(serve_command)
    app.cli.add_command(setup_command)
    from app.auth.cli import users_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(comments_cli)
    app.cli.add_command(jobs_cli)
    from app.notify.cli import notify_cli

    app.cli.add_command(notify_cli)
    from app.submissions.cli import submissions_cli

    app.cli.add_command(submissions_cli)


def prepare_database(demo: bool) -> None:
    """Apply migrations, import the drafts and (in development) create the demo accounts."""
    from flask_migrate import upgrade

    upgrade()
    root = Path(current_app.config["DRAFTS_PATH"])
    files = draft_services.find_draft_files(root)
    with (
        unit_of_work() as session,
        click.progressbar(length=len(files), label="Importing drafts", show_pos=True) as bar,
    ):
        report = draft_services.import_drafts(session, root, progress=lambda *_: bar.update(1))
    click.echo(f"Drafts: {len(report.created)} imported, {len(report.unchanged)} already there.")
    from app.pdf import prerender_after_commit

    queued = prerender_after_commit(session)
    if queued:
        click.echo(f"PDFs: {queued} rendition(s) are being prepared in the background.")
    if demo and current_app.config["ENV"] != "production":
        from app.auth.services import ensure_demo_accounts

        with unit_of_work() as session:
            accounts = ensure_demo_accounts(session)
        click.echo("\nDemo accounts (development only — never created in production):")
        for role, email, password in accounts:
            click.echo(f"  {role:<10} {email:<28} password: {password}")
        from app.consultations.demo import ensure_demo_consultation

        with unit_of_work() as session:
            demo_report = ensure_demo_consultation(session)
            demo_slug = demo_report.policy.slug
        what = "created" if demo_report.created else ("reopened" if demo_report.reopened else "already there")
        click.echo(f"\nDemo consultation ({what}), open for comment now: /policies/{demo_slug}")
        click.echo(
            "  Sign in as commenter@demo.korero.test to comment; it is marked as demo data on every page."
        )


@click.command("setup")
@click.option("--demo/--no-demo", default=True, help="Create the demo accounts (never in production).")
@with_appcontext
def setup_command(demo: bool) -> None:
    """Apply migrations, import policy_drafts/ and create demo accounts."""
    try:
        prepare_database(demo)
    except DraftParseError as error:  # its unit of work rolled back
        raise click.ClickException(str(error)) from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo/--no-demo", default=True, help="Create the demo accounts (never in production).")
@with_appcontext
def serve_command(host: str, port: int, demo: bool) -> None:
    """Set up the database, then serve the app (development server; use gunicorn in production)."""
    try:
        prepare_database(demo)
    except DraftParseError as error:  # its unit of work rolled back
        raise click.ClickException(str(error)) from None
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.secho(f"\nKōrero is running: open http://{host}:{port}/  (Ctrl+C to stop)\n", bold=True)
    # Werkzeug's threaded server suits one person trying Kōrero; production runs `gunicorn wsgi:app`.
    # (Flask's app.run() refuses to start inside a `flask` command, so the server is started directly.)
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


def _create_app() -> Flask:
    from app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main() -> None:
    """Kōrero's command line (the same commands as `flask --app wsgi`)."""
    os.environ.setdefault("FLASK_APP", "wsgi")


comments_cli = AppGroup("comments", help="Comment upkeep.")


@comments_cli.command("settle")
def settle_command() -> None:
    """Do the deferred work (grouping, counts) of every comment whose job was lost."""
    from app.comments.jobs import settle_pending

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    total = 0
    while done := settle_pending(app):
        total += done
    click.echo(f"settled {total} comments")


@comments_cli.command("backlog")
@click.option(
    "--max-age",
    type=click.FloatRange(min=0),
    default=None,
    help="Exit 1 when the oldest unsettled comment has waited longer than this many seconds.",
)
def backlog_command(max_age: float | None) -> None:
    """Say how many comments are stored but not yet settled, and how long the oldest has waited (for cron)."""
    from app.comments.jobs import backlog

    try:
        with unit_of_work() as session:
            found = backlog(session)
    except SQLAlchemyError as error:
        click.echo(f"could not read the settle backlog: {type(error).__name__}", err=True)
        raise SystemExit(2) from None
    age = found.oldest_age()
    count = f"at least {found.count}" if found.capped else str(found.count)
    click.echo(f"unsettled comments: {count}; oldest waiting {age:.0f} s")
    if max_age is not None and age > max_age:
        click.echo(
            f"the oldest unsettled comment has waited {age:.0f} s, over the limit of {max_age:g} s: "
            "start more `rq worker korero-comments` or run `flask comments settle`",
            err=True,
        )
        raise SystemExit(1)


jobs_cli = AppGroup("jobs", help="Background jobs kept on rows: table imports, suggested themes.")


@jobs_cli.command("sweep")
@click.option(
    "--after",
    type=click.IntRange(min=0),
    default=None,
    help="Seconds without a heartbeat before a run counts as lost (default: JOBS_STALE_AFTER).",
)
def sweep_command(after: int | None) -> None:
    """Mark failed every queued or running job whose worker was lost (run after a restart, or from cron)."""
    from app.jobs import sweep_all

    if after is not None:
        current_app.config["JOBS_STALE_AFTER"] = after
    limit = current_app.config.get("JOBS_STALE_AFTER")
    with unit_of_work() as session:
        swept = sweep_all(session)
        lines = [
            f"{job.name} run {row.id} (started {row.created_at:%Y-%m-%d %H:%M} UTC)" for job, row in swept
        ]
    if not swept:
        click.echo(
            f"No lost runs: every queued or running job has beaten its heartbeat in the last {limit} s."
        )
        return
    click.echo(f"Marked {len(swept)} lost run(s) failed (no heartbeat for {limit} s); they can be run again:")
    for line in lines:
        click.echo(f"  {line}")
