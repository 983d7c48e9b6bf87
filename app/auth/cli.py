"""`flask users ...`: manage accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.auth.services import AccountError, create_user
from app.extensions import db
from app.models import Role

users_cli = click.Group("users", help="Manage user accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True, help="Display name shown with comments.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.COMMENTER.value,
    show_default=True,
)
@click.password_option(help="Prompted for when not given.")
@with_appcontext
def create_command(email: str, display_name: str, role: str, password: str) -> None:
    """Create a verified account with a role."""
    try:
        user = create_user(db.session, email, display_name, password, role, verified=True)
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} account {user.email}.")
