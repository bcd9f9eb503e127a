"""Erasing personal data: one person on request, and everyone after the retention period.

Erasing replaces in place instead of deleting rows, so that every count stays exactly
as it was: a registration keeps its event, status, seats, company size, industry and
referring partner; an attendee keeps their status and check-in; a message keeps its
template, status and times. What names or reaches a person is replaced by neutral
placeholders (an address unique per row, so that unique indexes still hold) and the row
gets ``anonymised_at``. Postcode and town go too: with size and industry they would point
at one small company, and no statistic counts by them.

Everything happens in the caller's transaction (services only flush), so a failure
leaves nothing half done. What lies outside the transaction comes after the commit, in
``traces.remove_traces``: the ``.eml`` files of erased messages, and the database's own copies
of old row versions (SQLite's write-ahead log, PostgreSQL's dead tuples).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from roadshow.accounts.models import ApiToken, AuditLog, User
from roadshow.accounts.services import keep_an_admin, record
from roadshow.accounts.twofactor import clear as clear_second_factor
from roadshow.calendar.models import Subscriber, SubscriberStatus
from roadshow.database import DBSession, utcnow
from roadshow.events.models import Event
from roadshow.mail.models import OutboxMessage, OutboxStatus
from roadshow.privacy.records import PersonRecords, details_mention, find_person
from roadshow.registrations.models import Attendee, Registration
from roadshow.tokens import hash_token, new_token

ERASED = "[gelöscht]"  # stands where erased text stood
ERASED_NAME = "—"
ERASED_ERROR = "personal data erased"  # why an erased message is never sent
UNSENT = (OutboxStatus.QUEUED, OutboxStatus.RETRY, OutboxStatus.SENDING)
KINDS = ("registrations", "attendees", "subscribers", "messages", "audit_entries", "accounts")


def placeholder_email(row_id: int) -> str:
    """The address an erased row keeps: unique per row, and never deliverable (RFC 2606)."""
    return f"erased-{row_id}@erased.invalid"


@dataclass
class Erasure:
    """What one erasure or purge changed, and what ``remove_traces`` still has to do."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    erased_messages: set[int] = field(default_factory=set)  # their .eml files are deleted
    edited_messages: set[int] = field(default_factory=set)  # their .eml files are rewritten
    tables: set[str] = field(default_factory=set)
    id: None = None  # an erasure is no row: its audit entry names no object

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, kind: str, table: str, count: int = 1) -> None:
        self.counts[kind] += count
        if count:
            self.tables.add(table)


