"""``flask events change`` and ``flask events cancel``: the organiser's changes from a shell."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext

from roadshow.database import DBSession
from roadshow.errors import DomainError
from roadshow.events.models import Event, Venue
from roadshow.events.services import (
    UNCHANGED,
    Unchanged,
    cancel_event,
    change_event,
    publish_event,
)
from roadshow.extensions import db


@click.group()
def events() -> None:
    """Change or cancel events; attendees are told by email with calendar updates."""


def _event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise click.ClickException(f"No event with id {event_id}.")
    return event


def _instant(value: str | None, zone: str) -> datetime | Unchanged:
    """ISO 8601; without an offset it is local time in the event's time zone."""
    if value is None:
        return UNCHANGED
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not a date and time like 2027-04-06T19:00") from (
            error
        )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone))


@events.command("change")
@click.argument("event_id", type=int)
@click.option("--starts-at", help="New start, e.g. 2027-04-06T19:00 (event's local time).")
@click.option("--ends-at", help="New end; without it the duration stays.")
@click.option("--venue-id", type=int, help="Id of the new venue.")
@click.option("--join-url", help="New join link of a webinar ('' removes it).")
@with_appcontext
def change(
    event_id: int,
    starts_at: str | None,
    ends_at: str | None,
    venue_id: int | None,
    join_url: str | None,
) -> None:
    """Change time, venue or join link of EVENT_ID and send every attendee the update."""
    event = _event(event_id)
    venue: Venue | Unchanged = UNCHANGED
    if venue_id is not None:
        found = db.session.get(Venue, venue_id)
        if found is None:
            raise click.ClickException(f"No venue with id {venue_id}.")
        venue = found
    try:
        changes = change_event(
            db.session,
            event,
            starts_at=_instant(starts_at, event.timezone),
            ends_at=_instant(ends_at, event.timezone),
            venue=venue,
            join_url=UNCHANGED if join_url is None else join_url,
        )
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    if not changes:
        click.echo("Nothing changed; nobody was notified.")
        return
    click.echo(
        f"Changed {', '.join(c.field for c in changes)}; sequence {event.sequence}; "
        "attendees will receive the update."
    )


@events.command("cancel")
@click.argument("event_id", type=int)
@click.confirmation_option(prompt="Cancel the event and notify every attendee?")
@with_appcontext
def cancel(event_id: int) -> None:
    """Cancel EVENT_ID; attendees receive a cancellation that removes it from calendars."""
    event = _event(event_id)
    count = _committed(cancel_event, event)
    click.echo(f"Cancelled {event.title}; {count} messages queued.")


@events.command("publish")
@click.argument("event_id", type=int)
@with_appcontext
def publish(event_id: int) -> None:
    """Publish the draft EVENT_ID; subscribers whose filter matches are told by mail."""
    event = _event(event_id)
    count = _committed(publish_event, event)
    click.echo(f"Published {event.title}; {count} subscriber notices queued.")


def _committed(service: Callable[[DBSession, Event], int], event: Event) -> int:
    """Run ``service`` on the event and commit; a refusal becomes the command's error."""
    try:
        count = service(db.session, event)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    return count
