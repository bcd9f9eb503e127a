"""Finding everything stored about one email address, and writing it out (DSGVO Art. 15).

One address is looked up in every table that holds addresses, in its normalised form
(``normalize_email``), so that ``Ada@Firma.example`` finds what ``ada@firma.example``
registered. Rows already erased hold a placeholder address and are not found again.
Audit entries are found by the objects they are about and by the address appearing in
their details.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from roadshow.accounts.models import AuditLog, User
from roadshow.attendance.models import CheckIn
from roadshow.calendar.models import Subscriber
from roadshow.database import DBSession, utcnow
from roadshow.mail.addresses import normalize_email
from roadshow.mail.models import OutboxMessage
from roadshow.registrations.models import Attendee, Registration


@dataclass
class PersonRecords:
    """Every row that holds one person's address, by kind."""

    email: str
    registrations: list[Registration] = field(default_factory=list)
    attendees: list[Attendee] = field(default_factory=list)
    check_ins: list[CheckIn] = field(default_factory=list)
    subscribers: list[Subscriber] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)
    audit_entries: list[AuditLog] = field(default_factory=list)
    user: User | None = None

    @property
    def as_contact(self) -> list[Registration]:
        """The registrations this person made as the company's contact."""
        return [r for r in self.registrations if normalize_email(r.contact_email) == self.email]

    def counts(self) -> dict[str, int]:
        """How many rows of each kind: what the organiser's page and the audit entry show."""
        return {
            "registrations": len(self.registrations),
            "attendees": len(self.attendees),
            "check_ins": len(self.check_ins),
            "subscribers": len(self.subscribers),
            "messages": len(self.messages),
            "audit_entries": len(self.audit_entries),
            "accounts": 1 if self.user is not None else 0,
        }

    @property
    def is_empty(self) -> bool:
        return not any(self.counts().values())

    def names(self) -> set[str]:
        """The names this person was stored under (as contact, attendee, user, recipient)."""
        names = {r.contact_name for r in self.as_contact}
        names |= {a.name for a in self.attendees}
        names |= {m.recipient_name for m in self.messages}
        if self.user is not None:
            names.add(self.user.name)
        return {name.strip() for name in names if len(name.strip()) >= 2}


def json_fragment(text: str) -> str:
    """``text`` as it stands inside a stored JSON document (non-ASCII as ``\\uXXXX``)."""
    return json.dumps(text)[1:-1]


def details_mention(needle: str) -> sa.ColumnElement[bool]:
    """Audit entries whose details contain ``needle`` (any case), on either database."""
    return func.lower(sa.cast(AuditLog.details, sa.Text)).contains(
        json_fragment(needle).lower(), autoescape=True
    )


def find_person(session: DBSession, email: str) -> PersonRecords:
    """Every row that holds ``email``: a handful of queries, whatever the size of the tables."""
    email = normalize_email(email)
    found = PersonRecords(email=email)
    if not email:
        return found
    found.attendees = list(
        session.scalars(
            select(Attendee)
            .where(Attendee.email_normalized == email, Attendee.anonymised_at.is_(None))
            .order_by(Attendee.id)
        )
    )
    attendee_registrations = {a.registration_id for a in found.attendees}
    found.registrations = list(
        session.scalars(
            select(Registration)
            .where(
                or_(
                    func.lower(Registration.contact_email) == email,
                    Registration.id.in_(attendee_registrations),
                )
            )
            .options(selectinload(Registration.event), selectinload(Registration.attendees))
            .order_by(Registration.id)
        )
    )
    attendee_ids = [a.id for a in found.attendees]
    found.check_ins = list(
        session.scalars(
            select(CheckIn).where(CheckIn.attendee_id.in_(attendee_ids)).order_by(CheckIn.id)
        )
    )
    found.subscribers = list(
        session.scalars(
            select(Subscriber)
            .where(Subscriber.email_normalized == email, Subscriber.anonymised_at.is_(None))
            .order_by(Subscriber.id)
        )
    )
    found.messages = list(
        session.scalars(
            select(OutboxMessage)
            .where(
                func.lower(OutboxMessage.recipient) == email,
                OutboxMessage.anonymised_at.is_(None),
            )
            .order_by(OutboxMessage.id)
        )
    )
    found.user = session.scalar(select(User).where(func.lower(User.email) == email))
    about = [
        ("registration", [r.id for r in found.registrations]),
        ("attendee", attendee_ids),
        ("subscriber", [s.id for s in found.subscribers]),
        ("outboxmessage", [m.id for m in found.messages]),
        ("user", [found.user.id] if found.user is not None else []),
    ]
    conditions = [
        sa.and_(AuditLog.object_type == kind, AuditLog.object_id.in_(ids))
        for kind, ids in about
        if ids
    ]
    found.audit_entries = list(
        session.scalars(
            select(AuditLog)
            .where(or_(details_mention(email), *conditions))
            .order_by(AuditLog.at, AuditLog.id)
        )
    )
    return found


