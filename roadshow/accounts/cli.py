from __future__ import annotations

import click
from flask.cli import with_appcontext

from roadshow.accounts.models import Role
from roadshow.accounts.services import create_user, issue_api_token, user_by_email
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


@users.command("token")
@click.argument("email")
@with_appcontext
def token(email: str) -> None:
    """Make a new API token for EMAIL (the one before stops working) and print it once.

    Only a hash is stored: the token on the last line is the only copy.
    """
    try:
        user = user_by_email(db.session, email)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    if not user.is_organiser:
        raise click.ClickException("API tokens are for organisers and admins.")
    raw = issue_api_token(db.session, user)
    db.session.commit()
    click.echo(f"API token for {user.email} ({user.role.value}); it is shown only now:")
    click.echo(raw)
