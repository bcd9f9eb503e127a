"""``flask mail …``: the delivery worker and a look at the outbox.

Domains that send mail on a schedule add their own commands to this group (the reminders
of the registrations domain are ``flask mail reminders``)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from roadshow.extensions import db
from roadshow.mail.delivery import deliver_all_due, deliver_due
from roadshow.mail.models import OutboxMessage, OutboxStatus
from roadshow.mail.services import outbox_counts, retry_failed


@click.group()
def mail() -> None:
    """Deliver queued email and look after the outbox."""


@mail.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering until stopped (SIGTERM, Ctrl-C).")
@click.option("--batch", type=click.IntRange(min=1), default=None, help="Messages per claim.")
@click.option(
    "--interval", type=click.FloatRange(min=0.1), default=5.0, help="Seconds between polls."
)
@with_appcontext
def deliver(loop: bool, batch: int | None, interval: float) -> None:
    """Deliver every message that is due, then stop (or, with --loop, keep going)."""
    if not loop:
        report = deliver_all_due(db.session, batch=batch)
        click.echo(f"sent {report.sent}, retry later {report.retried}, failed {report.failed}")
        return

    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()  # finish the message in flight, then leave

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    click.echo("Delivering mail; stop with Ctrl-C or SIGTERM.")
    while not stop.is_set():
        try:
            report = deliver_due(db.session, batch=batch)
        finally:
            db.session.remove()  # no identity map grows over days of running
        if report.sent or report.retried or report.failed:
            click.echo(f"sent {report.sent}, retry later {report.retried}, failed {report.failed}")
        if report.claimed == 0 or report.interrupted:
            stop.wait(interval)


@mail.command("status")
@click.option("--limit", type=click.IntRange(min=1), default=20, help="Failed rows to list.")
@with_appcontext
def status(limit: int) -> None:
    """Count messages by status and list the failed ones with their last error."""
    for state, count in outbox_counts(db.session).items():
        click.echo(f"{state.value:8} {count}")
    failed = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED)
        .order_by(OutboxMessage.updated_at.desc())
        .limit(limit)
    ).all()
    if failed:
        click.echo("\nFailed:")
    for row in failed:
        click.echo(
            f"#{row.id} {row.updated_at:%Y-%m-%d %H:%M} {row.recipient} "
            f"{row.template} ({row.attempts} attempts): {row.last_error}"
        )


@mail.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Queue every failed message again.")
@with_appcontext
def retry(ids: tuple[int, ...], all_failed: bool) -> None:
    """Queue failed messages again (after fixing an address or the server)."""
    if not ids and not all_failed:
        raise click.UsageError("Name message ids or give --all-failed.")
    count = retry_failed(db.session, ids=None if all_failed else list(ids))
    db.session.commit()
    click.echo(f"queued again: {count}")
