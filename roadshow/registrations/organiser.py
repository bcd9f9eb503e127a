"""What organisers do with the registrations of an event: find, register, promote, cancel,
resend.

Every change of seats goes through the same lock as the company's own changes
(``services.lock_event`` via ``selfservice.lock_registration``) and ends with a recount;
every action writes one audit entry naming the organiser and the status before and after.
Organisers are not bound by the self-service deadlines, and may confirm beyond the
capacity when they say so explicitly (``override_capacity``).

Check-ins belong to attendance, which ranks level with registrations: the search and the
exports take the query of checked-in attendee ids as an argument
(``attendance.queries.checked_in_attendee_ids``), handed in by the page that uses both.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from roadshow.accounts.models import User
from roadshow.accounts.services import record
from roadshow.changes import changed_fields
from roadshow.database import DBSession, utcnow
from roadshow.errors import DomainError, NotFound
from roadshow.events.models import Event, EventStatus
from roadshow.partners.models import Partner
from roadshow.registrations import notifications, selfservice
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)
from roadshow.registrations.services import (
    RegistrationInput,
    RegistrationOutcome,
    lock_event,
    recount_seats,
    register,
    seats_taken,
    waiting_list_query,
)
from roadshow.tokens import hash_token, new_token

PAGE_SIZE = 50


class CheckedIn(enum.Enum):
    """The check-in filter of the search: a registration counts as checked in as soon as
    one of its attendees is; "not checked in" means none of them is."""

    YES = "yes"
    NO = "no"


@dataclass(frozen=True)
class RegistrationSearch:
    """What the organiser looks for; empty values do not narrow anything."""

    text: str = ""
    status: RegistrationStatus | None = None
    partner_id: int | None = None
    checked_in: CheckedIn | None = None
    page: int = 1


@dataclass(frozen=True)
class RegistrationPage:
    """One page of results, the total over all pages, and which of the shown attendees
    have checked in."""

    registrations: Sequence[Registration]
    total: int
    page: int
    per_page: int
    checked_in_attendee_ids: frozenset[int]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _text_matches(text: str) -> ColumnElement[bool]:
    """Company, contact name or email, or any attendee's name or email contains ``text``
    (ignoring case; ``%`` and ``_`` are taken literally)."""
    attendee = exists().where(
        Attendee.registration_id == Registration.id,
        or_(
            Attendee.name.icontains(text, autoescape=True),
            Attendee.email.icontains(text, autoescape=True),
        ),
    )
    return or_(
        Registration.company_name.icontains(text, autoescape=True),
        Registration.contact_name.icontains(text, autoescape=True),
        Registration.contact_email.icontains(text, autoescape=True),
        attendee,
    )


def _search_conditions(
    event: Event, search: RegistrationSearch, checked_in: Select[int]
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Registration.event_id == event.id]
    text = search.text.strip()
    if text:
        conditions.append(_text_matches(text))
    if search.status is not None:
        conditions.append(Registration.status == search.status)
    if search.partner_id is not None:
        conditions.append(Registration.referral_partner_id == search.partner_id)
    if search.checked_in is not None:
        someone_came = exists().where(
            and_(Attendee.registration_id == Registration.id, Attendee.id.in_(checked_in))
        )
        conditions.append(someone_came if search.checked_in is CheckedIn.YES else ~someone_came)
    return conditions


def search_registrations(
    session: DBSession,
    event: Event,
    search: RegistrationSearch,
    *,
    checked_in: Select[int],
    per_page: int = PAGE_SIZE,
) -> RegistrationPage:
    """The event's registrations that match ``search``, in order of arrival, one page.

    ``checked_in`` is the query of the event's checked-in attendee ids. The number of
    queries is the same for any number of registrations: the count, the page, its
    attendees and partners (``selectinload``), and the check-ins among them.
    """
    conditions = _search_conditions(event, search, checked_in)
    total = session.scalar(select(func.count(Registration.id)).where(*conditions)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, search.page), pages)
    registrations = session.scalars(
        select(Registration)
        .where(*conditions)
        .order_by(Registration.created_at, Registration.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .options(selectinload(Registration.attendees), selectinload(Registration.referral_partner))
    ).all()
    attendee_ids = [a.id for r in registrations for a in r.attendees]
    came: frozenset[int] = frozenset()
    if attendee_ids:
        came = frozenset(
            session.scalars(
                select(Attendee.id).where(
                    Attendee.id.in_(attendee_ids), Attendee.id.in_(checked_in)
                )
            )
        )
    return RegistrationPage(registrations, total, page, per_page, came)


def waiting_list(session: DBSession, event: Event) -> Sequence[Registration]:
    """The event's waiting registrations in the order they are promoted (oldest first)."""
    return session.scalars(waiting_list_query(event.id)).unique().all()


