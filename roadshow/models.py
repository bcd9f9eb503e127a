"""Every model, imported in one place so that Alembic and the tests see the whole schema."""

from roadshow.accounts.models import ApiToken, AuditLog, Role, SiteSetting, User
from roadshow.attendance.models import AttendanceImport, CheckIn, CheckInMethod
from roadshow.calendar.models import Subscriber, SubscriberStatus
from roadshow.events.models import (
    Event,
    EventKind,
    EventPartner,
    EventStatus,
    PartnerRole,
    Series,
    Tour,
    Venue,
)
from roadshow.mail.models import OutboxMessage, OutboxStatus
from roadshow.pagecache import ContentVersion, track
from roadshow.partners.models import Partner
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)

__all__ = [
    "ContentVersion",
    "ApiToken",
    "SiteSetting",
    "Attendee",
    "AttendeeStatus",
    "AuditLog",
    "AttendanceImport",
    "CheckIn",
    "CheckInMethod",
    "Event",
    "EventKind",
    "EventPartner",
    "EventStatus",
    "OutboxMessage",
    "OutboxStatus",
    "Partner",
    "PartnerRole",
    "Registration",
    "RegistrationStatus",
    "Role",
    "Series",
    "Subscriber",
    "SubscriberStatus",
    "Tour",
    "User",
    "Venue",
]

# What the public pages are made of (``roadshow.pagecache`` keys them by its changes).
track(Event, EventPartner, Series, Tour, Venue, Partner, Registration, Attendee)
