"""The audit log as people read it: who, what (a label per action code), when, old → new.

Entries are read a page at a time in one query that brings the actor's name, the event's
title and time zone and a partner's name along, so a page costs the same whatever the
size of the log. Action codes without a label here are shown as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import Select, and_, select
from sqlalchemy.orm import joinedload

from roadshow.accounts.models import AuditLog
from roadshow.database import DBSession
from roadshow.events.models import Event
from roadshow.i18n import format_instant
from roadshow.partners.models import Partner

PAGE_SIZE = 50

# Every action code the code base records (grep for ``record(`` and ``partner_saved``).
ACTION_LABELS: dict[str, LazyString] = {
    "event.changed": _l("Veranstaltung geändert"),
    "event.cancelled": _l("Veranstaltung abgesagt"),
    "event.published": _l("Veranstaltung veröffentlicht"),
    "partner.created": _l("Partner angelegt"),
    "partner.changed": _l("Partner geändert"),
    "user.api_token_issued": _l("API-Schlüssel ausgestellt"),
    "user.api_token_revoked": _l("API-Schlüssel widerrufen"),
    "user.created": _l("Konto angelegt"),
    "user.invited": _l("Konto angelegt und eingeladen"),
    "user.invitation_sent": _l("Einladung erneut geschickt"),
    "user.invitation_accepted": _l("Einladung angenommen"),
    "user.changed": _l("Rolle oder Partner geändert"),
    "user.deactivated": _l("Konto deaktiviert"),
    "user.reactivated": _l("Konto wieder aktiviert"),
    "user.password_changed": _l("Passwort geändert"),
    "user.password_reset": _l("Passwort über den Mail-Link neu gesetzt"),
    "user.totp_enabled": _l("Zweiter Faktor eingerichtet"),
    "user.totp_disabled": _l("Zweiter Faktor abgeschaltet"),
    "user.recovery_codes_renewed": _l("Neue Wiederherstellungscodes"),
    "settings.changed": _l("Einstellung geändert"),
    "privacy.erased": _l("Personenbezogene Daten auf Anfrage gelöscht"),
    "privacy.purged": _l("Personenbezogene Daten nach Ablauf der Speicherfrist gelöscht"),
    "attendance.report_imported": _l("Teilnahmebericht importiert"),
    "attendee.checked_in": _l("Eingecheckt"),
    "attendee.check_in_undone": _l("Check-in zurückgenommen"),
    "attendance.row_assigned": _l("Zeile eines Teilnahmeberichts von Hand zugeordnet"),
}
FIELD_LABELS: dict[str, LazyString] = {
    "time": _l("Zeit"),
    "venue": _l("Veranstaltungsort"),
    "join_url": _l("Zugangslink"),
    "title": _l("Titel"),
    "starts_at": _l("Beginn"),
    "ends_at": _l("Ende"),
    "capacity": _l("Plätze"),
    "name": _l("Name"),
    "slug": _l("Kurzbezeichnung"),
    "industry": _l("Branche"),
    "website": _l("Website"),
    "description": _l("Beschreibung"),
    "logo_filename": _l("Logo"),
    "role": _l("Rolle"),
    "partner": _l("Partnerfirma"),
    "require_totp_for_organisers": _l("Zweiter Faktor für Organisator·innen verlangt"),
}
DETAIL_LABELS: dict[str, LazyString] = {
    "sequence": _l("Kalenderfassung (SEQUENCE)"),
    "token": _l("Token-Nr."),
    "label": _l("Bezeichnung"),
    # How many records of each kind an erasure changed (privacy.erased, privacy.purged).
    "registrations": _l("Anmeldungen"),
    "attendees": _l("Teilnahmen"),
    "subscribers": _l("Kalender-Abos"),
    "messages": _l("E-Mails"),
    "audit_entries": _l("Protokolleinträge"),
    "accounts": _l("Benutzerkonten"),
}
OBJECT_LABELS: dict[str, LazyString] = {
    "event": _l("Veranstaltung"),
    "registration": _l("Anmeldung"),
    "partner": _l("Partnerfirma"),
    "user": _l("Konto"),
    "tour": _l("Tour"),
    "venue": _l("Veranstaltungsort"),
    "series": _l("Reihe"),
    "erasure": _l("Löschung"),
    "attendee": _l("Teilnehmer·in"),
}
# An instant as ``isoformat()`` writes it, with its offset.
ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)")


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


@dataclass(frozen=True)
class ChangeLine:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class AuditLine:
    """One entry as the pages show it."""

    entry: AuditLog
    what: str
    who: str
    who_url: str | None
    subject: str
    subject_url: str | None
    changes: list[ChangeLine]
    details: list[tuple[str, str]]


@dataclass(frozen=True)
class AuditPage:
    lines: list[AuditLine]
    page: int
    has_next: bool


def entries_query() -> Select[AuditLog, str, str, str]:
    """Entries, latest first, with what a line shows, in one query."""
    return (
        select(AuditLog, Event.title, Event.timezone, Partner.name)
        .outerjoin(Event, Event.id == AuditLog.event_id)
        .outerjoin(
            Partner, and_(AuditLog.object_type == "partner", Partner.id == AuditLog.object_id)
        )
        .options(joinedload(AuditLog.actor))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
    )


def audit_page(session: DBSession, query: Select[AuditLog, str, str, str], page: int) -> AuditPage:
    """One page of ``query`` (an ``entries_query()``, perhaps narrowed), read in one query."""
    page = max(page, 1)
    rows = session.execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    lines = [_line(entry, title, zone, partner) for entry, title, zone, partner in rows[:PAGE_SIZE]]
    return AuditPage(lines, page, has_next=len(rows) > PAGE_SIZE)


def action_choices(current: str = "") -> list[tuple[str, str]]:
    """The actions to filter by, with their labels: every labelled one, and the current
    choice even without a label. (No ``DISTINCT`` over a log that only grows.)"""
    codes = set(ACTION_LABELS) | ({current} if current else set())
    return sorted(((code, action_label(code)) for code in codes), key=lambda pair: pair[1])


def _line(
    entry: AuditLog, event_title: str | None, timezone: str | None, partner_name: str | None
) -> AuditLine:
    details = entry.details if isinstance(entry.details, dict) else {}
    changes = details.get("changes")
    return AuditLine(
        entry=entry,
        what=action_label(entry.action),
        who=entry.actor.name if entry.actor else _("System"),
        who_url=url_for("backoffice.user_audit", user_id=entry.actor_id)
        if entry.actor_id
        else None,
        subject=_subject(entry, event_title, partner_name),
        subject_url=_subject_url(entry),
        changes=[
            _change(change, timezone)
            for change in (changes if isinstance(changes, list) else [])
            if isinstance(change, dict)
        ],
        details=[
            (str(DETAIL_LABELS.get(key, key)), readable(value, timezone))
            for key, value in details.items()
            if key != "changes"
        ],
    )


def _subject(entry: AuditLog, event_title: str | None, partner_name: str | None) -> str:
    if entry.object_type == "event" and event_title is not None:
        return _("Veranstaltung „%(title)s“", title=event_title)
    if entry.object_type == "partner" and partner_name is not None:
        return _("Partner „%(name)s“", name=partner_name)
    kind = str(OBJECT_LABELS.get(entry.object_type, entry.object_type))
    if event_title is not None:  # something that belongs to an event, e.g. a registration
        return _("%(kind)s %(id)s zu „%(event)s“", kind=kind, id=entry.object_id, event=event_title)
    return f"{kind} {entry.object_id}" if entry.object_id is not None else kind


def _subject_url(entry: AuditLog) -> str | None:
    if entry.object_type == "partner" and entry.object_id:
        return url_for("backoffice.edit_partner", partner_id=entry.object_id)
    if entry.object_type == "user" and entry.object_id:
        return url_for("backoffice.user_audit", user_id=entry.object_id)
    if entry.object_type == "event" and entry.event_id:
        return url_for("backoffice.edit_event", event_id=entry.event_id)
    if entry.object_type == "registration" and entry.event_id:
        return url_for("backoffice.registrations", event_id=entry.event_id)
    if entry.event_id:
        return url_for("backoffice.event_audit", event_id=entry.event_id)
    return None


def _change(change: dict[str, Any], timezone: str | None) -> ChangeLine:
    name = str(change.get("field", ""))
    return ChangeLine(
        field=str(FIELD_LABELS.get(name, name)),
        old=readable(change.get("old"), timezone),
        new=readable(change.get("new"), timezone),
    )


def readable(value: Any, timezone: str | None = None) -> str:
    """A stored value as text: instants (ISO text) in local time, a time span as
    "start – end", nothing as "—"."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("ja") if value else _("nein")
    if isinstance(value, Sequence) and not isinstance(value, str):
        return " – ".join(readable(part, timezone) for part in value)
    if isinstance(value, str) and ISO_INSTANT.fullmatch(value):
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
        return format_instant(instant, timezone, "compact")
    return str(value)
