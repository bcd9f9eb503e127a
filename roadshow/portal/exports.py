"""A partner's download of an event's attendees: the rows of the portal page, as CSV.

The file follows the organisers' export (``registrations.exports``): UTF-8 with a byte
order mark and ``;`` between fields for German Excel, and every text made formula-safe.
Its columns are the partner's: no newsletter consent, no referral by other partners, and
contact data only where the company agreed to share it (the cells stay empty otherwise).
"""

from __future__ import annotations

import csv
import io

from flask_babel import gettext as _

from roadshow.portal.services import PartnerAttendance
from roadshow.registrations.exports import formula_safe


def columns() -> list[str]:
    return [
        _("Unternehmen"),
        _("Teilnehmende Person"),
        _("E-Mail der teilnehmenden Person"),
        _("Ansprechperson"),
        _("E-Mail der Ansprechperson"),
        _("Telefon"),
        _("Weitergabe an Partner"),
    ]


def rows(attendance: PartnerAttendance) -> list[list[str]]:
    """One row per attendee, in the order of the page."""
    table = []
    for registration in attendance.registrations:
        emails = registration.attendee_emails or [""] * len(registration.attendees)
        for name, email in zip(registration.attendees, emails, strict=True):
            table.append(
                [
                    registration.company,
                    name,
                    email,
                    registration.contact_name or "",
                    registration.contact_email or "",
                    registration.contact_phone or "",
                    _("ja") if registration.shared else _("nein"),
                ]
            )
    return table


def to_csv(attendance: PartnerAttendance) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns())
    writer.writerows([formula_safe(value) for value in row] for row in rows(attendance))
    return buffer.getvalue().encode("utf-8-sig")
