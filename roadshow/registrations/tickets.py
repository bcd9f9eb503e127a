"""An attendee's ticket: the check-in code as a QR code, in mails and on the self-service page.

The code (``Attendee.check_in_code``) is not the registration's self-service secret: it
opens nothing but a check-in at the door, so it may be printed, forwarded with the ticket,
or shown on a phone. A mail carries the picture as a ``cid:`` part (no picture is loaded
from the web, which many mail clients block) with the code as text beside it, for
scanners that read text and for people who type it in. Only events with a place get a
ticket: webinars count who came from the platform's report.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass

import segno

from roadshow.events.models import Event
from roadshow.mail.services import InlineImage
from roadshow.registrations.models import Attendee
from roadshow.settings import settings

# A full QR code (a Micro QR code would fit, but cameras and BarcodeDetector miss it), with
# 4 modules of quiet zone as ISO/IEC 18004 asks; 6 px per module: 174 px wide.
BORDER = 4
SCALE = 6


@dataclass(frozen=True)
class Ticket:
    attendee_id: int
    name: str
    code: str
    cid: str
    pixels: int  # width and height of the picture

    @property
    def printed(self) -> str:
        """The code in groups of four, as people read it out: ``ABCD EFGH JKMN PQRS``."""
        return " ".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))


def has_tickets(event: Event) -> bool:
    return event.venue_id is not None


def ticket(attendee: Attendee) -> Ticket:
    return Ticket(
        attendee_id=attendee.id,
        name=attendee.name,
        code=attendee.check_in_code,
        cid=f"ticket-{attendee.id}@{settings().mail_domain}",
        pixels=int(qr_code(attendee.check_in_code).symbol_size(SCALE, BORDER)[0]),
    )


def tickets(event: Event, attendees: Iterable[Attendee]) -> list[Ticket]:
    """The tickets of ``attendees`` for a mail about ``event`` (none for an online event)."""
    return [ticket(attendee) for attendee in attendees] if has_tickets(event) else []


# A ticket's confirmation, its invitation and the thank-you page show the same code: its
# symbol is computed once per worker (the costly part: choosing the best mask).
@functools.lru_cache(maxsize=1024)
def qr_code(code: str) -> segno.QRCode:
    return segno.make_qr(code, error="m")


@functools.lru_cache(maxsize=1024)
def qr_png(code: str) -> bytes:
    buffer = io.BytesIO()
    qr_code(code).save(buffer, kind="png", scale=SCALE, border=BORDER)
    return buffer.getvalue()


def images(found: Iterable[Ticket]) -> list[InlineImage]:
    return [InlineImage(cid=t.cid, content_type="image/png", data=qr_png(t.code)) for t in found]


@functools.lru_cache(maxsize=1024)
def qr_svg_data_uri(code: str) -> str:
    """The QR code for a page (an ``<img src>``; the CSP allows ``data:`` images)."""
    return str(qr_code(code).svg_data_uri(scale=SCALE, border=BORDER))
