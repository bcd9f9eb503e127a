from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask.cli import with_appcontext

from roadshow.accounts.models import Role
from roadshow.accounts.services import (
    create_user,
    invite_user,
    issue_api_token,
    partner_by_slug,
    user_by_email,
)
from roadshow.errors import DomainError
from roadshow.extensions import db
from roadshow.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES
from roadshow.mail.addresses import normalize_email
from roadshow.partners.models import Partner


@click.group()
def users() -> None:
    """Manage user accounts."""


@contextmanager
def refusals_as_click_errors() -> Iterator[None]:
    """A service's refusal ends the command with its message (and exit status 1)."""
    try:
        yield
    except DomainError as error:
        raise click.ClickException(error.message) from error


def _role_and_partner(role: str, partner_slug: str | None) -> tuple[Role, Partner | None]:
    """``--role`` and ``--partner SLUG`` as the services take them."""
    if partner_slug is None:
        return Role(role), None
    with refusals_as_click_errors():
        return Role(role), partner_by_slug(db.session, partner_slug)


ROLE_OPTION = click.option(
    "--role", type=click.Choice([r.value for r in Role]), default=Role.ORGANISER.value
)
PARTNER_OPTION = click.option(
    "--partner", "partner_slug", default=None, help="The partner's slug (role partner only)."
)


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@ROLE_OPTION
@PARTNER_OPTION
@click.password_option()
@with_appcontext
def create(email: str, name: str, role: str, partner_slug: str | None, password: str) -> None:
    """Create a user who logs in with EMAIL and PASSWORD."""
    chosen_role, partner = _role_and_partner(role, partner_slug)
    with refusals_as_click_errors():
        user = create_user(
            db.session,
            email=email,
            name=name,
            password=password,
            role=chosen_role,
            partner=partner,
        )
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email}")


@users.command("invite")
@click.argument("email")
@click.option("--name", required=True)
@ROLE_OPTION
@PARTNER_OPTION
@click.option("--language", type=click.Choice(list(LANGUAGE_NAMES)), default=DEFAULT_LANGUAGE)
@with_appcontext
def invite(email: str, name: str, role: str, partner_slug: str | None, language: str) -> None:
    """Invite EMAIL: queue the mail with a link that sets the password, and print the link.

    The link works once, for 48 hours.
    """
    chosen_role, partner = _role_and_partner(role, partner_slug)
    with refusals_as_click_errors():
        link = invite_user(
            db.session,
            email=email,
            name=name,
            role=chosen_role,
            partner=partner,
            language=language,
            actor=None,
        )
    db.session.commit()
    click.echo(f"Invited {chosen_role.value} {normalize_email(email)}; the invitation is queued.")
    click.echo(link)


@users.command("token")
@click.argument("email")
@click.option(
    "--partner-report",
    is_flag=True,
    help="For a partner's user: a token that opens only that partner's report.",
)
@with_appcontext
def token(email: str, partner_report: bool) -> None:
    """Make a new API token for EMAIL (the one before stops working) and print it once.

    Only a hash is stored: the token on the last line is the only copy. A partner's user
    gets one only with ``--partner-report``; the API accepts it for that partner's report
    (``GET /api/v1/partners/<slug>/report``) and refuses it everywhere else.
    """
    try:
        user = user_by_email(db.session, email)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    if not user.is_organiser and not (partner_report and user.partner_id is not None):
        raise click.ClickException(
            "API tokens are for organisers and admins "
            "(a partner's user: --partner-report, for its report only)."
        )
    raw = issue_api_token(db.session, user, label="flask users token")
    db.session.commit()
    click.echo(f"API token for {user.email} ({user.role.value}); it is shown only now:")
    click.echo(raw)
