"""Factory fixtures: each returns a callable that creates and commits one object.

``make_event(capacity=5, kind=EventKind.WEBINAR)``: keyword arguments override defaults.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from roadshow.accounts.models import Role, User
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
from tests.fixtures_pages import PASSWORD

_numbers = itertools.count(1)


def _commit(obj: Any) -> Any:
    db.session.add(obj)
    db.session.commit()
    return obj


@pytest.fixture
def make_tour(app: Any) -> Callable[..., Tour]:
    def make(**values: Any) -> Tour:
        n = next(_numbers)
        values = {"slug": f"tour-{n}", "title": f"Tour {n}", **values}
        return _commit(Tour(**values))

    return make


@pytest.fixture
def make_venue(app: Any) -> Callable[..., Venue]:
    def make(**values: Any) -> Venue:
        n = next(_numbers)
        values = {
            "name": f"Stadthalle {n}",
            "street": "Marktplatz 1",
            "postcode": "82362",
            "town": "Weilheim",
            **values,
        }
        return _commit(Venue(**values))

    return make


@pytest.fixture
def make_partner(app: Any) -> Callable[..., Partner]:
    def make(**values: Any) -> Partner:
        n = next(_numbers)
        values = {"slug": f"partner-{n}", "name": f"Partner {n} GmbH", **values}
        return _commit(Partner(**values))

    return make


@pytest.fixture
def make_event(app: Any, make_venue: Callable[..., Venue]) -> Callable[..., Event]:
    """A published stop a month ahead, 18:00–21:00 UTC, with 50 seats, unless told otherwise."""

    def make(partners: dict[Partner, PartnerRole] | None = None, **values: Any) -> Event:
        n = next(_numbers)
        starts_at = values.pop(
            "starts_at", datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
        )
        kind = values.get("kind", EventKind.STOP)
        if "venue" not in values and "venue_id" not in values and kind is not EventKind.WEBINAR:
            values["venue"] = make_venue()
        values = {
            "kind": EventKind.STOP,
            "status": EventStatus.PUBLISHED,
            "slug": f"event-{n}",
            "title": f"Veranstaltung {n}",
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(hours=3),
            "capacity": 50,
            "timezone": "Europe/Berlin",
            **values,
        }
        event = Event(**values)
        for partner, role in (partners or {}).items():
            event.partner_roles.append(EventPartner(partner=partner, role=role))
        return _commit(event)

    return make


@pytest.fixture
def make_user(app: Any) -> Callable[..., User]:
    def make(password: str = PASSWORD, **values: Any) -> User:
        n = next(_numbers)
        values = {
            "email": f"user{n}@roadshow.example",
            "name": f"User {n}",
            "role": Role.ORGANISER,
            **values,
        }
        user = User(**values)
        user.set_password(password)
        return _commit(user)

    return make
