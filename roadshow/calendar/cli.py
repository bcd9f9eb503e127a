"""``flask calendar …``: housekeeping of feed subscriptions."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from roadshow.calendar.services import purge_unconfirmed
from roadshow.extensions import db


@click.group("calendar")
def calendar_cli() -> None:
    """Calendar feeds and subscriptions."""


@calendar_cli.command("purge-unconfirmed")
@with_appcontext
def purge_unconfirmed_command() -> None:
    """Delete subscriptions that were never confirmed and whose link has expired."""
    count = purge_unconfirmed(db.session)
    db.session.commit()
    click.echo(f"Deleted {count} unconfirmed subscription(s).")
