"""`flask notify ...`: the outbox worker and the scheduled jobs (thin shells around queue and services)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.boundary import unit_of_work
from app.notify import queue, services
from app.notify.letters import queue_digests

notify_cli = click.Group("notify", help="Send queued mail; queue reminders and digests.")


@notify_cli.command("work")
@click.option("--once", is_flag=True, help="Drain the outbox once and stop (cron, tests).")
@click.option("--interval", default=2.0, show_default=True, help="Seconds to wait when the outbox is empty.")
@with_appcontext
def work_command(once: bool, interval: float) -> None:
    """Send what the outbox holds: the worker to run beside the web processes when there is no Redis."""
    if once:
        click.echo(f"{queue.drain()} message(s) sent.")
        queue.prune()
        return
    click.echo("Sending queued mail; Ctrl+C to stop.")
    try:
        queue.work_forever(interval)
    except KeyboardInterrupt:
        click.echo("Stopped.")


@notify_cli.command("closing")
@with_appcontext
def closing_command() -> None:
    """Queue "closes in 3 days" for followers of versions closing soon (idempotent: run it hourly or daily)."""
    with unit_of_work() as session:
        count = services.queue_closing_reminders(session)
    click.echo(f"{count} reminder(s) queued.")


@notify_cli.command("digest")
@with_appcontext
def digest_command() -> None:
    """Gather held notifications into one digest per person (run it once a day)."""
    with unit_of_work() as session:
        count = queue_digests(session)
    click.echo(f"{count} digest(s) queued.")
