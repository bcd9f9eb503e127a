"""Helpers for the privacy tests: one person registered everywhere, the figures that must
not change, and a search for what is left of the person in the database and on disk.

Henrike Lindqvist registers her joinery and herself with a colleague (who stays) through
the real form, subscribes to a feed and confirms it, and an organiser's note names her.
"""

from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from roadshow.accounts.models import AuditLog
from roadshow.accounts.services import record
from roadshow.attendance.models import CheckIn
from roadshow.events.models import Event, EventPartner
from roadshow.extensions import db
from roadshow.registrations.models import Attendee, Registration
from tests.fixtures_backoffice_registrations import check_in
from tests.fixtures_feeds import confirm, subscribe
from tests.fixtures_registrations import form_fields

TYPED_EMAIL = "Henrike.Lindqvist@Lindqvist.example"  # as she typed it
EMAIL = "henrike.lindqvist@lindqvist.example"
NAME = "Henrike Lindqvist"
COMPANY = "Schreinerei Lindqvist"
PHONE = "+49 881 4711 0815"
COLLEAGUE = ("Bruno Achterberg", "bruno@achterberg.example")
# What must not be found anywhere afterwards (compared without regard to case).
TRACES = ("henrike", "lindqvist", "4711 0815")


def register_henrike(submit_form: Any, event: Event, *, ref: str | None = None) -> Registration:
    """Through the registration form, as she would; returns her registration."""
    query = f"?ref={ref}" if ref else ""
    response = submit_form(
        f"/events/{event.slug}/register{query}",
        form_fields(
            (NAME, TYPED_EMAIL),
            COLLEAGUE,
            company_name=COMPANY,
            company_size="1-9",
            industry="handwerk",
            postcode="82362",
            town="Weilheim",
            contact_name=NAME,
            contact_email=TYPED_EMAIL,
            contact_phone=PHONE,
            newsletter_consent="y",
        ),
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return db.session.scalars(
        sa.select(Registration).where(Registration.company_name == COMPANY)
    ).one()


def henrike_everywhere(client: Any, submit_form: Any, event: Event, *, ref: str) -> Registration:
    """Registered (with her colleague), both checked in, a confirmed feed subscription,
    and an organiser's note that names her address."""
    registration = register_henrike(submit_form, event, ref=ref)
    for attendee in registration.attendees:
        check_in(attendee)
    record(db.session, "registration.note", registration, None, note=f"Rückruf an {EMAIL}")
    db.session.commit()
    subscribe(submit_form, email=TYPED_EMAIL, towns=["Weilheim"])
    confirm(client, submit_form, email=TYPED_EMAIL)
    return registration


def statistics() -> dict[str, Any]:
    """The figures organisers and partners read: none may change when a person is erased."""

    def grouped(*columns: Any) -> list[tuple[Any, ...]]:
        query = sa.select(*columns, sa.func.count()).group_by(*columns).order_by(*columns)
        return [tuple(row) for row in db.session.execute(query)]

    return {
        "seats_taken": grouped(Event.id, Event.seats_taken),
        "registrations": grouped(Registration.event_id, Registration.status),
        "per_size": grouped(Registration.company_size),
        "per_industry": grouped(Registration.industry),
        "per_referral": grouped(Registration.referral_partner_id),
        "event_partners": grouped(EventPartner.partner_id, EventPartner.role),
        "attendees": grouped(Attendee.event_id, Attendee.status),
        "check_ins": grouped(CheckIn.event_id, CheckIn.method),
        "consents": grouped(Registration.newsletter_consent, Registration.share_with_partners),
    }


def traces_in_database(app: Flask) -> list[str]:
    """Where the person can still be read in the database: on SQLite, the raw bytes of the
    database file and its write-ahead log; on PostgreSQL, every row of every table as text."""
    engine = db.engine
    found = []
    if engine.dialect.name == "sqlite":
        path = Path(str(engine.url.database))
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                data = file.read_bytes().lower()
                found += [f"{file.name}: {t}" for t in TRACES if t.encode() in data]
        return found
    with engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            query = f'SELECT t::text FROM "{table.name}" AS t'  # noqa: S608 - our own tables
            rows = connection.exec_driver_sql(query).scalars()
            for row in rows:
                found += [f"{table.name}: {t}" for t in TRACES if t in row.lower()]
    return found


def traces_in_folder(folder: Path) -> list[str]:
    """Where the person can still be read in the instance folder: the bytes of every file,
    and the decoded text of every mail in it (quoted-printable may split a name)."""
    found = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = file.read_bytes()
        texts = [data.decode("utf-8", "replace")]
        if file.suffix == ".eml":
            message = message_from_bytes(data, policy=default_policy)
            texts += [
                part.get_content()
                for part in message.walk()  # type: ignore[attr-defined]
                if part.get_content_maintype() == "text"
            ]
        found += [f"{file.name}: {t}" for t in TRACES if any(t in x.lower() for x in texts)]
    return found


def audit_entries(action: str) -> list[AuditLog]:
    return list(db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)))


def exported(runner: Any, email: str) -> dict[str, Any]:
    result = runner.invoke(args=["privacy", "export", email])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.output)
    return document
