"""Mail fixtures: a real SMTP server, a guard against stray SMTP, registrations, parsers.

``smtp_sink`` runs aiosmtpd on 127.0.0.1 (ephemeral port) in the test process and points
the app at it; it keeps every message it accepted, parsed with the ``email`` package, and
can be told to answer the next messages with a 4xx or 5xx reply. The autouse guard fails
any test that opens an SMTP connection anywhere else.

``calendar_parsers(ics)`` runs three iCalendar parsers that are not ours on one calendar:
libical (C, through Debian's ``gir1.2-ical-3.0`` in the system Python) with its iTIP
``restriction_check``, ``vobject`` with validation, and the strict ``ical`` package;
``agree`` asserts that they read the same, and ``CalendarApp`` applies messages in order
as a calendar does.
"""

from __future__ import annotations

import email
import hashlib
import json
import secrets
import shutil
import smtplib
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from roadshow.events.models import Event
from roadshow.extensions import db
from roadshow.mail.models import OutboxMessage
from roadshow.mail.services import enqueue
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)
from roadshow.registrations.services import recount_seats
from tests.fixtures_settings import configure

SYSTEM_PYTHON = "/usr/bin/python3"

# Addresses of the SMTP servers that tests started; the guard allows only these.
_allowed_smtp: set[tuple[str, int]] = set()


# --- the SMTP server ------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class SinkHandler:
    """Keeps what arrives; answers the next ``refusals`` messages with a given reply."""

    received: list[Received] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refusals:
                reply = self.refusals.pop(0)
                self.refused.append(reply)
                return reply
            raw = envelope.original_content or envelope.content
            message = email.message_from_bytes(raw, policy=default_policy)
            assert isinstance(message, EmailMessage)
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(raw), message)
            )
        return "250 OK: queued"


class _EphemeralController(Controller):
    """aiosmtpd's controller bound to port 0: learn the port before the readiness probe."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpSink:
    """A real SMTP server on 127.0.0.1 for one test; can be stopped and started again."""

    def __init__(self) -> None:
        self.handler = SinkHandler()
        self.host = "127.0.0.1"
        self.port = 0
        self._controller: Controller | None = None

    def start(self) -> None:
        controller = _EphemeralController(self.handler, hostname=self.host, port=self.port)
        controller.start()
        self.port = controller.port
        self._controller = controller
        _allowed_smtp.add((self.host, self.port))

    def stop(self) -> None:
        """Stop listening (the address stays allowed: connections are now refused)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def refuse_next(self, count: int, reply: str) -> None:
        """Answer the next ``count`` messages with ``reply``, e.g. ``"421 4.3.2 busy"``."""
        with self.handler.lock:
            self.handler.refusals.extend([reply] * count)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]


@pytest.fixture
def smtp_sink(app: Flask) -> Iterator[SmtpSink]:
    """A running SMTP server; the app delivers to it."""
    sink = SmtpSink()
    sink.start()
    configure(app, MAIL_SERVER=sink.host, MAIL_PORT=sink.port)
    try:
        yield sink
    finally:
        sink.stop()
        _allowed_smtp.discard((sink.host, sink.port))


