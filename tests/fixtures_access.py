"""A small world for the tests of access and headers: two partners with an event each, a
draft of partner A, a registration, a series, and one user of every role.

The ``world`` fixture makes it with the factories and commits; ``World`` holds the ids and
the secrets that URLs need (the raw token exists only here, as in the first mail).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from roadshow.accounts.models import Role, User
from roadshow.events.models import Event, EventKind, EventStatus, PartnerRole, Series
from roadshow.extensions import db
from roadshow.registrations.services import RegistrationOutcome


@dataclass(frozen=True)
class World:
    tour_id: int
    tour_slug: str
    venue_id: int
    series_id: int
    partner_a_id: int
    partner_a_slug: str
    partner_b_id: int
    event_a_id: int  # published, partner A hosts it
    event_a_slug: str
    event_b_id: int  # published, partner B hosts it
    draft_a_id: int  # a draft linked to partner A
    registration_id: int  # on event A, contact data shared with partners
    registration_token: str
    attendee_id: int
    users: dict[str, User]  # "partner A", "partner B", "organiser", "admin"


ROLES = ("anonymous", "partner A", "partner B", "organiser", "admin")


@pytest.fixture
def world(
    make_tour: Callable[..., Any],
    make_venue: Callable[..., Any],
    make_partner: Callable[..., Any],
    make_event: Callable[..., Event],
    make_user: Callable[..., User],
    register_company: Callable[..., RegistrationOutcome],
) -> World:
    tour = make_tour()
    venue = make_venue()
    partner_a = make_partner(name="Telekom Partner A GmbH")
    partner_b = make_partner(name="Sicherheit Partner B AG")
    event_a = make_event(tour=tour, venue=venue, partners={partner_a: PartnerRole.HOST})
    event_b = make_event(partners={partner_b: PartnerRole.HOST})
    draft_a = make_event(status=EventStatus.DRAFT, partners={partner_a: PartnerRole.SPEAKER})
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=40)
    series = Series(
        kind=EventKind.WEBINAR,
        title="Digitale Sprechstunde",
        rrule="FREQ=WEEKLY;COUNT=3",
        first_starts_at=starts,
        duration_minutes=60,
    )
    db.session.add(series)
    db.session.commit()
    outcome = register_company(event_a, "Anna Huber", share_with_partners=True)
    assert outcome.token is not None
    registration = outcome.registration
    users = {
        "partner A": make_user(role=Role.PARTNER, partner_id=partner_a.id),
        "partner B": make_user(role=Role.PARTNER, partner_id=partner_b.id),
        "organiser": make_user(role=Role.ORGANISER),
        "admin": make_user(role=Role.ADMIN),
    }
    return World(
        tour_id=tour.id,
        tour_slug=tour.slug,
        venue_id=venue.id,
        series_id=series.id,
        partner_a_id=partner_a.id,
        partner_a_slug=partner_a.slug,
        partner_b_id=partner_b.id,
        event_a_id=event_a.id,
        event_a_slug=event_a.slug,
        event_b_id=event_b.id,
        draft_a_id=draft_a.id,
        registration_id=registration.id,
        registration_token=outcome.token,
        attendee_id=registration.attendees[0].id,
        users=users,
    )


@pytest.fixture
def url_arguments(world: World) -> dict[str, int | str]:
    """The value of every URL argument the walked routes take: partner A's event, the
    registration and attendee on it, partner A, the organiser's user id."""
    return {
        "event_id": world.event_a_id,
        "registration_id": world.registration_id,
        "attendee_id": world.attendee_id,
        "tour_id": world.tour_id,
        "venue_id": world.venue_id,
        "series_id": world.series_id,
        "partner_id": world.partner_a_id,
        # Only denied requests reach check-in URLs with it (staff's DELETE is not sent).
        "check_in_id": 1,
        "user_id": world.users["organiser"].id,
        "import_id": 1,  # an attendance import: denied cells never reach it
        "row": 0,
        "slug": world.partner_a_slug,  # the partner report of the API
        "other_tour_id": world.tour_id,  # comparing two editions
        "file_format": "csv",  # the report downloads
    }
