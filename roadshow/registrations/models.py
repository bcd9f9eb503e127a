"""Company registrations and their attendees."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import Mapped, mapped_column, relationship

from roadshow.database import Base, TimestampMixin, enum_column
from roadshow.events.models import EventStatus
from roadshow.tokens import new_check_in_code

if TYPE_CHECKING:
    from roadshow.events.models import Event
    from roadshow.partners.models import Partner


class RegistrationStatus(enum.Enum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"

    @property
    def label(self) -> LazyString:
        """The status in a sentence, e.g. "Status: auf der Warteliste"."""
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    RegistrationStatus.CONFIRMED: _l("bestätigt"),
    RegistrationStatus.WAITLISTED: _l("auf der Warteliste"),
    RegistrationStatus.CANCELLED: _l("storniert"),
}


class AttendeeStatus(enum.Enum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class Registration(TimestampMixin, Base):
    """One company's registration for one event: a contact and one or more attendees.

    ``token_hash`` is the SHA-256 of the secret self-service token; the token itself is
    only ever in the link sent to the company. ``submission_key`` makes a double-submitted
    form create one registration.
    """

    __tablename__ = "registration"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "submission_key"),
        sa.Index("ix_registration_event_id_status_id", "event_id", "status", "id"),
        # The back office's "registrations since" counts only the recent ones.
        sa.Index("ix_registration_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    status: Mapped[RegistrationStatus] = mapped_column(enum_column(RegistrationStatus))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    submission_key: Mapped[str | None] = mapped_column(sa.String(64))
    company_name: Mapped[str] = mapped_column(sa.String(200))
    company_size: Mapped[str] = mapped_column(sa.String(20), default="")
    industry: Mapped[str] = mapped_column(sa.String(100), default="")
    postcode: Mapped[str] = mapped_column(sa.String(10), default="")
    town: Mapped[str] = mapped_column(sa.String(100), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(200))
    contact_email: Mapped[str] = mapped_column(sa.String(254))
    contact_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    language: Mapped[str] = mapped_column(sa.String(5), default="de")
    privacy_consent_at: Mapped[datetime]
    newsletter_consent: Mapped[bool] = mapped_column(default=False)
    share_with_partners: Mapped[bool] = mapped_column(default=False)
    referral_partner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="SET NULL"), index=True
    )
    waitlisted_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]

    event: Mapped[Event] = relationship()
    referral_partner: Mapped[Partner | None] = relationship()
    attendees: Mapped[list[Attendee]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="Attendee.id"
    )

    @property
    def active_attendees(self) -> list[Attendee]:
        return [a for a in self.attendees if a.status is AttendeeStatus.ACTIVE]

    @property
    def seats(self) -> int:
        return len(self.active_attendees)

    @property
    def join_url(self) -> str | None:
        """The event's join link as this registration's people may see it: only while the
        registration is confirmed with seats and the event is published. The one rule for
        the self-service page, every mail and invitation, and the registration's feed;
        public pages, public feeds and the API never show it."""
        event = self.event
        if (
            self.status is RegistrationStatus.CONFIRMED
            and self.seats > 0
            and event.status is EventStatus.PUBLISHED
        ):
            return event.join_url
        return None

    @property
    def is_confirmed(self) -> bool:
        return self.status is RegistrationStatus.CONFIRMED

    @property
    def is_waitlisted(self) -> bool:
        return self.status is RegistrationStatus.WAITLISTED

    @property
    def is_cancelled(self) -> bool:
        return self.status is RegistrationStatus.CANCELLED


class Attendee(TimestampMixin, Base):
    """A person who takes a seat. One email holds at most one active seat per event."""

    __tablename__ = "attendee"
    __table_args__ = (
        sa.Index(
            "uq_attendee_event_id_email_active",
            "event_id",
            "email_normalized",
            unique=True,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    # Copied from the registration so that the database enforces one seat per email.
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    email_normalized: Mapped[str] = mapped_column(sa.String(254))
    status: Mapped[AttendeeStatus] = mapped_column(
        enum_column(AttendeeStatus), default=AttendeeStatus.ACTIVE
    )
    cancelled_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]  # erased on request or after the retention period
    # The ticket: shown as a QR code in mails and on the self-service page, read at the door.
    check_in_code: Mapped[str] = mapped_column(
        sa.String(20), unique=True, default=new_check_in_code
    )

    registration: Mapped[Registration] = relationship(back_populates="attendees")
