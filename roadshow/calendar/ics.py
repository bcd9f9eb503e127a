"""iCalendar objects for invitations (iMIP) and feeds, built with ``icalendar``.

Times are written with TZID and an embedded VTIMEZONE in the classic RRULE form. The
VTIMEZONE that ``icalendar``'s ``add_missing_timezones()`` writes lists transitions as
comma-separated RDATEs, which Thunderbird's parser (ical.js) reads wrongly, putting every
summer-time event an hour off; so we derive the yearly rules from ``zoneinfo`` ourselves.

A VEVENT is rendered from a ``CalendarEvent`` alone (see ``values``), never from the ORM
``Event``: what it shows is what feed caches are keyed by.
"""

from __future__ import annotations

import calendar as stdlib_calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import (
    Calendar,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
)
from icalendar import Event as VEvent

from roadshow.calendar.values import CalendarEvent
from roadshow.events.models import Event

PRODID = "-//Roadshow//Roadshow 0.1//DE"
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Transition:
    """A change of UTC offset, as local wall time in the offset before it."""

    local: datetime  # naive
    offset_from: timedelta
    offset_to: timedelta
    name: str
    is_dst: bool


@lru_cache(maxsize=64)
def _transitions(tzid: str, year: int) -> tuple[Transition, ...]:
    zone = ZoneInfo(tzid)
    found = []
    instant = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    before = instant.astimezone(zone)
    while instant < end:
        instant += timedelta(hours=1)
        after = instant.astimezone(zone)
        if after.utcoffset() != before.utcoffset():
            offset_from = before.utcoffset() or timedelta(0)
            offset_to = after.utcoffset() or timedelta(0)
            found.append(
                Transition(
                    local=(instant.replace(tzinfo=None) + offset_from),
                    offset_from=offset_from,
                    offset_to=offset_to,
                    name=after.tzname() or tzid,
                    is_dst=bool(after.dst()),
                )
            )
        before = after
    return tuple(found)


def _byday(day: datetime) -> str:
    """``-1SU`` for the last Sunday of a month, ``2SU`` for the second, and so on."""
    days_in_month = stdlib_calendar.monthrange(day.year, day.month)[1]
    weekday = WEEKDAYS[day.weekday()]
    if day.day + 7 > days_in_month:
        return f"-1{weekday}"
    return f"{(day.day - 1) // 7 + 1}{weekday}"


def _rule_day(year: int, like: datetime, byday: str) -> datetime:
    """The day of ``year`` that the rule ``byday`` (in the month of ``like``) picks."""
    ordinal, weekday = int(byday[:-2]), WEEKDAYS.index(byday[-2:])
    days = [
        day
        for day in range(1, stdlib_calendar.monthrange(year, like.month)[1] + 1)
        if stdlib_calendar.weekday(year, like.month, day) == weekday
    ]
    day = days[ordinal] if ordinal < 0 else days[ordinal - 1]
    return like.replace(year=year, day=day)


@lru_cache(maxsize=64)
def vtimezone_ical(tzid: str, year: int) -> bytes:
    """The VTIMEZONE of ``tzid`` as yearly rules, valid from ``year`` on."""
    timezone = Timezone()
    timezone.add("tzid", tzid)
    transitions = _transitions(tzid, year)
    if not transitions:
        zone = ZoneInfo(tzid)
        moment = datetime(year, 1, 1, tzinfo=UTC).astimezone(zone)
        standard = TimezoneStandard()
        standard.add("dtstart", datetime(1970, 1, 1))
        standard.add("tzoffsetfrom", moment.utcoffset())
        standard.add("tzoffsetto", moment.utcoffset())
        standard.add("tzname", moment.tzname())
        timezone.add_component(standard)
        return timezone.to_ical()
    for transition in transitions:
        component = TimezoneDaylight() if transition.is_dst else TimezoneStandard()
        byday = _byday(transition.local)
        # The classic form starts the rule in 1970, so that it covers every event's date.
        component.add("dtstart", _rule_day(1970, transition.local, byday))
        component.add(
            "rrule", {"freq": "yearly", "bymonth": transition.local.month, "byday": byday}
        )
        component.add("tzoffsetfrom", transition.offset_from)
        component.add("tzoffsetto", transition.offset_to)
        component.add("tzname", transition.name)
        timezone.add_component(component)
    return timezone.to_ical()


def vtimezone(tzid: str, year: int) -> Timezone:
    component = Timezone.from_ical(vtimezone_ical(tzid, year))
    assert isinstance(component, Timezone)
    return component


