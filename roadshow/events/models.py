"""Tours, venues, series and events (stops, webinars, workshops)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import Mapped, mapped_column, relationship

from roadshow.database import Base, TimestampMixin, enum_column

if TYPE_CHECKING:
    from roadshow.partners.models import Partner


class EventKind(enum.Enum):
    STOP = "stop"
    WEBINAR = "webinar"
    WORKSHOP = "workshop"

    @property
    def label(self) -> LazyString:
        """The kind's name in the current language, e.g. "Tourstopp"."""
        return _KIND_LABELS[self][0]

    @property
    def plural_label(self) -> LazyString:
        """The plural, e.g. "Tourstopps" (feed filters, subscription names)."""
        return _KIND_LABELS[self][1]


class EventStatus(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class PartnerRole(enum.Enum):
    HOST = "host"
    SPEAKER = "speaker"
    EXHIBITOR = "exhibitor"
    SPONSOR = "sponsor"

    @property
    def label(self) -> LazyString:
        return _ROLE_LABELS[self]


_KIND_LABELS = {
    EventKind.STOP: (_l("Tourstopp"), _l("Tourstopps")),
    EventKind.WEBINAR: (_l("Webinar"), _l("Webinare")),
    EventKind.WORKSHOP: (_l("Workshop"), _l("Workshops")),
}
_ROLE_LABELS = {
    PartnerRole.HOST: _l("Gastgeber"),
    PartnerRole.SPEAKER: _l("Vortrag"),
    PartnerRole.EXHIBITOR: _l("Aussteller"),
    PartnerRole.SPONSOR: _l("Sponsor"),
}


def new_calendar_uid() -> str:
    return f"{uuid.uuid4()}@roadshow"


def postal_address(street: str, postcode: str, town: str) -> str:
    """The address of a venue, e.g. ``Lindwurmstraße 5, 80337 München``."""
    return f"{street}, {postcode} {town}"


def venue_line(name: str, street: str, postcode: str, town: str) -> str:
    """A venue on one line, e.g. ``IHK-Akademie, Lindwurmstraße 5, 80337 München``."""
    return f"{name}, {postal_address(street, postcode, town)}"


class Tour(TimestampMixin, Base):
    __tablename__ = "tour"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")

    events: Mapped[list[Event]] = relationship(back_populates="tour", order_by="Event.starts_at")


class Venue(TimestampMixin, Base):
    __tablename__ = "venue"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    street: Mapped[str] = mapped_column(sa.String(200))
    postcode: Mapped[str] = mapped_column(sa.String(10))
    town: Mapped[str] = mapped_column(sa.String(100), index=True)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]

    @property
    def address(self) -> str:
        return postal_address(self.street, self.postcode, self.town)

    @property
    def one_line(self) -> str:
        """Name and address on one line, as mail, calendars and change records write it."""
        return venue_line(self.name, self.street, self.postcode, self.town)


class Series(TimestampMixin, Base):
    """Events that repeat, e.g. a weekly webinar; each date is its own ``Event``."""

    __tablename__ = "series"
    __table_args__ = (sa.CheckConstraint("duration_minutes > 0", name="positive_duration"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The stem of its events' slugs (``<slug>-2027-05-06``); unique among series.
    slug: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    tour_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tour.id", ondelete="SET NULL"))
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venue.id", ondelete="RESTRICT"))
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    rrule: Mapped[str] = mapped_column(sa.String(500))  # RFC 5545 RRULE, e.g. FREQ=WEEKLY;...
    first_starts_at: Mapped[datetime]
    duration_minutes: Mapped[int]
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Berlin")
    capacity: Mapped[int] = mapped_column(default=100)
    # Dates left out: a German state's public holidays (e.g. "DE-BY", "" for none) and
    # listed local dates (ISO strings, e.g. a summer break).
    exclude_holidays: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")
    exclude_dates: Mapped[list[str]] = mapped_column(sa.JSON, default=list, server_default="[]")

    venue: Mapped[Venue | None] = relationship()

    events: Mapped[list[Event]] = relationship(back_populates="series", order_by="Event.starts_at")


class Event(TimestampMixin, Base):
    """One stop, webinar or workshop at one time.

    ``uid`` is the calendar UID for the event's whole life; ``sequence`` rises with every
    change an attendee must hear about (time, place, join link, status).
    """

    __tablename__ = "event"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
        sa.CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        sa.CheckConstraint("max_attendees_per_registration >= 1", name="max_attendees_positive"),
        sa.Index("ix_event_status_starts_at", "status", "starts_at"),
        # What has not ended yet (the listing, its filters, the dashboard) is a range of it.
        sa.Index("ix_event_ends_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(255), unique=True, default=new_calendar_uid)
    sequence: Mapped[int] = mapped_column(default=0)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    status: Mapped[EventStatus] = mapped_column(enum_column(EventStatus), default=EventStatus.DRAFT)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    tour_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tour.id", ondelete="SET NULL"), index=True
    )
    venue_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("venue.id", ondelete="RESTRICT"), index=True
    )
    series_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("series.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Berlin")
    capacity: Mapped[int]
    # Seats held by confirmed attendees: recounted from the attendee rows, under the event's
    # lock, by every change of seats (registrations.services), so pages need no count.
    seats_taken: Mapped[int] = mapped_column(default=0, server_default="0")
    max_attendees_per_registration: Mapped[int] = mapped_column(default=5)
    registration_opens_at: Mapped[datetime | None]
    registration_closes_at: Mapped[datetime | None]
    join_url: Mapped[str | None] = mapped_column(sa.String(500))  # webinars; attendees only
    # Attendance: minutes in a webinar that count as "attended" (None: half the duration),
    # and whether the staff of the event's partners may check people in at the door.
    min_attended_minutes: Mapped[int | None]
    partners_may_check_in: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # Raised by every change to the event's content; feeds use it for DTSTAMP/LAST-MODIFIED.
    content_changed_at: Mapped[datetime | None]

    tour: Mapped[Tour | None] = relationship(back_populates="events")
    venue: Mapped[Venue | None] = relationship()
    series: Mapped[Series | None] = relationship(back_populates="events")
    partner_roles: Mapped[list[EventPartner]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_starts_at(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_ends_at(self) -> datetime:
        return self.ends_at.astimezone(self.zone)

    @property
    def town(self) -> str | None:
        return self.venue.town if self.venue else None

    @property
    def seats_left(self) -> int:
        """Free seats; none when full, and none at all once the event is cancelled."""
        if self.is_cancelled:
            return 0
        return max(0, self.capacity - self.seats_taken)

    @property
    def attended_minutes_threshold(self) -> int:
        """Minutes in the session that count as attended: the event's own, or half of it."""
        if self.min_attended_minutes is not None:
            return self.min_attended_minutes
        return max(1, int((self.ends_at - self.starts_at).total_seconds() // 120))

    @property
    def is_online(self) -> bool:
        return self.kind is EventKind.WEBINAR and self.venue_id is None

    @property
    def is_cancelled(self) -> bool:
        return self.status is EventStatus.CANCELLED

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.kind.value} {self.title!r} {self.starts_at:%Y-%m-%d}>"


class EventPartner(Base):
    """A partner's role at an event (host, speaker, exhibitor, sponsor)."""

    __tablename__ = "event_partner"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[PartnerRole] = mapped_column(enum_column(PartnerRole), primary_key=True)

    event: Mapped[Event] = relationship(back_populates="partner_roles")
    partner: Mapped[Partner] = relationship()
