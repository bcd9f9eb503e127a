"""Helpers for the tests of the organisers' registrations: many rows at once, check-ins,
reading the list page, API tokens, and checking answers against our OpenAPI document.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from roadshow.accounts.models import Role, User
from roadshow.accounts.services import issue_api_token
from roadshow.attendance.models import CheckIn, CheckInMethod
from roadshow.events.models import Event
from roadshow.extensions import db
from roadshow.partners.models import Partner
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)
from roadshow.registrations.services import recount_seats


def add_registrations(
    event: Event,
    count: int,
    *,
    status: RegistrationStatus = RegistrationStatus.CONFIRMED,
    attendees: int = 2,
    partner: Partner | None = None,
    check_in_every: int = 3,
) -> list[Registration]:
    """``count`` registrations written as rows (no mail), each with ``attendees`` people,
    every ``check_in_every``-th first attendee checked in; seats recounted; committed."""
    now = datetime.now(UTC)
    tag = secrets.token_hex(3)
    made = []
    for n in range(count):
        registration = Registration(
            event=event,
            status=status,
            token_hash=secrets.token_hex(32),
            company_name=f"Firma {tag}-{n} GmbH",
            contact_name=f"Kontakt {tag}-{n}",
            contact_email=f"kontakt.{tag}.{n}@firma.example",
            contact_phone="+49 89 1234",
            language="de",
            privacy_consent_at=now,
            referral_partner_id=partner.id if partner is not None and n % 2 == 0 else None,
            confirmed_at=now if status is RegistrationStatus.CONFIRMED else None,
            waitlisted_at=now if status is RegistrationStatus.WAITLISTED else None,
        )
        for k in range(attendees):
            email = f"person.{tag}.{n}.{k}@firma.example"
            registration.attendees.append(
                Attendee(
                    event_id=event.id,
                    name=f"Person {tag}-{n}-{k}",
                    email=email,
                    email_normalized=email,
                    status=AttendeeStatus.ACTIVE,
                )
            )
        made.append(registration)
    db.session.add_all(made)
    db.session.flush()
    for n, registration in enumerate(made):
        if n % check_in_every == 0:
            check_in(registration.attendees[0])
    recount_seats(db.session, event)
    db.session.commit()
    return made


def check_in(attendee: Attendee) -> CheckIn:
    """The attendee was at the door (as the check-in page would record it)."""
    row = CheckIn(event_id=attendee.event_id, attendee_id=attendee.id, method=CheckInMethod.MANUAL)
    db.session.add(row)
    db.session.flush()
    return row


RESULT_ROW = re.compile(r'<tr id="registration-(\d+)">\s*<td[^>]*>(.*?)</td>', re.S)
WAITING_ROW = re.compile(r'<li id="waiting-(\d+)">\s*<strong>(.*?)</strong>', re.S)


def listed_companies(html: str) -> list[str]:
    """The companies in the result table, top to bottom."""
    return [company for _id, company in RESULT_ROW.findall(html)]


def waiting_companies(html: str) -> list[str]:
    """The companies on the waiting list as the page shows it, first to move up first."""
    return [company for _id, company in WAITING_ROW.findall(html)]


@pytest.fixture
def api_token(app: Any, make_user: Callable[..., User]) -> Callable[..., tuple[User, str]]:
    """``api_token(role=Role.ORGANISER)``: a new user and a bearer token for them."""

    def make(**values: Any) -> tuple[User, str]:
        user = make_user(**{"role": Role.ORGANISER, **values})
        token = issue_api_token(db.session, user)
        db.session.commit()
        return user, token

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def conforms(client: Any, schema: str, data: Any) -> None:
    """``data`` matches the named schema of our own OpenAPI document."""
    document = client.get("/api/v1/openapi.json").get_json()
    root = {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    errors = list(Draft202012Validator(root).iter_errors(data))
    assert not errors, [e.message for e in errors]