def new_calendar(*, method: str | None = None) -> Calendar:
    """An empty VCALENDAR with PRODID and VERSION (and METHOD for iMIP)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def zone_years(values: Iterable[CalendarEvent]) -> dict[str, int]:
    """Each time zone the events use, with the earliest (local) year an event in it starts:
    its VTIMEZONE needs rules from that year on."""
    earliest: dict[str, datetime] = {}
    for value in values:
        first = earliest.get(value.timezone)
        if first is None or value.starts_at < first:
            earliest[value.timezone] = value.starts_at
    return {zone: first.astimezone(ZoneInfo(zone)).year for zone, first in earliest.items()}


def add_timezones(cal: Calendar, values: Iterable[CalendarEvent]) -> None:
    """One VTIMEZONE per zone used, with rules from the earliest year that needs them."""
    for tzid, year in sorted(zone_years(values).items()):
        cal.add_component(vtimezone(tzid, year))


def location_text(value: CalendarEvent, *, join_url: str | None) -> str:
    if value.venue is not None:
        return value.venue.one_line
    return join_url or "Online"


def event_component(
    value: CalendarEvent,
    *,
    event_url: str,
    dtstamp: datetime,
    join_url: str | None = None,
    cancelled: bool | None = None,
    summary_prefix: str = "",
) -> VEvent:
    """The VEVENT of ``value``: stable UID, its SEQUENCE, local times with TZID.

    ``join_url`` is given only for a confirmed attendee (invitation, personal feed); it
    then stands in URL and, for online events, in LOCATION. Public output leaves it out.
    ``cancelled`` overrides the event's own status (a cancelled registration).
    """
    is_cancelled = value.cancelled if cancelled is None else cancelled
    component = VEvent()
    component.add("uid", value.uid)
    component.add("sequence", value.sequence)
    component.add("dtstamp", dtstamp.astimezone(UTC))
    component.add("dtstart", value.local_starts_at)
    component.add("dtend", value.local_ends_at)
    component.add("summary", summary_prefix + value.title)
    description = value.description.strip()
    if join_url:
        description = f"{description}\n\n{join_url}".strip()
    component.add("description", f"{description}\n\n{event_url}".strip())
    component.add("location", location_text(value, join_url=join_url))
    component.add("url", join_url or event_url)
    component.add("status", "CANCELLED" if is_cancelled else "CONFIRMED")
    component.add("transp", "TRANSPARENT" if is_cancelled else "OPAQUE")
    if value.content_changed_at:
        component.add("last-modified", value.content_changed_at.astimezone(UTC))
    venue = value.venue
    if venue is not None and venue.latitude is not None and venue.longitude is not None:
        component.add("geo", (venue.latitude, venue.longitude))
    return component


def calendar_address(email: str, name: str | None = None, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    for key, value in params.items():
        address.params[key.upper().replace("_", "-")] = value
    return address


def invitation(
    event: Event,
    *,
    method: str,
    attendee_email: str,
    attendee_name: str,
    organizer_email: str,
    organizer_name: str,
    event_url: str,
    dtstamp: datetime,
    join_url: str | None = None,
) -> bytes:
    """An iMIP message body (RFC 6047): METHOD:REQUEST or CANCEL for one attendee.

    Each attendee gets an invitation naming only themselves, so a CANCEL to one attendee
    removes the entry from that attendee's calendar alone. RFC 5546 §3.2.5 wants
    STATUS:CANCELLED in a CANCEL of the whole event and no STATUS when specific attendees
    are uninvited; the event's status tells the two apart.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    value = CalendarEvent.from_event(event)
    event_cancelled = value.cancelled
    if method == "REQUEST" and event_cancelled:
        raise ValueError("a cancelled event is announced with CANCEL, not REQUEST")
    cal = new_calendar(method=method)
    add_timezones(cal, [value])
    component = event_component(
        value,
        event_url=event_url,
        dtstamp=dtstamp,
        join_url=join_url if method == "REQUEST" else None,
        cancelled=event_cancelled,
    )
    if method == "CANCEL" and not event_cancelled:
        del component["STATUS"]
    component.add("organizer", calendar_address(organizer_email, organizer_name))
    component.add(
        "attendee",
        calendar_address(
            attendee_email,
            attendee_name,
            role="REQ-PARTICIPANT",
            partstat="NEEDS-ACTION",
            rsvp="TRUE",
            cutype="INDIVIDUAL",
        ),
    )
    cal.add_component(component)
    return cal.to_ical()
