"""Fixtures for registrations: company data, registering through the service, outbox rows.

``register_company(event, "Ada", "Grace", company="Huber GmbH")`` registers one attendee per
name (emails made from the names) through the real service and commits.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from roadshow.events.models import Event
from roadshow.extensions import db
from roadshow.mail.models import OutboxMessage
from roadshow.registrations.services import (
    AttendeeInput,
    RegistrationInput,
    RegistrationOutcome,
    register,
)

_numbers = itertools.count(1)


def email_for(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".") + "@firma.example"


def registration_input(*names: str, **values: Any) -> RegistrationInput:
    n = next(_numbers)
    fields: dict[str, Any] = {
        "company_name": f"Firma {n} GmbH",
        "company_size": "10-49",
        "industry": "handwerk",
        "postcode": "82362",
        "town": "Weilheim",
        "contact_name": f"Kontakt {n}",
        "contact_email": f"kontakt{n}@firma.example",
        "privacy_consent": True,
        "attendees": [AttendeeInput(name, email_for(name)) for name in names or (f"Person {n}",)],
        **values,
    }
    return RegistrationInput(**fields)


@pytest.fixture
def register_company(app: Any) -> Callable[..., RegistrationOutcome]:
    def make(event: Event, *names: str, **values: Any) -> RegistrationOutcome:
        outcome = register(db.session, event.id, registration_input(*names, **values))
        db.session.commit()
        return outcome

    return make


def form_fields(*attendees: tuple[str, str], **values: Any) -> dict[str, Any]:
    """What a person types into the registration form (without the CSRF token)."""
    fields: dict[str, Any] = {
        "company_name": "Schreinerei Huber",
        "company_size": "10-49",
        "industry": "handwerk",
        "postcode": "82362",
        "town": "Weilheim",
        "contact_name": "Anna Huber",
        "contact_email": "anna@huber.example",
        "contact_phone": "",
        "language": "de",
        "privacy_consent": "y",
    }
    for index, (name, email) in enumerate(attendees):
        fields[f"attendees-{index}-name"] = name
        fields[f"attendees-{index}-email"] = email
    fields.update(values)
    return {k: v for k, v in fields.items() if v is not None}


def outbox(**filters: Any) -> list[OutboxMessage]:
    """The outbox rows, oldest first, e.g. ``outbox(template="registrations/confirmed")``."""
    query = select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id)
    return list(db.session.scalars(query))


def read_event_without_lock(session: Any, event_id: int) -> Event:
    """What ``lock_event`` would return, without taking the lock (the race test's control
    run patches ``registrations.services.lock_event`` with it)."""
    event = session.get(Event, event_id, populate_existing=True)
    assert event is not None
    return event