class Needles:
    """The texts that identify a person (addresses, names), found in any case."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.texts = sorted({t.strip() for t in texts if len(t.strip()) >= 2}, key=len)[::-1]
        self._plain = self._pattern(self.texts)
        self._html = self._pattern([str(escape(t)) for t in self.texts])

    @staticmethod
    def _pattern(texts: list[str]) -> re.Pattern[str] | None:
        if not texts:
            return None
        return re.compile("|".join(re.escape(t) for t in texts), re.IGNORECASE)

    def found_in(self, text: str) -> bool:
        return self._plain is not None and self._plain.search(text) is not None

    def replace(self, text: str, *, html: bool = False) -> str:
        pattern = self._html if html else self._plain
        return pattern.sub(ERASED, text) if pattern is not None else text

    def scrub_details(self, value: Any) -> Any:
        """``value`` (an audit entry's details) with every string that names the person
        replaced by ``[gelöscht]``, keys and everything else kept."""
        if isinstance(value, str):
            return ERASED if self.found_in(value) else value
        if isinstance(value, dict):
            return {key: self.scrub_details(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub_details(item) for item in value]
        return value


# --- one person, on request -------------------------------------------------------------


def erase_person(
    session: DBSession, email: str, *, actor: User | None, now: datetime | None = None
) -> Erasure:
    """Erase everything ``find_person`` finds for ``email``, and record that it happened
    (counts per kind, not the address). Refused while the address belongs to the last
    active admin, before anything changed."""
    now = now or utcnow()
    found = find_person(session, email)
    if found.user is not None:
        refuse_last_admin(session, found.user)
    as_contact = found.as_contact
    needles = Needles({found.email, *found.names(), *(r.company_name for r in as_contact)})
    erasure = Erasure()
    for registration in as_contact:
        scrub_registration(registration, now)
    erasure.add("registrations", "registration", len(as_contact))
    for attendee in found.attendees:
        scrub_attendee(attendee, now)
    erasure.add("attendees", "attendee", len(found.attendees))
    for subscriber in found.subscribers:
        scrub_subscriber(subscriber, now)
    erasure.add("subscribers", "subscriber", len(found.subscribers))
    erase_messages(found.messages, now, erasure)
    scrub_mentions(session, needles, [r.id for r in found.registrations], erasure)
    scrub_audit(session, needles, found, erasure)
    if found.user is not None:
        scrub_user(session, found.user)
        erasure.add("accounts", "user")
        erasure.tables.add("api_token")
    session.flush()
    record(session, "privacy.erased", erasure, actor, **erasure.counts)
    session.flush()
    return erasure


def refuse_last_admin(session: DBSession, user: User) -> None:
    """``DomainError`` if ``user`` is the only active admin: no one could administer then."""
    keep_an_admin(
        session,
        user,
        field="email",
        message=_(
            "Diese Adresse gehört zum letzten aktiven Administratorkonto. Ernennen Sie "
            "zuerst eine andere Person zur Administration, dann lässt es sich löschen."
        ),
    )


def scrub_registration(registration: Registration, now: datetime) -> None:
    """The company and its contact go; event, status, size, industry, partner stay. The
    self-service link ends with ``anonymised_at`` (and its hash is replaced too)."""
    registration.company_name = ERASED_NAME
    registration.contact_name = ERASED_NAME
    registration.contact_email = placeholder_email(registration.id)
    registration.contact_phone = ""
    registration.postcode = ""
    registration.town = ""
    registration.submission_key = None
    registration.token_hash = hash_token(new_token())
    registration.anonymised_at = now


def scrub_attendee(attendee: Attendee, now: datetime) -> None:
    attendee.name = ERASED_NAME
    attendee.email = attendee.email_normalized = placeholder_email(attendee.id)
    attendee.anonymised_at = now


def scrub_subscriber(subscriber: Subscriber, now: datetime) -> None:
    """The address, the IP addresses of the consent and the feed's secrets go; the
    consent's version and times stay. An active feed ends."""
    subscriber.email = subscriber.email_normalized = placeholder_email(subscriber.id)
    subscriber.subscribed_ip = subscriber.confirmed_ip = None
    subscriber.feed_token_hash = subscriber.confirm_token_hash = None
    subscriber.notify_by_email = False
    if subscriber.status is SubscriberStatus.ACTIVE:
        subscriber.status = SubscriberStatus.CANCELLED
        subscriber.cancelled_at = now
    subscriber.anonymised_at = now


def erase_messages(messages: Iterable[OutboxMessage], now: datetime, erasure: Erasure) -> None:
    """Messages to the person: recipient, subject, bodies, calendar, pictures and headers go; one
    not sent yet never will be (it is marked failed, which says nothing about anyone)."""
    for message in messages:
        message.recipient = placeholder_email(message.id)
        message.recipient_name = ""
        message.subject = ERASED
        message.text_body = message.html_body = ""
        message.ics = None
        message.images = []
        message.headers = {}
        if message.status in UNSENT:
            message.status = OutboxStatus.FAILED
            message.locked_at = None
        message.last_error = ERASED_ERROR if message.status is OutboxStatus.FAILED else None
        message.anonymised_at = now
        erasure.erased_messages.add(message.id)
        erasure.add("messages", "outbox_message")


def scrub_mentions(
    session: DBSession, needles: Needles, registration_ids: Collection[int], erasure: Erasure
) -> None:
    """Messages to others about the same registrations (the company's confirmation lists
    its attendees): the person's address and names in them become ``[gelöscht]``."""
    if not registration_ids:
        return
    for message in session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.registration_id.in_(registration_ids),
            OutboxMessage.anonymised_at.is_(None),
        )
    ):
        texts = (message.subject, message.text_body, message.html_body, message.ics or "")
        if not any(needles.found_in(text) for text in texts):
            continue
        message.subject = needles.replace(message.subject)
        message.text_body = needles.replace(message.text_body)
        message.html_body = needles.replace(needles.replace(message.html_body, html=True))
        message.ics = needles.replace(message.ics) if message.ics is not None else None
        erasure.edited_messages.add(message.id)
        erasure.tables.add("outbox_message")


def scrub_audit(
    session: DBSession, needles: Needles, found: PersonRecords, erasure: Erasure
) -> None:
    """Audit entries about the person's rows or naming them keep what happened, without
    the strings that name them."""
    candidates = {entry.id: entry for entry in found.audit_entries}
    if needles.texts:
        for entry in session.scalars(
            select(AuditLog).where(or_(*(details_mention(t) for t in needles.texts)))
        ):
            candidates.setdefault(entry.id, entry)
    for entry in candidates.values():
        if scrub_entry(entry, needles):
            erasure.add("audit_entries", "audit_log")


