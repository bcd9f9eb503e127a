"""A feed's VEVENT written as text directly, byte for byte as ``icalendar`` writes it.

A feed of 10,000 events spent nine tenths of its cold build inside ``icalendar``: a
component, a property object per line, a parameter dictionary, then folding character by
character (measured: 0.5 ms per event). The lines of a feed's VEVENT are few and fixed,
so they are written here with the same escaping (RFC 5545 §3.3.11, as ``icalendar``'s
``escape_char``), the same property order (``icalendar``'s canonical order, then the
names alphabetically) and the same folding (``icalendar``'s ``foldline``: at most 74
octets a line, never inside a UTF-8 sequence, and a backslash or caret that would end a
line moves to the next one). tests/test_calendar_contentlines.py checks that the bytes
equal ``icalendar``'s for any text; a time zone that ``icalendar`` writes in UTC form
(``Z``, no TZID) is left to ``icalendar`` (``writes_tzid``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Event as VEvent

from roadshow.calendar.values import CalendarEvent

LIMIT = 74  # octets of a line before the fold, as icalendar's foldline(limit=75) counts
FOLD = b"\r\n "
CARRIED = (0x5C, 0x5E)  # a backslash or a caret never ends a folded line


@lru_cache(maxsize=256)
def writes_tzid(tzid: str) -> bool:
    """Whether ``icalendar`` writes local times of ``tzid`` with TZID (not as UTC)."""
    component = VEvent()
    component.add("dtstart", datetime(2000, 1, 1, 12, tzinfo=ZoneInfo(tzid)))
    return b";TZID=" in component.to_ical()


def escape_text(text: str) -> str:
    """A TEXT value escaped as ``icalendar.parser.escape_char`` does, in its order."""
    return (
        text.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def fold(line: str) -> bytes:
    """``line`` as UTF-8, folded as ``icalendar``'s ``foldline``, without the final CRLF."""
    data = line.encode("utf-8")
    size = len(data)
    if size <= LIMIT:
        return data
    chunks = []
    start = 0
    while size - start > LIMIT:
        end = start + LIMIT
        while data[end] & 0xC0 == 0x80:  # not inside a character
            end -= 1
        if data[end - 1] in CARRIED and end - 1 > start:
            end -= 1
        chunks.append(data[start:end])
        start = end
    chunks.append(data[start:])
    return FOLD.join(chunks)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def local_stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def vevent_text(
    value: CalendarEvent,
    *,
    event_url: str,
    changed_at: datetime,
    summary: str,
    status: str,
    transparent: bool,
    join_url: str | None,
) -> bytes:
    """The VEVENT of a feed entry: what ``rendering`` builds with ``ics.event_component``
    and its LAST-MODIFIED replaced by ``changed_at``, written directly."""
    description = value.description.strip()
    if join_url:
        description = f"{description}\n\n{join_url}".strip()
    description = f"{description}\n\n{event_url}".strip()
    location = value.venue.one_line if value.venue is not None else join_url or "Online"
    zone = value.timezone
    stamp = utc_stamp(changed_at)
    lines = [
        "SUMMARY:" + escape_text(summary),
        f"DTSTART;TZID={zone}:{local_stamp(value.local_starts_at)}",
        f"DTEND;TZID={zone}:{local_stamp(value.local_ends_at)}",
        "DTSTAMP:" + stamp,
        "UID:" + escape_text(value.uid),
        f"SEQUENCE:{value.sequence}",
        "DESCRIPTION:" + escape_text(description),
    ]
    venue = value.venue
    if venue is not None and venue.latitude is not None and venue.longitude is not None:
        lines.append(f"GEO:{float(venue.latitude)};{float(venue.longitude)}")
    lines += [
        "LAST-MODIFIED:" + stamp,
        "LOCATION:" + escape_text(location),
        "STATUS:" + status,
        "TRANSP:" + ("TRANSPARENT" if transparent else "OPAQUE"),
        "URL:" + (join_url or event_url),
    ]
    return b"BEGIN:VEVENT\r\n" + b"\r\n".join(map(fold, lines)) + b"\r\nEND:VEVENT\r\n"
