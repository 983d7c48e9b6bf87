"""`flask submissions import FILE --version POLICY/VERSION [--check]` and `flask submissions extract`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.boundary import unit_of_work
from app.exceptions import DomainError

submissions_cli = AppGroup(
    "submissions", help="Offline submissions: import a table; extract attachments' text."
)


@submissions_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--version", "target", required=True, help="POLICY-SLUG/VERSION-SLUG the submissions are on.")
@click.option("--as", "email", required=True, help="Email of the intake or drafting account entering them.")
@click.option("--check", is_flag=True, help="Check every row and save nothing.")
def import_command(file: Path, target: str, email: str, check: bool) -> None:
    """Import a CSV or XLSX table of transcribed submissions: all rows, or (any row bad) none."""
    from app.intake.services import import_table
    from app.models import Policy, User, Version

    policy_slug, _, version_slug = target.partition("/")
    data = file.read_bytes()
    try:
        with unit_of_work() as session:
            version = session.scalar(
                select(Version).join(Policy).where(Policy.slug == policy_slug, Version.slug == version_slug)
            )
            if version is None:
                raise click.ClickException(f"no version {target}")
            staff = session.scalar(select(User).where(User.email == email.strip().lower()))
            if staff is None:
                raise click.ClickException(f"no account {email}")
            with click.progressbar(length=max(1, data.count(b"\n")), label="Checking rows") as bar:
                report = import_table(
                    session,
                    staff,
                    version,
                    file.name,
                    data,
                    dry_run=check,
                    progress=lambda _n, _total: bar.update(1),
                )
    except DomainError as error:
        raise click.ClickException(f"{error.message} (nothing was imported)") from None
    for problem in report.problems:
        click.echo(f"line {problem.line}, column {problem.column}: {problem.message}", err=True)
    if report.problems:
        raise click.ClickException(f"{len(report.problems)} problem(s) found; nothing was imported")
    if check:
        click.echo(f"{report.rows} row(s) checked; every one is right. Nothing was saved.")
    else:
        click.echo(f"{len(report.created)} submission(s) imported.")


@submissions_cli.command("extract")
def extract_command() -> None:
    """Extract the text of every attachment still waiting for it."""
    from app.submissions.jobs import extract_pending

    done = extract_pending()
    click.echo(f"{done} attachment(s) extracted.")
