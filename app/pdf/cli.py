"""`flask pdf render`: make the PDFs of public versions and redlines ahead of time."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.boundary import current_session
from app.pdf import services
from app.pdf.jobs import get_renditions
from app.pdf.render import RenderError

pdf_cli = AppGroup("pdf", help="Render and cache PDF renditions.")


@pdf_cli.command("render")
@click.argument("policy_slug", required=False)
@click.option("--all", "render_all", is_flag=True, help="Every policy's public versions and redlines.")
def render_command(policy_slug: str | None, render_all: bool) -> None:
    """Render the PDFs of POLICY_SLUG's public versions and the redlines between them (or --all policies)."""
    if not policy_slug and not render_all:
        raise click.UsageError("Name a policy, or use --all.")
    renditions = get_renditions()
    planned = services.planned_renditions(current_session(), None if render_all else policy_slug)
    if not planned:
        raise click.ClickException(f"No public versions found for '{policy_slug}'.")
    made = cached = failed = 0
    with click.progressbar(planned, label="Rendering PDFs", show_pos=True) as bar:
        for rendition in bar:
            if renditions.cache.get(rendition.key) is not None:
                cached += 1
                continue
            try:
                renditions.render_now(rendition.key, rendition.build(), services.stylesheets())
                made += 1
            except RenderError as error:
                failed += 1
                click.echo(f"\n{rendition.filename}: {error}", err=True)
    click.echo(f"{made} PDF(s) rendered, {cached} already cached, {failed} failed.")
    if failed:
        raise SystemExit(1)
