"""The registrations of an event as a table to download: CSV for German Excel, and XLSX.

One row per attendee (cancelled ones included, with their status). Nothing a company typed
may turn into a formula when the file is opened: in CSV a value starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe (the usual defence, which
spreadsheet programs show as text); in XLSX every text cell is stored with the string type,
so no program reads it as a formula whatever it starts with.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from sqlalchemy import Select, select

from roadshow.database import DBSession
from roadshow.events.models import Event
from roadshow.registrations.models import Attendee, AttendeeStatus, RegistrationStatus
from roadshow.registrations.organiser import all_registrations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class ExportRow:
    company: str
    contact_name: str
    contact_email: str
    contact_phone: str
    attendee_name: str
    attendee_email: str
    status: str
    registered_at: datetime  # local time of the event's zone
    referral_partner: str
    checked_in: bool
    privacy_consent_at: datetime  # local
    newsletter_consent: bool
    share_with_partners: bool


def headers() -> list[str]:
    return [
        _("Unternehmen"),
        _("Ansprechperson"),
        _("E-Mail der Ansprechperson"),
        _("Telefon"),
        _("Teilnehmende Person"),
        _("E-Mail der teilnehmenden Person"),
        _("Status"),
        _("Angemeldet am"),
        _("Empfohlen durch Partner"),
        _("Eingecheckt"),
        _("Datenschutz-Einwilligung am"),
        _("Newsletter"),
        _("Weitergabe an Partner"),
    ]


def export_rows(session: DBSession, event: Event, *, checked_in: Select[int]) -> list[ExportRow]:
    """Every attendee of every registration of the event, in order of arrival.

    ``checked_in`` is the query of the event's checked-in attendee ids (from attendance).
    Four queries, whatever the number of registrations.
    """
    registrations = all_registrations(session, event)
    came = set(session.scalars(select(Attendee.id).where(Attendee.id.in_(checked_in))))
    zone = event.zone
    rows = []
    for registration in registrations:
        partner = registration.referral_partner
        for attendee in registration.attendees:
            status = registration.status
            if attendee.status is AttendeeStatus.CANCELLED:
                status = RegistrationStatus.CANCELLED
            rows.append(
                ExportRow(
                    company=registration.company_name,
                    contact_name=registration.contact_name,
                    contact_email=registration.contact_email,
                    contact_phone=registration.contact_phone,
                    attendee_name=attendee.name,
                    attendee_email=attendee.email,
                    status=str(status.label),
                    registered_at=registration.created_at.astimezone(zone),
                    referral_partner=partner.name if partner is not None else "",
                    checked_in=attendee.id in came,
                    privacy_consent_at=registration.privacy_consent_at.astimezone(zone),
                    newsletter_consent=registration.newsletter_consent,
                    share_with_partners=registration.share_with_partners,
                )
            )
    return rows


def _yes_no(value: bool) -> str:
    return _("ja") if value else _("nein")


def _values(row: ExportRow) -> list[str | datetime]:
    return [
        row.company,
        row.contact_name,
        row.contact_email,
        row.contact_phone,
        row.attendee_name,
        row.attendee_email,
        row.status,
        row.registered_at,
        row.referral_partner,
        _yes_no(row.checked_in),
        row.privacy_consent_at,
        _yes_no(row.newsletter_consent),
        _yes_no(row.share_with_partners),
    ]


def formula_safe(value: str) -> str:
    """Text that no spreadsheet reads as a formula (a leading apostrophe where needed)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def to_csv(rows: Sequence[ExportRow]) -> bytes:
    """UTF-8 with a byte order mark and ``;`` between fields, as German Excel expects."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers())
    for row in rows:
        writer.writerow(
            [
                v.strftime(DATE_FORMAT) if isinstance(v, datetime) else formula_safe(v)
                for v in _values(row)
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Sequence[ExportRow], *, title: str) -> bytes:
    """One worksheet; texts stored as strings (never formulas), times as local dates."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Anmeldungen")
    sheet.append(headers())
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(_values(row), start=1):
            if isinstance(value, datetime):
                cell = sheet.cell(row=number, column=column, value=value.replace(tzinfo=None))
                cell.number_format = "DD.MM.YYYY HH:MM"
            else:
                text = ILLEGAL_CHARACTERS_RE.sub("", value)  # XML cannot hold them
                cell = sheet.cell(row=number, column=column, value=text)
                cell.data_type = "s"  # openpyxl would store "=…" as a formula
    for column in range(1, len(headers()) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 22
    sheet.freeze_panes = "A2"
    workbook.properties.title = ILLEGAL_CHARACTERS_RE.sub("", title)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_filename(event: Event, extension: str) -> str:
    return f"anmeldungen-{event.slug}.{extension}"