def _instant(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_person(records: PersonRecords, *, now: datetime | None = None) -> dict[str, Any]:
    """What is stored about the person, as a JSON-ready document.

    A registration the person made as contact is shown whole (company, contact, consents);
    one they only attend shows the event and the company, and of its people only them.
    """
    contact_ids = {r.id for r in records.as_contact}
    own_attendees = {a.id for a in records.attendees}
    return {
        "email": records.email,
        "exported_at": _instant(now or utcnow()),
        "registrations": [
            _registration(r, r.id in contact_ids, own_attendees) for r in records.registrations
        ],
        "attendees": [_attendee(a) for a in records.attendees],
        "check_ins": [
            {
                "attendee_id": c.attendee_id,
                "event_id": c.event_id,
                "method": c.method.value,
                "checked_in_at": _instant(c.checked_in_at),
                "minutes_attended": c.minutes_attended,
            }
            for c in records.check_ins
        ],
        "subscriptions": [_subscriber(s) for s in records.subscribers],
        "messages": [_message(m) for m in records.messages],
        "audit_entries": [
            {
                "id": e.id,
                "at": _instant(e.at),
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "details": e.details,
            }
            for e in records.audit_entries
        ],
        "account": _user(records.user) if records.user is not None else None,
    }


def _registration(
    registration: Registration, as_contact: bool, own_attendees: set[int]
) -> dict[str, Any]:
    event = registration.event
    document: dict[str, Any] = {
        "id": registration.id,
        "role": "contact" if as_contact else "attendee",
        "status": registration.status.value,
        "event": {
            "id": event.id,
            "title": event.title,
            "starts_at": _instant(event.starts_at),
            "ends_at": _instant(event.ends_at),
            "timezone": event.timezone,
        },
        "company": {
            "name": registration.company_name,
            "size": registration.company_size,
            "industry": registration.industry,
            "postcode": registration.postcode,
            "town": registration.town,
        },
        "language": registration.language,
        "created_at": _instant(registration.created_at),
        "confirmed_at": _instant(registration.confirmed_at),
        "waitlisted_at": _instant(registration.waitlisted_at),
        "cancelled_at": _instant(registration.cancelled_at),
    }
    if as_contact:
        document["contact"] = {
            "name": registration.contact_name,
            "email": registration.contact_email,
            "phone": registration.contact_phone,
        }
        document["consents"] = {
            "privacy_consent_at": _instant(registration.privacy_consent_at),
            "newsletter": registration.newsletter_consent,
            "share_with_partners": registration.share_with_partners,
        }
        document["attendees"] = [_attendee(a) for a in registration.attendees]
    else:
        document["attendees"] = [
            _attendee(a) for a in registration.attendees if a.id in own_attendees
        ]
    return document


def _attendee(attendee: Attendee) -> dict[str, Any]:
    return {
        "id": attendee.id,
        "registration_id": attendee.registration_id,
        "event_id": attendee.event_id,
        "name": attendee.name,
        "email": attendee.email,
        "status": attendee.status.value,
        "created_at": _instant(attendee.created_at),
        "cancelled_at": _instant(attendee.cancelled_at),
    }


def _subscriber(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "id": subscriber.id,
        "email": subscriber.email,
        "status": subscriber.status.value,
        "language": subscriber.language,
        "filters": subscriber.filters,
        "notify_by_email": subscriber.notify_by_email,
        "consent_text_version": subscriber.consent_text_version,
        "subscribed_at": _instant(subscriber.subscribed_at),
        "subscribed_ip": subscriber.subscribed_ip,
        "confirmed_at": _instant(subscriber.confirmed_at),
        "confirmed_ip": subscriber.confirmed_ip,
        "cancelled_at": _instant(subscriber.cancelled_at),
    }


def _message(message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "template": message.template,
        "recipient": message.recipient,
        "recipient_name": message.recipient_name,
        "subject": message.subject,
        "status": message.status.value,
        "created_at": _instant(message.created_at),
        "sent_at": _instant(message.sent_at),
        "text_body": message.text_body,
        "html_body": message.html_body,
        "ics": message.ics,
    }


def _user(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role.value,
        "active": user.active,
        "created_at": _instant(user.created_at),
        "last_login_at": _instant(user.last_login_at),
    }
