"""Cloning a tour: next year's tour as drafts, from this year's.

Every event of the tour that is not cancelled is copied as a draft (same kind, venue,
partner roles, capacity, description, time zone; a new UID, SEQUENCE 0, no registrations),
shifted by whole days in local wall time: a stop at 18:00 stays at 18:00 local even when
the shift crosses a change to or from summer time. Events that belong to a series get a
copy of their series, whose rule is shifted along (UNTIL, weekdays, listed dates).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from roadshow.accounts.services import record
from roadshow.database import DBSession
from roadshow.errors import DomainError
from roadshow.events.models import Event, EventPartner, EventStatus, Series, Tour
from roadshow.events.series import (
    SLUG_LENGTH,
    WEEKDAYS,
    event_slug,
    format_until,
    parse_until,
    rule_parts,
    rule_text,
)
from roadshow.slugs import is_slug, propose_slug

if TYPE_CHECKING:
    from roadshow.accounts.models import User

MAX_SHIFT_DAYS = 10 * 366
TOUR_SLUG_LENGTH = 80
EVENT_SLUG_LENGTH = 120
_DATE_IN_SLUG = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_BYDAY = re.compile(r"([+-]?\d{0,2})(MO|TU|WE|TH|FR|SA|SU)")


def shift_local(instant: datetime, timezone: str, days: int) -> datetime:
    """``instant`` moved by ``days`` on the wall clock of ``timezone`` (18:00 stays 18:00)."""
    zone = ZoneInfo(timezone)
    local = instant.astimezone(zone).replace(tzinfo=None) + timedelta(days=days)
    return local.replace(tzinfo=zone).astimezone(UTC)


def proposed_title(tour: Tour) -> str:
    """ "Digital vor Ort 2027" → "Digital vor Ort 2028"; without a year, the next one is
    added after the title."""
    first = tour.events[0].local_starts_at.year if tour.events else None
    if _YEAR.search(tour.title):
        return _YEAR.sub(lambda m: str(int(m.group()) + 1), tour.title)
    year = (first + 1) if first else None
    return f"{tour.title} {year}" if year else tour.title


def _tour_events(session: DBSession, tour: Tour) -> list[Event]:
    return list(
        session.scalars(
            select(Event)
            .where(Event.tour_id == tour.id, Event.status != EventStatus.CANCELLED)
            .order_by(Event.starts_at, Event.id)
            .options(selectinload(Event.partner_roles), selectinload(Event.series))
        )
    )


def _shift_days(events: list[Event], shift_days: int | None, starts_on: date | None) -> int:
    if (shift_days is None) == (starts_on is None):
        raise DomainError(
            _("Bitte geben Sie entweder eine Verschiebung in Tagen oder ein neues Startdatum an."),
            field="shift_days",
        )
    if starts_on is not None:
        if not events:
            raise DomainError(
                _("Die Tour hat keine Termine, nach denen sich ein Startdatum richten könnte."),
                field="starts_on",
            )
        days = (starts_on - events[0].local_starts_at.date()).days
        field = "starts_on"
    else:
        assert shift_days is not None
        days, field = shift_days, "shift_days"
    if days == 0 or abs(days) > MAX_SHIFT_DAYS:
        raise DomainError(
            _("Die Verschiebung liegt zwischen 1 und %(most)d Tagen.", most=MAX_SHIFT_DAYS),
            field=field,
        )
    return days


def _with_date(slug: str, day: date, max_length: int) -> str:
    """The slug with its date replaced by ``day``, or ``day`` added when it has none."""
    if _DATE_IN_SLUG.search(slug):
        return _DATE_IN_SLUG.sub(day.isoformat(), slug, count=1)[:max_length].rstrip("-")
    return event_slug(slug[: max_length - 11].rstrip("-"), day)


def _with_year(slug: str, year: int, max_length: int) -> str:
    if _YEAR.search(slug):
        return _YEAR.sub(str(year), slug, count=1)
    return f"{slug[: max_length - 5].rstrip('-')}-{year}"


def _free(
    session: DBSession, column: InstrumentedAttribute[Any], wanted: list[str], max_length: int
) -> list[str]:
    """``wanted`` made unique, among themselves and against ``column`` ("-2", "-3", …)."""
    result = list(wanted)
    for attempt in range(2, 1000):
        taken = set(session.scalars(select(column).where(column.in_(result))))
        seen: set[str] = set()
        clash = False
        for index, slug in enumerate(result):
            if slug in taken or slug in seen:
                stem = wanted[index][: max_length - 4].rstrip("-")
                result[index] = f"{stem}-{attempt}"
                clash = True
            seen.add(result[index])
        if not clash:
            return result
    raise DomainError(_("Es gibt keine freie Adresse mehr."), field="slug")  # pragma: no cover


def _shifted_rule(text: str, days: int) -> str:
    parts = rule_parts(text)
    if "UNTIL" in parts:
        parts["UNTIL"] = format_until(parse_until(parts["UNTIL"]) + timedelta(days=days))
    if "BYDAY" in parts:

        def shift(match: re.Match[str]) -> str:
            weekday = WEEKDAYS[(WEEKDAYS.index(match.group(2)) + days) % 7]
            return f"{match.group(1)}{weekday}"

        parts["BYDAY"] = _BYDAY.sub(shift, parts["BYDAY"])
    return rule_text(parts)


@dataclass(frozen=True)
class ClonedDate:
    """One event of the tour and its copy-to-be."""

    source: Event
    slug: str
    starts_at: datetime
    ends_at: datetime

    @property
    def timezone(self) -> str:
        return self.source.timezone

    @property
    def local_starts_at(self) -> datetime:
        return self.starts_at.astimezone(self.source.zone)


@dataclass(frozen=True)
class ClonedSeries:
    source: Series
    slug: str
    first_starts_at: datetime
    rrule: str
    exclude_dates: list[str]


@dataclass(frozen=True)
class TourClonePlan:
    title: str
    slug: str
    shift_days: int
    dates: list[ClonedDate]
    series: list[ClonedSeries]


def plan_tour_clone(
    session: DBSession,
    tour: Tour,
    *,
    title: str,
    slug: str,
    shift_days: int | None = None,
    starts_on: date | None = None,
) -> TourClonePlan:
    """What ``clone_tour`` would create, with every check; writes nothing."""
    title, slug = title.strip(), slug.strip()
    if not title or len(title) > 200:
        raise DomainError(_("Bitte geben Sie einen Titel an."), field="title")
    slug = slug or propose_slug(title, TOUR_SLUG_LENGTH)
    if not is_slug(slug) or len(slug) > TOUR_SLUG_LENGTH:
        raise DomainError(
            _("Kleinbuchstaben, Ziffern und Bindestriche, höchstens %(most)d Zeichen.", most=80),
            field="slug",
        )
    if session.scalar(select(Tour.id).where(Tour.slug == slug)) is not None:
        raise DomainError(_("Diese Kurzadresse hat schon eine Tour."), field="slug")
    events = _tour_events(session, tour)
    days = _shift_days(events, shift_days, starts_on)

    series_by_id = {e.series.id: e.series for e in events if e.series is not None}
    series_list = sorted(series_by_id.values(), key=lambda s: s.id)
    series_slugs = _free(
        session,
        Series.slug,
        [
            _with_year(
                s.slug or propose_slug(s.title, SLUG_LENGTH),
                shift_local(s.first_starts_at, s.timezone, days)
                .astimezone(ZoneInfo(s.timezone))
                .year,
                SLUG_LENGTH,
            )
            for s in series_list
        ],
        SLUG_LENGTH,
    )
    new_series = [
        ClonedSeries(
            source=s,
            slug=new_slug,
            first_starts_at=shift_local(s.first_starts_at, s.timezone, days),
            rrule=_shifted_rule(s.rrule, days),
            exclude_dates=[
                (date.fromisoformat(d) + timedelta(days=days)).isoformat()
                for d in s.exclude_dates or ()
            ],
        )
        for s, new_slug in zip(series_list, series_slugs, strict=True)
    ]
    stems = {c.source.id: c.slug for c in new_series}

    wanted = []
    for event in events:
        starts_at = shift_local(event.starts_at, event.timezone, days)
        day = starts_at.astimezone(event.zone).date()
        if event.series_id in stems:
            wanted.append(event_slug(stems[event.series_id], day))
        else:
            wanted.append(_with_date(event.slug, day, EVENT_SLUG_LENGTH))
    slugs = _free(session, Event.slug, wanted, EVENT_SLUG_LENGTH)
    dates = [
        ClonedDate(
            source=event,
            slug=new_slug,
            starts_at=shift_local(event.starts_at, event.timezone, days),
            ends_at=shift_local(event.ends_at, event.timezone, days),
        )
        for event, new_slug in zip(events, slugs, strict=True)
    ]
    return TourClonePlan(title=title, slug=slug, shift_days=days, dates=dates, series=new_series)


def _shift_optional(instant: datetime | None, timezone: str, days: int) -> datetime | None:
    return shift_local(instant, timezone, days) if instant is not None else None


def _copy_roles(roles: Iterable[EventPartner]) -> list[EventPartner]:
    return [EventPartner(partner_id=r.partner_id, role=r.role) for r in roles]


def clone_tour(
    session: DBSession,
    tour: Tour,
    *,
    title: str,
    slug: str,
    shift_days: int | None = None,
    starts_on: date | None = None,
    actor: User | None = None,
) -> Tour:
    """A new tour with drafts of ``tour``'s events (not the cancelled ones), shifted by
    ``shift_days`` or so that the first falls on ``starts_on``; their series copied along.
    Join links are not copied (a new session has a new link). One audit entry."""
    plan = plan_tour_clone(
        session, tour, title=title, slug=slug, shift_days=shift_days, starts_on=starts_on
    )
    days = plan.shift_days
    new_tour = Tour(slug=plan.slug, title=plan.title, description=tour.description)
    session.add(new_tour)
    session.flush()
    copies: dict[int, Series] = {}
    for cloned in plan.series:
        source = cloned.source
        copies[source.id] = Series(
            slug=cloned.slug,
            tour_id=new_tour.id,
            venue_id=source.venue_id,
            kind=source.kind,
            title=source.title,
            description=source.description,
            rrule=cloned.rrule,
            first_starts_at=cloned.first_starts_at,
            duration_minutes=source.duration_minutes,
            timezone=source.timezone,
            capacity=source.capacity,
            exclude_holidays=source.exclude_holidays,
            exclude_dates=cloned.exclude_dates,
        )
    session.add_all(copies.values())
    for item in plan.dates:
        event = item.source
        session.add(
            Event(
                kind=event.kind,
                status=EventStatus.DRAFT,
                slug=item.slug,
                title=event.title,
                description=event.description,
                tour_id=new_tour.id,
                venue_id=event.venue_id,
                series=copies.get(event.series_id) if event.series_id else None,
                starts_at=item.starts_at,
                ends_at=item.ends_at,
                timezone=event.timezone,
                capacity=event.capacity,
                max_attendees_per_registration=event.max_attendees_per_registration,
                registration_opens_at=_shift_optional(
                    event.registration_opens_at, event.timezone, days
                ),
                registration_closes_at=_shift_optional(
                    event.registration_closes_at, event.timezone, days
                ),
                partner_roles=_copy_roles(event.partner_roles),
            )
        )
    session.flush()
    record(
        session,
        "tour.cloned",
        new_tour,
        actor,
        source_tour_id=tour.id,
        shift_days=days,
        events=len(plan.dates),
        series=len(plan.series),
    )
    session.flush()
    return new_tour
