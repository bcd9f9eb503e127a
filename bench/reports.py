"""How fast the attendance reports are on a large data set.

Seeds 100,000 registrations (about 130,000 attendees, check-ins for most people at past
events) over 500 events in five tours, with five partners, by bulk inserts; then times
every report of ``roadshow.attendance.reports`` (the median of a few runs, after one warm-up
run). The database is a SQLite file in a temporary folder unless a URL is given. From the
root of the checkout whose code is to be measured (``-m`` imports that checkout's
``roadshow``; ``python bench/reports.py`` would import whichever copy is installed):

    .venv/bin/python -m bench.reports [--database-url postgresql://…] [--runs 5]

(or ``ROADSHOW_BENCH_DATABASE_URL``). A PostgreSQL database is migrated first and emptied
again at the end (every table dropped): give it one that holds nothing else.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import insert, select

from roadshow import create_app
from roadshow.attendance import reports
from roadshow.attendance.models import CheckIn, CheckInMethod
from roadshow.events.models import (
    Event,
    EventKind,
    EventPartner,
    EventStatus,
    PartnerRole,
    Tour,
    Venue,
)
from roadshow.extensions import db
from roadshow.partners.models import Partner
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)
from roadshow.tokens import new_check_in_code

EVENTS = 500
REGISTRATIONS = 100_000
TOURS = 5
PARTNERS = 5
TOWNS = ["München", "Weilheim", "Mühldorf", "Ingolstadt", "Rosenheim", "Landshut", "Erding"]
SIZES = ["1-9", "10-49", "50-249", "250+", ""]
INDUSTRIES = ["Handwerk", "Handel", "Industrie", "Dienstleistung", "Gastgewerbe", ""]
CHUNK = 5_000
# Not in the schema (no migration here): what the measurements suggest adding.
CANDIDATE_INDEX = "CREATE INDEX ix_attendee_event_id ON attendee (event_id)"


def make_app(url: str, folder: Path) -> Flask:
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench-secret-key-0123456789abcdef",
            "DATABASE_URL": url,
            "BASE_URL": "https://roadshow.example.org",
            "RATELIMIT_ENABLED": False,
        },
        instance_path=str(folder / "instance"),
    )
    with app.app_context():
        upgrade()
    for name in ("alembic", "werkzeug"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return app


def _bulk(model: type, rows: list[dict[str, object]]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model), rows[start : start + CHUNK])


def seed() -> None:
    """Five tours of 100 events (60 stops, 30 webinars, 10 workshops), half of them past;
    200 registrations per event from 20,000 companies; every partner at 100 events."""
    now = datetime.now(UTC).replace(microsecond=0)
    venue = Venue(name="Stadthalle", street="Marktplatz 1", postcode="80000", town="München")
    db.session.add(venue)
    tours = [Tour(slug=f"tour-{n}", title=f"Digitaltour {2022 + n}") for n in range(TOURS)]
    partners = [Partner(slug=f"partner-{n}", name=f"Partner {n} GmbH") for n in range(PARTNERS)]
    db.session.add_all([*tours, *partners])
    db.session.flush()
    events = []
    for number in range(EVENTS):
        kind = (
            EventKind.STOP
            if number % 10 < 6
            else EventKind.WEBINAR
            if number % 10 < 9
            else EventKind.WORKSHOP
        )
        starts_at = now + timedelta(days=number - EVENTS // 2)
        events.append(
            {
                "id": number + 1,
                "uid": f"bench-{number}@roadshow",
                "kind": kind,
                "status": EventStatus.PUBLISHED,
                "slug": f"event-{number}",
                "title": f"Veranstaltung {number}",
                "tour_id": tours[number % TOURS].id,
                "venue_id": None if kind is EventKind.WEBINAR else venue.id,
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(hours=3),
                "capacity": 400,
                "seats_taken": 0,
                "published_at": now - timedelta(days=400),
            }
        )
    _bulk(Event, events)
    _bulk(
        EventPartner,
        [
            {"event_id": n + 1, "partner_id": partners[n % PARTNERS].id, "role": PartnerRole.HOST}
            for n in range(EVENTS)
        ],
    )
    registrations, attendees, check_ins = [], [], []
    attendee_id = 0
    per_event = REGISTRATIONS // EVENTS
    for number in range(REGISTRATIONS):
        event = events[number // per_event]
        status = (
            RegistrationStatus.CANCELLED
            if number % 20 == 0
            else RegistrationStatus.WAITLISTED
            if number % 20 == 1
            else RegistrationStatus.CONFIRMED
        )
        registrations.append(
            {
                "id": number + 1,
                "event_id": event["id"],
                "status": status,
                "token_hash": f"{number:064x}",
                "company_name": f"Firma {number % 20_000}",
                "company_size": SIZES[number % len(SIZES)],
                "industry": INDUSTRIES[number % len(INDUSTRIES)],
                "town": TOWNS[number % len(TOWNS)],
                "contact_name": "Kontakt",
                "contact_email": f"kontakt{number}@firma.example",
                "privacy_consent_at": now,
                "referral_partner_id": partners[number % PARTNERS].id if number % 7 == 0 else None,
                "created_at": now,
                "updated_at": now,
            }
        )
        past = event["ends_at"] < now  # type: ignore[operator]
        for person in range(1 + (number % 3 == 0)):
            attendee_id += 1
            attendees.append(
                {
                    "id": attendee_id,
                    "registration_id": number + 1,
                    "event_id": event["id"],
                    "name": f"Person {attendee_id}",
                    "email": f"person{attendee_id}@firma.example",
                    "email_normalized": f"person{attendee_id}@firma.example",
                    "status": AttendeeStatus.CANCELLED
                    if status is RegistrationStatus.CANCELLED
                    else AttendeeStatus.ACTIVE,
                    "check_in_code": new_check_in_code(),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if past and status is RegistrationStatus.CONFIRMED and (attendee_id + person) % 4:
                webinar = event["kind"] is EventKind.WEBINAR
                check_ins.append(
                    {
                        "event_id": event["id"],
                        "attendee_id": attendee_id,
                        "method": CheckInMethod.WEBINAR_IMPORT if webinar else CheckInMethod.QR,
                        "checked_in_at": event["starts_at"],
                        "minutes_attended": (attendee_id % 90) if webinar else None,
                        "attended": (attendee_id % 90) >= 30 if webinar else True,
                    }
                )
    _bulk(Registration, registrations)
    _bulk(Attendee, attendees)
    _bulk(CheckIn, check_ins)
    # Seats as the registrations' rules keep them.
    taken = (
        select(sa.func.count(Attendee.id))
        .join(Registration, Registration.id == Attendee.registration_id)
        .where(
            Attendee.event_id == Event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Attendee.status == AttendeeStatus.ACTIVE,
        )
        .scalar_subquery()
    )
    db.session.execute(sa.update(Event).values(seats_taken=taken))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    print(
        f"seeded {EVENTS} events, {len(registrations):,} registrations, "
        f"{len(attendees):,} attendees, {len(check_ins):,} check-ins"
    )


def timed(name: str, run: Callable[[], object], runs: int) -> float:
    run()  # warm-up: caches, prepared plans
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
        db.session.expunge_all()
    median = statistics.median(times)
    flag = "" if median < 200 else "  (over 200 ms)"
    print(f"  {name:<42} {median:8.1f} ms{flag}")
    return median


def measure(runs: int) -> dict[str, float]:
    session = db.session
    tour, other = session.scalars(select(Tour).order_by(Tour.id).limit(2)).all()
    partner = session.scalars(select(Partner).order_by(Partner.id)).first()
    event = session.get(Event, EVENTS // 2 - 5)  # a past stop with 200 registrations
    assert partner is not None and event is not None

    def fresh(model: type, id: int) -> object:
        return session.get(model, id)

    return {
        "overview (500 events)": timed(
            "overview (500 events)", lambda: reports.overview(session), runs
        ),
        "event report (with breakdowns)": timed(
            "event report (with breakdowns)",
            lambda: reports.event_report(session, fresh(Event, event.id)),  # type: ignore[arg-type]
            runs,
        ),
        "event figures (portal event page)": timed(
            "event figures (portal event page)",
            lambda: reports.event_figures(session, fresh(Event, event.id)),  # type: ignore[arg-type]
            runs,
        ),
        "event attendance (API)": timed(
            "event attendance (API)",
            lambda: reports.attendee_presence(session, fresh(Event, event.id)),  # type: ignore[arg-type]
            runs,
        ),
        "tour report (100 events, funnel)": timed(
            "tour report (100 events, funnel)",
            lambda: reports.tour_report(session, fresh(Tour, tour.id)),  # type: ignore[arg-type]
            runs,
        ),
        "funnel alone": timed(
            "funnel alone", lambda: reports.funnel(session, reports.tour_event_ids(tour.id)), runs
        ),
        "two editions compared": timed(
            "two editions compared",
            lambda: reports.compare_tours(session, fresh(Tour, tour.id), fresh(Tour, other.id)),  # type: ignore[arg-type]
            runs,
        ),
        "partner report (100 events, referrals)": timed(
            "partner report (100 events, referrals)",
            lambda: reports.partner_report(session, fresh(Partner, partner.id)),  # type: ignore[arg-type]
            runs,
        ),
    }


def drop_everything() -> None:
    db.session.remove()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("ROADSHOW_BENCH_DATABASE_URL"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--with-index",
        action="store_true",
        help=f"also measure with the index the reports would want: {CANDIDATE_INDEX}",
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite:///{Path(folder) / 'reports.sqlite'}"
        app = make_app(url, Path(folder))
        with app.app_context():
            print(f"database: {db.engine.dialect.name}")
            if db.session.scalar(select(sa.func.count(Event.id))):
                print("the database holds events already; give an empty one", file=sys.stderr)
                return 2
            started = time.perf_counter()
            seed()
            print(f"seeding took {time.perf_counter() - started:.1f} s")
            print(f"median of {arguments.runs} runs:")
            try:
                measure(arguments.runs)
                if arguments.with_index:
                    db.session.execute(sa.text(CANDIDATE_INDEX))
                    db.session.execute(sa.text("ANALYZE"))
                    db.session.commit()
                    print(f"with {CANDIDATE_INDEX}:")
                    measure(arguments.runs)
            finally:
                if db.engine.dialect.name == "postgresql":
                    drop_everything()
    return 0


if __name__ == "__main__":
    sys.exit(main())