@pytest.fixture(autouse=True)
def no_unexpected_smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that connects to any SMTP server but one that a test started."""
    stray: list[str] = []
    connect = smtplib.SMTP.connect

    def guarded(self: smtplib.SMTP, host: str = "localhost", port: int = 0, **kwargs: Any) -> Any:
        if (host, int(port)) not in _allowed_smtp:
            stray.append(f"{host}:{port}")
            pytest.fail(f"unexpected SMTP connection to {host}:{port}")
        return connect(self, host, port, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded)
    yield
    assert not stray, f"the test opened SMTP connections it did not set up: {stray}"


# --- registrations as rows, for tests of the mail layer -------------------------------


@pytest.fixture
def make_registration(app: Flask) -> Callable[..., Registration]:
    """``make_registration(event, attendees=[("Anna", "anna@…")], status=…, language=…)``.

    Writes the rows only, and queues no mail. Tests of the flow a company sees register
    through the real service (``register_company`` in tests/fixtures_registrations.py);
    this factory is kept for the tests of the mail layer and of operator commands, which
    need states the service does not give directly:

    - registrations whose only mail is the one under test: the service also queues the
      company's confirmation and every attendee's invitation, which would arrive alongside;
    - registrations for events at fixed dates (summer and winter 2027, whose local times
      and weekdays the tests read literally): the service refuses events that have begun,
      so such a test would start failing once the date has passed;
    - an attendee cancelled inside a registration that stays confirmed, next to waiting
      ones, set in one step.
    """

    def make(
        event: Event,
        *,
        attendees: list[tuple[str, str]] | None = None,
        status: RegistrationStatus = RegistrationStatus.CONFIRMED,
        language: str = "de",
        company_name: str = "Muster Maschinenbau GmbH",
    ) -> Registration:
        people = attendees or [("Anna Muster", f"anna.{secrets.token_hex(3)}@firma.example")]
        now = datetime.now(UTC)
        registration = Registration(
            event=event,
            status=status,
            token_hash=hashlib.sha256(secrets.token_urlsafe(32).encode()).hexdigest(),
            company_name=company_name,
            contact_name=people[0][0],
            contact_email=people[0][1],
            language=language,
            privacy_consent_at=now,
            confirmed_at=now if status is RegistrationStatus.CONFIRMED else None,
            waitlisted_at=now if status is RegistrationStatus.WAITLISTED else None,
        )
        for name, address in people:
            registration.attendees.append(
                Attendee(
                    event_id=event.id,
                    name=name,
                    email=address,
                    email_normalized=address.lower(),
                    status=AttendeeStatus.ACTIVE,
                )
            )
        db.session.add(registration)
        recount_seats(db.session, event)
        db.session.commit()
        return registration

    return make


# --- queued messages ------------------------------------------------------------------


def queue_plain(count: int, event: Event, prefix: str = "m") -> list[OutboxMessage]:
    """Queue ``count`` reminders to m0@firma.example, m1@… (no calendar part), and commit."""
    rows = [
        enqueue(
            db.session,
            template="events/reminder",
            language="de",
            recipient=f"{prefix}{n}@firma.example",
            recipient_name=f"Person {n}",
            idempotency_key=f"{prefix}-{n}",
            context={"event": event, "attendee": {"name": f"Person {n}"}, "event_url": "x"},
        )
        for n in range(count)
    ]
    db.session.commit()
    return rows


# --- reading what arrived -------------------------------------------------------------


def mime_tree(message: EmailMessage) -> list[str]:
    """The content types in document order, indented by depth."""
    lines: list[str] = []

    def walk(part: EmailMessage, depth: int) -> None:
        lines.append("  " * depth + part.get_content_type())
        if part.is_multipart():
            for child in part.iter_parts():
                walk(child, depth + 1)  # type: ignore[arg-type]

    walk(message, 0)
    return lines


def calendar_parts(message: EmailMessage) -> tuple[EmailMessage, EmailMessage]:
    """The inline ``text/calendar`` part and the ``invite.ics`` attachment."""
    inline = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    attached = [p for p in message.walk() if p.get_filename() == "invite.ics"]
    assert len(inline) == 1 and len(attached) == 1, mime_tree(message)
    return inline[0], attached[0]  # type: ignore[return-value]


# --- three independent iCalendar parsers ----------------------------------------------

LIBICAL_SCRIPT = r"""
import json, sys
import gi
gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as I

root = I.Component.new_from_string(sys.stdin.read())
if root is None:
    print(json.dumps({"parsed": False})); sys.exit()
itip_ok = bool(I.restriction_check(root))
errors = []
def collect(c):
    p = c.get_first_property(I.PropertyKind.XLICERROR_PROPERTY)
    while p is not None:
        errors.append(p.get_xlicerror())
        p = c.get_next_property(I.PropertyKind.XLICERROR_PROPERTY)
    sub = c.get_first_component(I.ComponentKind.ANY_COMPONENT)
    while sub is not None:
        collect(sub)
        sub = c.get_next_component(I.ComponentKind.ANY_COMPONENT)
collect(root)
zones = {}
tz = root.get_first_component(I.ComponentKind.VTIMEZONE_COMPONENT)
while tz is not None:
    zone = I.Timezone.new()
    zone.set_component(tz.clone())
    zones[zone.get_tzid()] = zone
    tz = root.get_next_component(I.ComponentKind.VTIMEZONE_COMPONENT)
utc = I.Timezone.get_utc_timezone()
def instant(prop_time, tzid):
    t = prop_time.clone()
    # Convert with the VTIMEZONE embedded in the message, not libical's own zone data.
    t.convert_timezone(zones[tzid], utc)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (
        t.get_year(), t.get_month(), t.get_day(), t.get_hour(), t.get_minute(), t.get_second())
events = []
ev = root.get_first_component(I.ComponentKind.VEVENT_COMPONENT)
while ev is not None:
    start = ev.get_first_property(I.PropertyKind.DTSTART_PROPERTY)
    end = ev.get_first_property(I.PropertyKind.DTEND_PROPERTY)
    tzid = start.get_first_parameter(I.ParameterKind.TZID_PARAMETER).get_tzid()
    status = ev.get_first_property(I.PropertyKind.STATUS_PROPERTY)
    events.append({
        "uid": ev.get_uid(),
        "sequence": ev.get_sequence(),
        "status": status.get_value_as_string() if status is not None else None,
        "start": instant(ev.get_dtstart(), tzid),
        "end": instant(ev.get_dtend(), tzid),
        "attendees": ev.count_properties(I.PropertyKind.ATTENDEE_PROPERTY),
    })
    ev = root.get_next_component(I.ComponentKind.VEVENT_COMPONENT)
