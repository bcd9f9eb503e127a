"""``flask privacy …``: a person's data (export, erase) and the nightly purge."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from roadshow.errors import DomainError
from roadshow.extensions import db
from roadshow.mail.transport import eml_folder
from roadshow.privacy.records import export_person, find_person
from roadshow.privacy.services import Erasure, erase_person, purge
from roadshow.privacy.traces import remove_traces
from roadshow.settings import settings


@click.group()
def privacy() -> None:
    """Personal data: export or erase one person's, purge what is past its retention."""


@privacy.command("export")
@click.argument("email")
@with_appcontext
def export(email: str) -> None:
    """Print, as JSON, every record that holds EMAIL (any case)."""
    document = export_person(find_person(db.session, email))
    db.session.rollback()
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


@privacy.command("erase")
@click.argument("email")
@with_appcontext
def erase(email: str) -> None:
    """Erase the person with EMAIL everywhere; counts and statistics stay."""
    try:
        erasure = erase_person(db.session, email, actor=None)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    files = remove_traces(db.session, erasure, eml_folder(current_app))
    _echo_counts(erasure, files)


@privacy.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would be erased; change nothing.")
@with_appcontext
def purge_command(dry_run: bool) -> None:
    """Erase the people of events that ended more than ROADSHOW_RETENTION_DAYS ago, and
    of ended or never confirmed subscriptions. Safe to run daily (e.g. from cron)."""
    days = settings().retention_days
    erasure = purge(db.session, retention_days=days)
    if dry_run:
        # The same work as a real run, undone: the counts are exactly what a run would do.
        db.session.rollback()
        click.echo(f"dry run, nothing changed; would erase (retention {days} days):")
        _echo_counts(erasure, None)
        return
    db.session.commit()
    files = remove_traces(db.session, erasure, eml_folder(current_app))
    click.echo(f"erased (retention {days} days):")
    _echo_counts(erasure, files)


def _echo_counts(erasure: Erasure, files: int | None) -> None:
    for kind, count in erasure.counts.items():
        click.echo(f"{kind}: {count}")
    if files is not None:
        click.echo(f"mail_files: {files}")