def scrub_entry(entry: AuditLog, needles: Needles) -> bool:
    scrubbed = needles.scrub_details(entry.details)
    if scrubbed == entry.details:
        return False
    entry.details = scrubbed
    return True


def scrub_user(session: DBSession, user: User) -> None:
    """The account keeps its id (the audit log's actor) and nothing that names or opens it:
    deactivated, sessions and API tokens ended, password and second factor gone."""
    user.name = ERASED_NAME
    user.email = placeholder_email(user.id)
    user.active = False
    user.set_password(new_token())  # a password no one knows
    user.session_version += 1
    clear_second_factor(user)
    now = utcnow()
    for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
        token.label = ""
        token.revoked_at = token.revoked_at or now


# --- everyone, after the retention period ----------------------------------------------


def purge(session: DBSession, *, retention_days: int, now: datetime | None = None) -> Erasure:
    """Erase the people of events that ended more than ``retention_days`` ago, and of
    subscriptions that ended or were never confirmed in time. Rows erased before are
    skipped, so a second run finds nothing. A dry run is this, rolled back."""
    now = now or utcnow()
    erasure = Erasure()
    old_events = select(Event.id).where(Event.ends_at < now - timedelta(days=retention_days))
    registrations = list(
        session.scalars(
            select(Registration)
            .where(Registration.event_id.in_(old_events), Registration.anonymised_at.is_(None))
            .options(selectinload(Registration.attendees))
        )
    )
    attendees = list(
        session.scalars(
            select(Attendee).where(
                Attendee.event_id.in_(old_events), Attendee.anonymised_at.is_(None)
            )
        )
    )
    messages = list(
        session.scalars(
            select(OutboxMessage).where(
                or_(
                    OutboxMessage.event_id.in_(old_events),
                    OutboxMessage.registration_id.in_(
                        select(Registration.id).where(Registration.event_id.in_(old_events))
                    ),
                ),
                OutboxMessage.anonymised_at.is_(None),
            )
        )
    )
    needles = Needles(
        [
            *(text for r in registrations for text in (r.contact_name, r.contact_email)),
            *(r.company_name for r in registrations),
            *(text for a in attendees for text in (a.name, a.email)),
        ]
    )
    touched_events = {r.event_id for r in registrations} | {a.event_id for a in attendees}
    for registration in registrations:
        scrub_registration(registration, now)
    erasure.add("registrations", "registration", len(registrations))
    for attendee in attendees:
        scrub_attendee(attendee, now)
    erasure.add("attendees", "attendee", len(attendees))
    erase_messages(messages, now, erasure)
    if touched_events and needles.texts:
        for entry in session.scalars(select(AuditLog).where(AuditLog.event_id.in_(touched_events))):
            if scrub_entry(entry, needles):
                erasure.add("audit_entries", "audit_log")
    purge_subscribers(session, now, erasure)
    session.flush()
    if erasure.total:
        record(session, "privacy.purged", erasure, None, **erasure.counts)
        session.flush()
    return erasure


def purge_subscribers(session: DBSession, now: datetime, erasure: Erasure) -> None:
    """Cancelled subscriptions, and pending ones whose confirmation link expired, with the
    subscription mail sent to them."""
    subscribers = list(
        session.scalars(
            select(Subscriber).where(
                Subscriber.anonymised_at.is_(None),
                or_(
                    Subscriber.status == SubscriberStatus.CANCELLED,
                    sa.and_(
                        Subscriber.status == SubscriberStatus.PENDING,
                        Subscriber.confirm_expires_at < now,
                    ),
                ),
            )
        )
    )
    if not subscribers:
        return
    addresses = {s.email_normalized for s in subscribers}
    messages = session.scalars(
        select(OutboxMessage).where(
            func.lower(OutboxMessage.recipient).in_(addresses),
            OutboxMessage.template.startswith("calendar/"),
            OutboxMessage.anonymised_at.is_(None),
        )
    )
    needles = Needles(addresses)
    entries = session.scalars(
        select(AuditLog).where(
            AuditLog.object_type == "subscriber",
            AuditLog.object_id.in_([s.id for s in subscribers]),
        )
    )
    for subscriber in subscribers:
        scrub_subscriber(subscriber, now)
    erasure.add("subscribers", "subscriber", len(subscribers))
    erase_messages(list(messages), now, erasure)
    for entry in list(entries):
        if scrub_entry(entry, needles):
            erasure.add("audit_entries", "audit_log")
