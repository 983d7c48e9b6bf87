"""`flask analysis reindex` rebuilds the search index; `flask analysis themes` runs suggested themes here."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.analysis import indexing, jobs
from app.boundary import unit_of_work
from app.models import Policy, ThemeRun, Version

analysis_cli = AppGroup("analysis", help="The analysis workbench: search index and suggested themes.")


@analysis_cli.command("reindex")
def reindex() -> None:
    """Rewrite every search document from the rows it indexes."""
    with unit_of_work() as session:
        count = indexing.reindex_all(session)
    click.echo(f"indexed {count} items")


@analysis_cli.command("themes")
@click.argument("policy_slug")
@click.argument("version_slug")
@click.option("--themes", default=8, show_default=True)
@click.option("--seed", default=0, show_default=True)
def themes(policy_slug: str, version_slug: str, themes: int, seed: int) -> None:
    """Work out suggested themes for a version in the foreground."""
    with unit_of_work() as session:
        version = session.scalar(
            select(Version).join(Policy).where(Policy.slug == policy_slug, Version.slug == version_slug)
        )
        if version is None:
            raise click.ClickException("no such version")
        run = ThemeRun(
            version_id=version.id, themes_wanted=max(2, min(themes, jobs.MAX_THEMES)), seed=max(0, seed)
        )
        session.add(run)
        session.flush()
        jobs.compute(session, run.id)
        click.echo(f"run {run.id}: {run.status}")
