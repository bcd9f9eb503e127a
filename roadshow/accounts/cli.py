from __future__ import annotations

import click
from flask.cli import with_appcontext

from roadshow.accounts.models import Role
from roadshow.accounts.services import create_user
from roadshow.errors import DomainError
from roadshow.extensions import db


@click.group()
def users() -> None:
    """Manage user accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.ORGANISER.value)
@click.option("--partner-id", type=int, default=None)
@click.password_option()
@with_appcontext
def create(email: str, name: str, role: str, partner_id: int | None, password: str) -> None:
    """Create a user who logs in with EMAIL and PASSWORD."""
    try:
        user = create_user(
            db.session,
            email=email,
            name=name,
            password=password,
            role=Role(role),
            partner_id=partner_id,
        )
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email}")
