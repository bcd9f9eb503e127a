"""``flask demo seed``: a real-looking tour, so that the first run shows something.

Running it again changes nothing: every object is looked up by its slug or email first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from roadshow.accounts.models import Role, User
from roadshow.accounts.services import create_user
from roadshow.database import DBSession, utcnow
from roadshow.events.models import (
    Event,
    EventKind,
    EventPartner,
    EventStatus,
    PartnerRole,
    Series,
    Tour,
    Venue,
)
from roadshow.events.series import create_series_events
from roadshow.extensions import db
from roadshow.partners.models import Partner
from roadshow.registrations.models import Registration
from roadshow.registrations.services import AttendeeInput, RegistrationInput, register
from roadshow.settings import settings

M = TypeVar("M")
ZONE = ZoneInfo("Europe/Berlin")
ORGANISER_EMAIL = "organisator@roadshow.example"
ORGANISER_PASSWORD = "roadshow-demo-2027"  # noqa: S105 - printed for the local demo only
# The other two kinds of account, with the same password: an admin (users, security) and
# a user of the first partner (the partner portal).
ADMIN_EMAIL = "admin@roadshow.example"
PARTNER_USER_EMAIL = "partner@roadshow.example"

PARTNERS = [
    ("alpentel", "Alpentel Kommunikation GmbH", "Telekommunikation"),
    ("socialhub", "SocialHub Europe GmbH", "Soziale Netzwerke"),
    ("handelsplatz", "Handelsplatz Süd AG", "Handel und E-Commerce"),
    ("sicherit", "SicherIT Security GmbH", "IT-Sicherheit"),
    ("cloudwerk", "Cloudwerk Bayern GmbH", "Cloud und Software"),
]


@dataclass(frozen=True)
class Stop:
    town: str
    month: int
    day: int
    venue: str
    street: str
    postcode: str
    title: str
    capacity: int


STOPS = [
    Stop(
        "München",
        3,
        23,
        "IHK-Akademie München",
        "Orleansstraße 10",
        "81669",
        "Auftakt: Digitalisierung im Mittelstand",
        120,
    ),
    Stop(
        "Weilheim",
        4,
        6,
        "Stadthalle Weilheim",
        "Krumpperplatz 4",
        "82362",
        "Digital vor Ort: Weilheim",
        60,
    ),
    Stop(
        "Mühldorf",
        4,
        20,
        "Haberkasten Mühldorf",
        "Fragnergasse 3",
        "84453",
        "Digital vor Ort: Mühldorf",
        50,
    ),
    Stop(
        "Ingolstadt",
        5,
        4,
        "Technologiezentrum Ingolstadt",
        "Marie-Curie-Straße 6",
        "85055",
        "Digital vor Ort: Ingolstadt",
        80,
    ),
    Stop(
        "Rosenheim",
        5,
        18,
        "Kultur- und Kongresszentrum Rosenheim",
        "Kufsteiner Straße 4",
        "83022",
        "Digital vor Ort: Rosenheim",
        90,
    ),
]

WORKSHOPS = [
    ("Rosenheim", 6, 16, "Workshop: Online-Shop in 30 Tagen", "handelsplatz"),
    ("Ingolstadt", 7, 7, "Workshop: IT-Sicherheit für kleine Betriebe", "sicherit"),
    ("Weilheim", 9, 22, "Workshop: Social Media mit wenig Zeit", "socialhub"),
    ("München", 10, 13, "Workshop: Daten in die Cloud – aber richtig", "cloudwerk"),
    ("Mühldorf", 11, 10, "Workshop: Glasfaser, 5G und Homeoffice", "alpentel"),
]


# Companies registered for the Weilheim stop and the first webinar, so that check-in,
# report imports and the partners' figures have people to show: (company, size, industry,
# town, people, shares contact data with partners, brought by the partner's referral).
COMPANIES = [
    ("Schreinerei Huber", "10-49", "handwerk", "Weilheim", ["Anna Huber", "Max Huber"], True, True),
    ("Metzgerei Lechner", "1-9", "handwerk", "Peißenberg", ["Josef Lechner"], False, False),
    ("Brunner Steuerberatung", "10-49", "dienstleistung", "Weilheim", ["Eva Brunner"], True, True),
    (
        "Gasthof Zur Post",
        "10-49",
        "gastgewerbe",
        "Murnau",
        ["Lena Maier", "Tobias Maier"],
        False,
        False,
    ),
    ("Elektro Wagner GmbH", "50-249", "handwerk", "Penzberg", ["Stefan Wagner"], True, False),
    (
        "Modehaus Schmid",
        "10-49",
        "handel",
        "Weilheim",
        ["Sophie Schmid", "Paul Schmid"],
        False,
        True,
    ),
    ("Bauer Logistik", "50-249", "logistik", "Schongau", ["Markus Bauer"], True, False),
]


def tour_year(today: date) -> int:
    """The year of the next 6 April, so that the demo tour always lies ahead."""
    return today.year if today < date(today.year, 4, 6) else today.year + 1


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(date(year, month, day), time(hour, minute), ZONE).astimezone(UTC)


def _get_or_add(
    session: DBSession, model: type[M], lookup: dict[str, object], **values: object
) -> M:
    found = session.scalar(select(model).filter_by(**lookup))
    if found is None:
        found = model(**lookup, **values)
        session.add(found)
        session.flush()
    return found


def seed(session: DBSession, today: date | None = None) -> dict[str, int]:
    """Create the demo tour where missing; returns how many events each kind has."""
    year = tour_year(today or datetime.now(ZONE).date())
    partners = {
        slug: _get_or_add(
            session,
            Partner,
            {"slug": slug},
            name=name,
            industry=industry,
            description=f"{name} – Partner der Digitalisierungs-Roadshow.",
        )
        for slug, name, industry in PARTNERS
    }
    tour = _get_or_add(
        session,
        Tour,
        {"slug": f"digital-vor-ort-{year}"},
        title=f"Digital vor Ort {year}",
        description="Die Digitalisierungs-Roadshow für kleine und mittlere Unternehmen in "
        "Oberbayern: fünf Abende vor Ort, danach wöchentliche Webinare und Workshops.",
    )
    venues: dict[str, Venue] = {}
    for stop in STOPS:
        venues[stop.town] = _get_or_add(
            session,
            Venue,
            {"name": stop.venue},
            street=stop.street,
            postcode=stop.postcode,
            town=stop.town,
        )

    for number, stop in enumerate(STOPS):
        starts = local(year, stop.month, stop.day, 18)
        event = _get_or_add(
            session,
            Event,
            {"slug": f"{year}-{stop.month:02d}-{stop.day:02d}-{stop.town.lower()}"},
            kind=EventKind.STOP,
            status=EventStatus.PUBLISHED,
            title=stop.title,
            description="Vorträge, Praxisbeispiele und Beratung an den Ständen unserer Partner. "
            "Im Anschluss Gespräche bei einem Imbiss.",
            tour=tour,
            venue=venues[stop.town],
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            capacity=stop.capacity,
            published_at=utcnow(),
        )
        if not event.partner_roles:
            slugs = list(partners)
            event.partner_roles.append(
                EventPartner(partner=partners[slugs[0]], role=PartnerRole.HOST)
            )
            event.partner_roles.append(
                EventPartner(partner=partners[slugs[1 + number % 4]], role=PartnerRole.SPEAKER)
            )
            for slug in slugs[1:]:
                event.partner_roles.append(
                    EventPartner(partner=partners[slug], role=PartnerRole.EXHIBITOR)
                )

    series = _get_or_add(
        session,
        Series,
        {"title": f"Digitale Mittagspause {year}"},
        kind=EventKind.WEBINAR,
        tour_id=tour.id,
        description="Jeden Mittwoch eine Stunde Praxiswissen online – mit Fragen und Antworten.",
        rrule=f"FREQ=WEEKLY;BYDAY=WE;UNTIL={year}1222T235959",
        first_starts_at=local(year, 5, 5, 12),
        duration_minutes=60,
        capacity=200,
    )
    for event in create_series_events(
        session, series, slug_prefix="digitale-mittagspause", status=EventStatus.PUBLISHED
    ):
        event.join_url = f"https://webinar.roadshow.example/join/{event.slug}"
        speaker = list(partners.values())[event.starts_at.isocalendar().week % len(partners)]
        event.partner_roles.append(EventPartner(partner=speaker, role=PartnerRole.SPEAKER))

    for town, month, day, title, partner_slug in WORKSHOPS:
        starts = local(year, month, day, 9)
        event = _get_or_add(
            session,
            Event,
            {"slug": f"{year}-{month:02d}-{day:02d}-workshop-{town.lower()}"},
            kind=EventKind.WORKSHOP,
            status=EventStatus.PUBLISHED,
            title=title,
            description="Ein Vormittag in kleiner Runde: mitbringen, was Sie umsetzen möchten.",
            tour=tour,
            venue=venues[town],
            starts_at=starts,
            ends_at=starts + timedelta(hours=4),
            capacity=16,
            max_attendees_per_registration=2,
            published_at=utcnow(),
        )
        if not event.partner_roles:
            event.partner_roles.append(
                EventPartner(partner=partners[partner_slug], role=PartnerRole.HOST)
            )

    _register_companies(session, tour_slug=tour.slug, year=year)

    accounts = [
        (ORGANISER_EMAIL, "Olga Organisatorin", Role.ORGANISER, None),
        (ADMIN_EMAIL, "Anton Admin", Role.ADMIN, None),
        (PARTNER_USER_EMAIL, "Petra Partner", Role.PARTNER, partners[PARTNERS[0][0]]),
    ]
    for email, name, role, partner in accounts:
        if session.scalar(select(User.id).where(User.email == email)) is None:
            create_user(
                session,
                email=email,
                name=name,
                password=ORGANISER_PASSWORD,
                role=role,
                partner=partner,
            )
    session.flush()
    counts = session.execute(
        select(Event.kind, func.count()).where(Event.tour_id == tour.id).group_by(Event.kind)
    ).all()
    return {kind.value: count for kind, count in counts}


def _register_companies(session: DBSession, *, tour_slug: str, year: int) -> None:
    """The demo companies at the Weilheim stop and the first webinar, through the same
    service as the registration form (so each gets its mails with tickets), once."""
    weilheim = session.scalar(select(Event).where(Event.slug == f"{year}-04-06-weilheim"))
    webinar = session.scalar(
        select(Event)
        .where(Event.kind == EventKind.WEBINAR, Event.tour.has(slug=tour_slug))
        .order_by(Event.starts_at)
        .limit(1)
    )
    for event in (weilheim, webinar):
        if event is None or session.scalar(
            select(func.count(Registration.id)).where(Registration.event_id == event.id)
        ):
            continue
        for company, size, industry, town, people, shares, referred in COMPANIES:
            domain = company.lower().split()[0].replace("ß", "ss") + ".example"
            addresses = [f"{name.split()[0].lower()}@{domain}" for name in people]
            register(
                session,
                event.id,
                RegistrationInput(
                    company_name=company,
                    contact_name=people[0],
                    contact_email=addresses[0],
                    attendees=[
                        AttendeeInput(name, address)
                        for name, address in zip(people, addresses, strict=True)
                    ],
                    privacy_consent=True,
                    company_size=size,
                    industry=industry,
                    town=town,
                    share_with_partners=shares,
                    referral_partner_slug=PARTNERS[0][0] if referred else None,
                ),
            )


@click.group("demo")
def demo_cli() -> None:
    """Demo data."""


@demo_cli.command("seed")
@with_appcontext
def seed_command() -> None:
    """Seed the demo tour (safe to run again)."""
    if settings().env == "production" and not current_app.debug:
        raise click.ClickException(
            "Refusing to seed demo data into a production database "
            "(set ROADSHOW_ENV=development for a local trial)."
        )
    counts = seed(db.session)
    db.session.commit()
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items()))
    click.echo(f"Demo tour ready: {summary}.")
    click.echo(f"Organiser login: {ORGANISER_EMAIL} / {ORGANISER_PASSWORD}")
    click.echo(f"Admin and partner logins: {ADMIN_EMAIL}, {PARTNER_USER_EMAIL} (same password)")


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_cli)