def all_registrations(session: DBSession, event: Event) -> Sequence[Registration]:
    """Every registration of the event in order of arrival, with attendees and referring
    partner, in one query whatever their number (joined: ``selectinload`` would ask once
    per 500 registrations)."""
    return (
        session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id)
            .order_by(Registration.created_at, Registration.id)
            .options(joinedload(Registration.attendees), joinedload(Registration.referral_partner))
        )
        .unique()
        .all()
    )


def referring_partners(session: DBSession, event: Event) -> Sequence[Partner]:
    """The partners whose links brought registrations to the event, by name."""
    return session.scalars(
        select(Partner)
        .where(
            Partner.id.in_(
                select(Registration.referral_partner_id).where(Registration.event_id == event.id)
            )
        )
        .order_by(Partner.name)
    ).all()


def registration_of_event(session: DBSession, event_id: int, registration_id: int) -> Registration:
    """The registration, if it belongs to that event; else ``NotFound``."""
    registration = session.get(Registration, registration_id)
    if registration is None or registration.event_id != event_id:
        raise NotFound(_("Diese Anmeldung gibt es nicht."))
    return registration


def _status_change(old: RegistrationStatus | None, new: RegistrationStatus) -> dict[str, Any]:
    return {"field": "status", "old": old.value if old else None, "new": new.value}


def register_manually(
    session: DBSession,
    event_id: int,
    data: RegistrationInput,
    *,
    actor: User,
    override_capacity: bool = False,
    at_the_door: bool = False,
    now: datetime | None = None,
) -> RegistrationOutcome:
    """The organiser registers a company (on the phone, at the desk): the same rules and
    mail as the company's own registration. With ``override_capacity`` it is confirmed
    even when it does not fit; without, it goes on the waiting list as usual.
    ``at_the_door``: a walk-in, accepted also once the event has begun."""
    outcome = register(
        session,
        event_id,
        data,
        override_capacity=override_capacity,
        at_the_door=at_the_door,
        now=now,
    )
    if not outcome.repeated:
        registration = outcome.registration
        event = registration.event
        record(
            session,
            "registration.created",
            registration,
            actor,
            changes=[_status_change(None, registration.status)],
            override_capacity=override_capacity,
            over_capacity=event.seats_taken > event.capacity,
        )
        session.flush()
    return outcome


def promote(
    session: DBSession,
    registration: Registration,
    *,
    actor: User,
    override_capacity: bool = False,
    now: datetime | None = None,
) -> Registration:
    """Confirm one waiting registration now, ahead of its turn, and tell the company as a
    normal promotion does (with invitations). It must fit into the free seats unless
    ``override_capacity``."""
    now = now or utcnow()
    event, registration = selfservice.lock_registration(session, registration)
    if registration.status is not RegistrationStatus.WAITLISTED:
        raise DomainError(_("Diese Anmeldung steht nicht auf der Warteliste."))
    if event.status is not EventStatus.PUBLISHED:
        raise DomainError(_("Nachrücken ist nur bei veröffentlichten Veranstaltungen möglich."))
    free = event.capacity - seats_taken(session, event.id)
    if registration.seats > free and not override_capacity:
        raise DomainError(
            _(
                "Dafür sind nicht genug Plätze frei (%(free)d frei, %(seats)d benötigt).",
                free=max(0, free),
                seats=registration.seats,
            ),
            field="override_capacity",
        )
    changes = changed_fields(
        registration, {"status": RegistrationStatus.CONFIRMED, "confirmed_at": now}
    )
    recount_seats(session, event)
    notifications.promoted(session, registration)
    record(
        session,
        "registration.promoted",
        registration,
        actor,
        changes=changes,
        override_capacity=override_capacity,
        over_capacity=event.seats_taken > event.capacity,
    )
    session.flush()
    return registration


