"""A hand-made data set for the reports: two editions of a tour, a partner, registrations
in every status, check-ins at the door and from a webinar report.

Every figure the tests assert is worked out in the docstring of ``report_world``.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from roadshow.attendance.models import CheckIn, CheckInMethod
from roadshow.events.models import Event, EventKind, PartnerRole, Tour
from roadshow.extensions import db
from roadshow.partners.models import Partner
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)

_people = itertools.count(1)


def add_registration(
    event: Event,
    company: str,
    people: int = 1,
    *,
    status: RegistrationStatus = RegistrationStatus.CONFIRMED,
    cancelled_people: int = 0,
    referral: Partner | None = None,
    size: str = "",
    industry: str = "",
    town: str = "",
) -> list[Attendee]:
    """A registration with ``people`` active and ``cancelled_people`` cancelled attendees
    (all cancelled when the registration is); returns the active ones."""
    now = datetime.now(UTC)
    registration = Registration(
        event_id=event.id,
        status=status,
        token_hash=secrets.token_hex(32),
        company_name=company,
        company_size=size,
        industry=industry,
        town=town,
        contact_name="Kontakt",
        contact_email=f"kontakt{next(_people)}@firma.example",
        privacy_consent_at=now,
        referral_partner_id=referral.id if referral else None,
        confirmed_at=now if status is RegistrationStatus.CONFIRMED else None,
        cancelled_at=now if status is RegistrationStatus.CANCELLED else None,
    )
    db.session.add(registration)
    active = []
    for index in range(people + cancelled_people):
        n = next(_people)
        cancelled = status is RegistrationStatus.CANCELLED or index >= people
        attendee = Attendee(
            event_id=event.id,
            name=f"Person {n}",
            email=f"person{n}@firma.example",
            email_normalized=f"person{n}@firma.example",
            status=AttendeeStatus.CANCELLED if cancelled else AttendeeStatus.ACTIVE,
            cancelled_at=now if cancelled else None,
        )
        registration.attendees.append(attendee)
        if not cancelled:
            active.append(attendee)
    if status is RegistrationStatus.CONFIRMED:
        event.seats_taken += people
    db.session.flush()
    return active


def check_in(
    attendee: Attendee,
    method: CheckInMethod = CheckInMethod.QR,
    *,
    attended: bool = True,
    minutes: int | None = None,
) -> CheckIn:
    row = CheckIn(
        event_id=attendee.event_id,
        attendee_id=attendee.id,
        method=method,
        attended=attended,
        minutes_attended=minutes,
    )
    db.session.add(row)
    db.session.flush()
    return row


@dataclass
class ReportWorld:
    tour: Tour  # "Digitaltour 2026"
    old_tour: Tour  # "Digitaltour 2025"
    partner: Partner
    other_partner: Partner
    stop: Event
    webinar: Event
    workshop: Event
    old_stop: Event
    other_event: Event  # the other partner's


@pytest.fixture
def report_world(
    make_tour: Callable[..., Tour],
    make_event: Callable[..., Event],
    make_partner: Callable[..., Partner],
    make_venue: Callable[..., Any],
) -> ReportWorld:
    """
    Stop (ended, Weilheim), partner hosts:
      Bäckerei Huber  confirmed 2 (1-9, Handwerk, Weilheim)   one checked in (QR)
      Metzgerei Maier confirmed 1 (10-49, Handel, Murnau)     checked in (manual), referred
      Café Sonne      waiting   1
      Druck GmbH      cancelled 1
      Druck GmbH      confirmed 1 + 1 cancelled attendee, referred
      → registered 5, companies 4, confirmed 4, waiting 1, cancelled 2, attended 2,
        no-show 2 (50 %); referrals: partner 2 registrations, 2 persons
    Webinar (ended), partner speaks:
      "BÄCKEREI HUBER " confirmed 1, 50 minutes (attended)
      Metzgerei Maier   confirmed 1, 5 minutes (not attended)
      Neu AG            confirmed 1, no row
      → registered 3, companies 3, confirmed 3, attended 1, no-show 2
    Workshop (ahead, no check-ins): Bäckerei Huber confirmed 1 → not held, no no-shows
    Tour 2026 totals: registered 9, companies 5, confirmed 8, waiting 1, cancelled 2,
      attended 3, no-show 4 of 7 confirmed at held events (57.1 %)
    Funnel 2026: registered 4 → 2 → 1; attended 2 → 1 → 0
    Tour 2025: stop (ended) Bäckerei Huber confirmed 2, one attended, referred by the
      partner → registered 2, companies 1, confirmed 2, attended 1, no-show 1 (50 %)
    Partner: events stop + webinar → registered 8, companies 5, confirmed 7, attended 3,
      no-show 4; referred (any event) registered 4, companies 3, confirmed 4, attended 2
    Other partner: one event ahead with one confirmed person.
    """
    partner = make_partner(name="Netzwerk Telekom GmbH")
    other = make_partner(name="Sicher IT AG")
    tour = make_tour(title="Digitaltour 2026")
    old_tour = make_tour(title="Digitaltour 2025")
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)
    stop = make_event(
        tour=tour,
        title="Tourstopp Weilheim",
        starts_at=past,
        partners={partner: PartnerRole.HOST},
    )
    webinar = make_event(
        tour=tour,
        kind=EventKind.WEBINAR,
        title="Webinar Cloud",
        starts_at=past + timedelta(days=3),
        partners={partner: PartnerRole.SPEAKER},
    )
    workshop = make_event(tour=tour, kind=EventKind.WORKSHOP, title="Workshop KI")
    old_stop = make_event(
        tour=old_tour, title="Tourstopp Weilheim 2025", starts_at=past - timedelta(days=365)
    )
    other_event = make_event(title="Sicherheitstag", partners={other: PartnerRole.HOST})

    huber = add_registration(
        stop, "Bäckerei Huber", 2, size="1-9", industry="Handwerk", town="Weilheim"
    )
    maier = add_registration(
        stop, "Metzgerei Maier", 1, referral=partner, size="10-49", industry="Handel", town="Murnau"
    )
    add_registration(stop, "Café Sonne", 1, status=RegistrationStatus.WAITLISTED)
    add_registration(stop, "Druck GmbH", 1, status=RegistrationStatus.CANCELLED)
    add_registration(stop, "Druck GmbH", 1, cancelled_people=1, referral=partner)
    check_in(huber[0])
    check_in(maier[0], CheckInMethod.MANUAL)

    (w1,) = add_registration(webinar, "BÄCKEREI HUBER ")
    (w2,) = add_registration(webinar, "Metzgerei Maier")
    add_registration(webinar, "Neu AG")
    check_in(w1, CheckInMethod.WEBINAR_IMPORT, minutes=50)
    check_in(w2, CheckInMethod.WEBINAR_IMPORT, attended=False, minutes=5)

    add_registration(workshop, "Bäckerei Huber")

    old = add_registration(old_stop, "Bäckerei Huber", 2, referral=partner)
    check_in(old[0])

    add_registration(other_event, "Geheim KG")
    db.session.commit()
    return ReportWorld(
        tour, old_tour, partner, other, stop, webinar, workshop, old_stop, other_event
    )