method = root.get_first_property(I.PropertyKind.METHOD_PROPERTY)
print(json.dumps({"parsed": True, "itip_ok": itip_ok, "errors": errors,
                  "method": method.get_value_as_string() if method else None,
                  "events": events}))
"""


def libical_available() -> bool:
    if not shutil.which(SYSTEM_PYTHON):
        return False
    probe = subprocess.run(
        [
            SYSTEM_PYTHON,
            "-c",
            "import gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib",
        ],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def parse_with_libical(ics: bytes) -> dict[str, Any]:
    if not libical_available():
        pytest.skip("libical is not installed: apt-get install gir1.2-ical-3.0 python3-gi")
    result = subprocess.run(
        [SYSTEM_PYTHON, "-c", LIBICAL_SCRIPT],
        input=ics,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_with_vobject(ics: bytes) -> dict[str, Any]:
    import vobject

    calendar = vobject.readOne(ics.decode("utf-8"), validate=True)
    calendar.validate(raiseException=True)
    events = []
    for vevent in calendar.vevent_list:
        status = getattr(vevent, "status", None)
        events.append(
            {
                "uid": vevent.uid.value,
                "sequence": int(vevent.sequence.value),
                "status": status.value if status is not None else None,
                "start": _utc(vevent.dtstart.value),
                "end": _utc(vevent.dtend.value),
                "attendees": len(vevent.contents.get("attendee", [])),
            }
        )
    return {"method": calendar.method.value, "events": events}


def parse_with_ical(ics: bytes) -> dict[str, Any]:
    from ical.calendar_stream import IcsCalendarStream

    calendar = IcsCalendarStream.calendar_from_ics(ics.decode("utf-8"))
    events = [
        {
            "uid": event.uid,
            "sequence": event.sequence,
            "status": event.status.value if event.status is not None else None,
            "start": _utc(event.dtstart),  # type: ignore[arg-type]
            "end": _utc(event.dtend),  # type: ignore[arg-type]
            "attendees": len(event.attendees),
        }
        for event in calendar.events
    ]
    return {"method": calendar.method, "events": events}


def calendar_parsers(ics: bytes) -> dict[str, dict[str, Any]]:
    """What each of the three parsers read; libical's iTIP check must have passed."""
    libical = parse_with_libical(ics)
    assert libical["parsed"], "libical could not parse the calendar"
    assert libical["itip_ok"] and not libical["errors"], libical["errors"]
    return {
        "libical": libical,
        "vobject": parse_with_vobject(ics),
        "ical": parse_with_ical(ics),
    }


# --- what the parsers agree on; a calendar that applies the messages ------------------


def agree(parsed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The three parsers read the same method and event; that reading."""
    readings = {
        name: (result["method"], result["events"][0] | {"status": result["events"][0]["status"]})
        for name, result in parsed.items()
    }
    assert len({repr(r) for r in readings.values()}) == 1, readings
    method, event = readings["libical"]
    assert len(parsed["libical"]["events"]) == 1
    return {"method": method, **event}


class CalendarApp:
    """A calendar that applies iTIP messages as RFC 5546 says: by UID, newest SEQUENCE wins.

    Equal SEQUENCEs are ordered by DTSTAMP; a CANCEL as new as the entry still applies.
    A CANCEL with STATUS:CANCELLED marks the entry cancelled; one without it (an uninvited
    attendee) removes the entry.
    """

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}
        self.applied: list[tuple[str, int]] = []

    def apply(self, ics: bytes) -> None:
        import vobject

        calendar = vobject.readOne(ics.decode(), validate=True)
        method = calendar.method.value
        vevent = calendar.vevent
        uid = vevent.uid.value
        version = (int(vevent.sequence.value), vevent.dtstamp.value)
        known = self.entries.get(uid)
        if known is not None and (
            version < known["version"] or (version == known["version"] and method != "CANCEL")
        ):
            return  # an older message arriving late changes nothing
        self.applied.append((method, version[0]))
        status = getattr(vevent, "status", None)
        if method == "CANCEL" and status is None:
            self.entries.pop(uid, None)
            return
        self.entries[uid] = {
            "version": version,
            "start": vevent.dtstart.value.astimezone(UTC),
            "end": vevent.dtend.value.astimezone(UTC),
            "status": "CANCELLED" if method == "CANCEL" else status.value,
        }
