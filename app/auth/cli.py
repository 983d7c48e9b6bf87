"""`flask users ...`: manage accounts from the command line.

Each command calls one service in one unit of work, which commits once; a refusal prints one line
(`Error: ...`), exits non-zero and writes nothing (the unit of work rolls back).
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from app.auth import services
from app.boundary import unit_of_work
from app.exceptions import DomainError
from app.models import Role, User

users_cli = click.Group("users", help="Manage user accounts.")
ROLES = ", ".join(r.value for r in Role)


def run_service(work: Callable[[Session], User]) -> User:
    """Run one service call in a unit of work; on a refusal fail with its message, having written nothing."""
    try:
        with unit_of_work() as session:
            return work(session)
    except DomainError as error:
        raise click.ClickException(error.message) from None


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True, help="Display name shown with comments.")
@click.option("--role", default=Role.COMMENTER.value, show_default=True, help=f"One of: {ROLES}.")
@click.password_option(help="Prompted for when not given.")
@with_appcontext
def create_command(email: str, display_name: str, role: str, password: str) -> None:
    """Create a verified account with a role."""
    user = run_service(
        lambda session: services.create_user(session, email, display_name, password, role, verified=True)
    )
    click.echo(f"Created {user.role} account {user.email}.")


@users_cli.command("set-role", help=f"Give the account EMAIL the ROLE ({ROLES}).")
@click.argument("email")
@click.argument("role", metavar="ROLE")
@with_appcontext
def set_role_command(email: str, role: str) -> None:
    user = run_service(lambda session: services.set_role(session, email, role))
    click.echo(f"{user.email} is now a {user.role}.")


@users_cli.command("suspend")
@click.argument("email")
@click.option("--reason", default="", help="Kept in the audit log.")
@with_appcontext
def suspend_command(email: str, reason: str) -> None:
    """Suspend the account EMAIL: it is signed out everywhere and cannot sign in."""
    user = run_service(lambda session: services.suspend(session, email, reason))
    click.echo(f"Suspended {user.email}; every session of it has ended.")


@users_cli.command("unsuspend")
@click.argument("email")
@with_appcontext
def unsuspend_command(email: str) -> None:
    """Lift the suspension of the account EMAIL."""
    user = run_service(lambda session: services.unsuspend(session, email))
    click.echo(f"{user.email} can sign in again.")