def _lock_for_change(session: DBSession, registration: Registration) -> tuple[Event, Registration]:
    """Lock and reload; organisers have no deadlines, but a cancelled event stays as it is
    (its attendees were told already)."""
    event, registration = selfservice.lock_registration(session, registration)
    if event.status is EventStatus.CANCELLED:
        raise DomainError(_("Die Veranstaltung wurde abgesagt; Änderungen sind nicht möglich."))
    return event, registration


def cancel_registration(
    session: DBSession, registration: Registration, *, actor: User, now: datetime | None = None
) -> list[Registration]:
    """Cancel a whole registration for the company: as its own cancellation (the company
    is told, attendees get a CANCEL, the waiting list moves up), at any time. Returns the
    registrations that moved up. ``selfservice.AlreadyCancelled`` if it was cancelled."""
    now = now or utcnow()
    event, registration = _lock_for_change(session, registration)
    old = registration.status
    promoted = selfservice.release_registration(session, event, registration, now)
    record(
        session,
        "registration.cancelled",
        registration,
        actor,
        changes=[_status_change(old, registration.status)],
        promoted=[r.id for r in promoted],
    )
    session.flush()
    return promoted


def cancel_attendee(
    session: DBSession,
    registration: Registration,
    attendee_id: int,
    *,
    actor: User,
    now: datetime | None = None,
) -> list[Registration]:
    """Free one attendee's seat: they get a CANCEL, and the seat promotes the next waiting
    registration that fits. The last attendee cancels the whole registration. Returns the
    registrations that moved up."""
    now = now or utcnow()
    event, registration = _lock_for_change(session, registration)
    old = registration.status
    promoted = selfservice.release_attendee(session, event, registration, attendee_id, now)
    changes = [
        {"field": f"attendee:{attendee_id}", "old": AttendeeStatus.ACTIVE.value, "new": "cancelled"}
    ]
    if registration.status is not old:
        changes.append(_status_change(old, registration.status))
    record(
        session,
        "registration.attendee_cancelled",
        registration,
        actor,
        changes=changes,
        attendee_id=attendee_id,
        promoted=[r.id for r in promoted],
    )
    session.flush()
    return promoted


def resend_confirmation(session: DBSession, registration: Registration, *, actor: User) -> str:
    """Send the company its confirmation (or waiting-list mail) again with a new
    self-service link, and each confirmed attendee their invitation again.

    Only the token's hash is stored, so the old link cannot be sent again: a new token
    replaces it and the old link stops working. Returns the new token.
    """
    event = lock_event(session, registration.event_id)
    session.refresh(registration)
    if registration.status is RegistrationStatus.CANCELLED:
        raise DomainError(_("Eine stornierte Anmeldung erhält keine Bestätigung mehr."))
    if registration.anonymised_at is not None:
        raise NotFound(_("Diese Anmeldung gibt es nicht."))
    if event.status is EventStatus.CANCELLED:
        raise DomainError(_("Die Veranstaltung wurde abgesagt; es gibt nichts zu bestätigen."))
    token = new_token()
    registration.token_hash = hash_token(token)
    session.flush()
    notifications.confirmation_resent(session, registration, token)
    record(
        session,
        "registration.confirmation_resent",
        registration,
        actor,
        status=registration.status.value,
        link_renewed=True,
    )
    session.flush()
    return token
