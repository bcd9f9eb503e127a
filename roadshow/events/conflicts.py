"""Conflicts an organiser should see before planning an event at a time and place.

Three kinds, each naming the other event: the same venue booked by another event at an
overlapping time, a partner speaking at two overlapping events, two stops of one tour at
overlapping times. Cancelled events book nothing; drafts do (they are being planned).
Conflicts warn and do not forbid: the organiser may save anyway (``ConflictsFound`` is
raised by the planning services unless told to override, and the override is audited).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import selectinload

from roadshow.database import DBSession
from roadshow.errors import DomainError
from roadshow.events.models import Event, EventKind, EventPartner, EventStatus, PartnerRole
from roadshow.i18n import format_instant
from roadshow.partners.models import Partner

ConflictKind = Literal["venue", "speaker", "tour"]


@dataclass(frozen=True)
class Conflict:
    """One warning: what collides, in words, and the other event."""

    kind: ConflictKind
    message: str
    event_id: int
    event_title: str
    event_starts_at: datetime
    event_timezone: str

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "event_id": self.event_id}


class ConflictsFound(DomainError):
    """The planned time or place collides with other events; nothing was saved."""

    def __init__(self, conflicts: Sequence[Conflict]) -> None:
        super().__init__(
            _("Es gibt Überschneidungen mit anderen Veranstaltungen."), field="override_conflicts"
        )
        self.conflicts = list(conflicts)


@dataclass(frozen=True)
class PlannedSlot:
    """An event as it is about to be saved: its time, place, tour and speakers."""

    starts_at: datetime
    ends_at: datetime
    kind: EventKind
    venue_id: int | None = None
    tour_id: int | None = None
    speaker_ids: Collection[int] = ()
    event_id: int | None = None  # the event itself, when it exists already


def find_conflicts(session: DBSession, slot: PlannedSlot) -> list[Conflict]:
    """Every conflict of ``slot`` with other non-cancelled events, soonest first (at most
    three queries, whatever the number of events)."""
    conflicts: list[Conflict] = []
    if slot.venue_id is not None:
        for other in _overlapping(session, slot, Event.venue_id == slot.venue_id):
            conflicts.append(
                _conflict(
                    "venue",
                    other,
                    _(
                        "Der Ort ist zur selben Zeit belegt: „%(title)s“ am %(when)s.",
                        title=other.title,
                        when=_when(other),
                    ),
                )
            )
    if slot.speaker_ids:
        speaking = Event.partner_roles.any(
            and_(
                EventPartner.role == PartnerRole.SPEAKER,
                EventPartner.partner_id.in_(list(slot.speaker_ids)),
            )
        )
        for other in _overlapping(session, slot, speaking, with_partners=True):
            names = sorted(
                role.partner.name
                for role in other.partner_roles
                if role.role is PartnerRole.SPEAKER and role.partner_id in slot.speaker_ids
            )
            conflicts.append(
                _conflict(
                    "speaker",
                    other,
                    _(
                        "%(partners)s hält zur selben Zeit einen Vortrag bei „%(title)s“ am "
                        "%(when)s.",
                        partners=", ".join(names),
                        title=other.title,
                        when=_when(other),
                    ),
                )
            )
    if slot.tour_id is not None and slot.kind is EventKind.STOP:
        same_tour = and_(Event.tour_id == slot.tour_id, Event.kind == EventKind.STOP)
        for other in _overlapping(session, slot, same_tour):
            conflicts.append(
                _conflict(
                    "tour",
                    other,
                    _(
                        "Ein anderer Stopp dieser Tour überschneidet sich: „%(title)s“ am "
                        "%(when)s.",
                        title=other.title,
                        when=_when(other),
                    ),
                )
            )
    return conflicts


def _overlapping(
    session: DBSession,
    slot: PlannedSlot,
    condition: ColumnElement[bool],
    *,
    with_partners: bool = False,
) -> Sequence[Event]:
    query = select(Event).where(
        condition,
        Event.status != EventStatus.CANCELLED,
        Event.starts_at < slot.ends_at,
        Event.ends_at > slot.starts_at,
    )
    if slot.event_id is not None:
        query = query.where(Event.id != slot.event_id)
    if with_partners:
        query = query.options(selectinload(Event.partner_roles).selectinload(EventPartner.partner))
    return session.scalars(query.order_by(Event.starts_at, Event.id)).all()


def _when(event: Event) -> str:
    return format_instant(event.starts_at, event.timezone)


def _conflict(kind: ConflictKind, other: Event, message: str) -> Conflict:
    return Conflict(
        kind=kind,
        message=message,
        event_id=other.id,
        event_title=other.title,
        event_starts_at=other.starts_at,
        event_timezone=other.timezone,
    )


def speaker_ids(roles: Collection[tuple[Partner, PartnerRole]]) -> set[int]:
    """The partners with the speaker role among ``(partner, role)`` pairs."""
    return {partner.id for partner, role in roles if role is PartnerRole.SPEAKER}
