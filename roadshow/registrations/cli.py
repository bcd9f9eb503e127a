"""``flask mail reminders``: the reminder run, beside the other mail commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from roadshow.extensions import db
from roadshow.registrations.reminders import queue_reminders


@click.command("reminders")
@click.option("--hours", type=click.IntRange(min=1, max=168), default=24, show_default=True)
@with_appcontext
def reminders(hours: int) -> None:
    """Queue a reminder for every attendee of an event starting within HOURS.

    Safe to run every few minutes (e.g. from cron): each attendee gets one reminder per
    event date, however often this runs.
    """
    count = queue_reminders(db.session, within_hours=hours)
    db.session.commit()
    click.echo(f"reminders queued: {count}")
