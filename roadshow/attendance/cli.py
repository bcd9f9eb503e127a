"""``flask attendance …``: webinar reports imported from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from roadshow.attendance.imports import import_report
from roadshow.attendance.parsing import ReportError
from roadshow.events.models import Event
from roadshow.extensions import db


@click.group()
def attendance() -> None:
    """Attendance: import the reports of webinar tools."""


@attendance.command("import")
@click.argument("event_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--min-minutes", type=click.IntRange(min=0), default=None)
def import_command(event_id: int, file: Path, min_minutes: int | None) -> None:
    """Import a webinar report (Zoom, Teams, Webex or CSV) for the event EVENT_ID."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise click.ClickException(f"Die Veranstaltung {event_id} gibt es nicht.")
    try:
        result = import_report(
            db.session, event, file.read_bytes(), file.name, min_minutes=min_minutes
        )
    except ReportError as error:
        db.session.rollback()
        raise click.ClickException(f"{file.name}: {error}") from error
    db.session.commit()
    click.echo(f"Format: {result.format}")
    if result.already_imported:
        click.echo("Diese Datei wurde schon importiert; nichts geändert.")
    click.echo(f"Zugeordnet: {result.matched}")
    click.echo(f"Teilgenommen: {result.attended}")
    click.echo(f"Nicht zugeordnet: {len(result.unmatched)}")
    for row in result.unmatched:
        click.echo(f"  {row['name']}\t{row['email'] or '-'}\t{row['minutes']} min")
