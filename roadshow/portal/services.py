"""What a partner's users may see: the events their partner takes part in, and of each
event the confirmed attendees, with contact data only where the company agreed to share it.

Every read starts from the partner: an event counts as the partner's when it is linked to
it in ``event_partner`` (any role) and is published or cancelled; drafts are not shown to
anyone outside the organisers. An event that is not the partner's is reported exactly as
one that does not exist (``NotFound``), so a guessed id tells nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from roadshow.database import DBSession, utcnow
from roadshow.errors import NotFound
from roadshow.events.models import Event, EventPartner, EventStatus, PartnerRole
from roadshow.registrations.models import Registration, RegistrationStatus

VISIBLE_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


@dataclass(frozen=True)
class PartnerEvent:
    event: Event
    roles: Sequence[PartnerRole]


@dataclass(frozen=True)
class PartnerEvents:
    upcoming: Sequence[PartnerEvent]  # soonest first; running events included
    past: Sequence[PartnerEvent]  # latest first


@dataclass(frozen=True)
class PartnerRegistration:
    """One confirmed registration as the partner sees it; ``None`` where not shared."""

    company: str
    attendees: Sequence[str]
    attendee_emails: Sequence[str] | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None

    @property
    def shared(self) -> bool:
        return self.contact_email is not None


@dataclass(frozen=True)
class PartnerAttendance:
    registrations: Sequence[PartnerRegistration]
    not_shared_registrations: int
    not_shared_attendees: int

    @property
    def attendees(self) -> int:
        return sum(len(r.attendees) for r in self.registrations)


def _partner_event_ids(partner_id: int) -> Select[int]:
    return select(EventPartner.event_id).where(EventPartner.partner_id == partner_id)


def partner_events(
    session: DBSession, partner_id: int, *, now: datetime | None = None
) -> PartnerEvents:
    """The partner's events, upcoming and past, each with the partner's roles there.

    Two queries, whatever the number of events.
    """
    now = now or utcnow()
    events = session.scalars(
        select(Event)
        .where(Event.id.in_(_partner_event_ids(partner_id)), Event.status.in_(VISIBLE_STATUSES))
        .options(joinedload(Event.venue))
        .order_by(Event.starts_at, Event.id)
    ).all()
    roles: dict[int, list[PartnerRole]] = {}
    for event_id, role in session.execute(
        select(EventPartner.event_id, EventPartner.role)
        .where(EventPartner.partner_id == partner_id)
        .order_by(EventPartner.role)
    ):
        roles.setdefault(event_id, []).append(role)
    listed = [PartnerEvent(event, roles.get(event.id, [])) for event in events]
    return PartnerEvents(
        upcoming=[item for item in listed if item.event.ends_at >= now],
        past=[item for item in reversed(listed) if item.event.ends_at < now],
    )


def partner_event(session: DBSession, partner_id: int, event_id: int) -> Event:
    """The event if it is the partner's and not a draft; else ``NotFound``."""
    event = session.scalar(
        select(Event)
        .where(
            Event.id == event_id,
            Event.id.in_(_partner_event_ids(partner_id)),
            Event.status.in_(VISIBLE_STATUSES),
        )
        .options(joinedload(Event.venue))
    )
    if event is None:
        raise NotFound(_("Diese Veranstaltung gibt es nicht."))
    return event


def partner_attendance(session: DBSession, event: Event) -> PartnerAttendance:
    """The confirmed registrations of ``event`` with their active attendees, in order of
    arrival; names of people and companies for all, contact data (the contact's name,
    email and phone, the attendees' emails) only where ``share_with_partners`` is set.

    Two queries, whatever the number of registrations.
    """
    registrations = session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .options(selectinload(Registration.attendees))
        .order_by(Registration.id)
    ).all()
    shown = []
    for registration in registrations:
        people = registration.active_attendees
        if not people:
            continue
        shared = registration.share_with_partners
        shown.append(
            PartnerRegistration(
                company=registration.company_name,
                attendees=[person.name for person in people],
                attendee_emails=[person.email for person in people] if shared else None,
                contact_name=registration.contact_name if shared else None,
                contact_email=registration.contact_email if shared else None,
                contact_phone=registration.contact_phone if shared else None,
            )
        )
    withheld = [r for r in shown if not r.shared]
    return PartnerAttendance(
        registrations=shown,
        not_shared_registrations=len(withheld),
        not_shared_attendees=sum(len(r.attendees) for r in withheld),
    )
