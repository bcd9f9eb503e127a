"""Series: webinars or workshops that repeat by a rule, each date its own ``Event``.

A series is planned from its first date and local time, a duration, a time zone and an
RFC 5545 RRULE, minus a German state's public holidays and minus listed dates. The rule is
applied to naive local wall-clock times and only then turned into instants, so a 12:00
webinar in Europe/Berlin is at 12:00 local in March and in November alike (10:00 UTC in
summer, 11:00 UTC in winter).

A rule must end (UNTIL or COUNT) and give at most ``MAX_DATES`` dates within
``HORIZON_YEARS`` years: dateutil would otherwise search up to the year 9999 for a rule
that matches nothing (``FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5``), so the search is
cut at the horizon and COUNT is applied here.

Once saved, every date is an ``Event`` like any other: its own slug, UID, capacity and
registrations. Publishing goes through ``events.services.publish_event`` (subscribers hear
of each date) and moving a series through ``change_event`` (attendees get an updated
invitation), so a series follows the same rules as a single event.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays
from dateutil.rrule import rrule, rrulestr
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import selectinload

from roadshow.accounts.services import record
from roadshow.changes import changed_fields
from roadshow.database import DBSession, utcnow
from roadshow.errors import DomainError
from roadshow.events.models import (
    Event,
    EventKind,
    EventPartner,
    EventStatus,
    Series,
    Tour,
    Venue,
)
from roadshow.events.services import change_event, publish_event
from roadshow.slugs import is_slug, propose_slug

if TYPE_CHECKING:
    from roadshow.accounts.models import User

MAX_DATES = 200
HORIZON_YEARS = 5
FIRST_YEARS = (2000, 2200)
MAX_DURATION_MINUTES = 24 * 60
MAX_CAPACITY = 100_000
SLUG_LENGTH = 100  # the series' slug; its events add "-YYYY-MM-DD" (Event.slug: 120)
TITLE_LENGTH = 200
SERIES_KINDS = (EventKind.WEBINAR, EventKind.WORKSHOP)

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_RULE_PARTS = {
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
}
_TIME_PARTS = {"BYHOUR", "BYMINUTE", "BYSECOND"}
_MONTHLY_PARTS = {"BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS"}
_UNTIL = re.compile(r"(\d{8})(?:T(\d{6})(Z?))?")


# --- German states and their public holidays -------------------------------------------


def german_states() -> list[tuple[str, str]]:
    """The 16 states as ``("DE-BY", "Bayern")``, by name (``holidays`` knows their days)."""
    aliases = holidays.Germany.subdivisions_aliases
    return sorted(((f"DE-{code}", name) for name, code in aliases.items()), key=lambda s: s[1])


def _holiday_language(language: str) -> str:
    """The language ``holidays`` names the days in: the page's if it has it, else German."""
    supported = holidays.Germany.supported_languages
    if language in supported:
        return language
    for candidate in supported:
        if candidate.split("_")[0] == language:
            return candidate
    return "de"


def _public_holidays(state: str, years: Iterable[int], language: str) -> dict[date, str]:
    if not state:
        return {}
    if state not in dict(german_states()):
        raise DomainError(_("Dieses Bundesland kennen wir nicht."), field="exclude_holidays")
    days = holidays.country_holidays(
        "DE",
        subdiv=state.removeprefix("DE-"),
        years=sorted(set(years)),
        language=_holiday_language(language),
    )
    return {day: "; ".join(days.get_list(day)) for day in days}


# --- the rule ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesRule:
    """When a series takes place, as an organiser writes it down.

    ``first_local`` is the first date with its local start time (naive, in ``timezone``);
    ``exclude_dates`` are local dates as text (``2027-08-12`` or ``12.08.2027``).
    """

    first_local: datetime
    duration_minutes: int
    timezone: str
    rrule: str
    exclude_holidays: str = ""
    exclude_dates: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeriesDate:
    """One date of a series; ``excluded_because`` names why it is left out (None: it isn't)."""

    starts_at: datetime
    ends_at: datetime
    timezone: str
    excluded_because: str | None = None

    @property
    def local_starts_at(self) -> datetime:
        return self.starts_at.astimezone(ZoneInfo(self.timezone))

    @property
    def local_date(self) -> date:
        return self.local_starts_at.date()


@dataclass(frozen=True)
class SeriesDates:
    dates: tuple[SeriesDate, ...]

    @property
    def taking_place(self) -> list[SeriesDate]:
        return [d for d in self.dates if d.excluded_because is None]

    @property
    def excluded(self) -> list[SeriesDate]:
        return [d for d in self.dates if d.excluded_because is not None]


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; a ``DomainError`` on ``timezone`` if there is none."""
    if name not in _zone_names():
        raise DomainError(
            _("Unbekannte Zeitzone; erwartet wird z. B. Europe/Berlin."), field="timezone"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:  # pragma: no cover (listed above)
        raise DomainError(_("Unbekannte Zeitzone."), field="timezone") from error


def _invalid_rule() -> DomainError:
    return DomainError(
        _("Diese Regel verstehen wir nicht; ein Beispiel: FREQ=WEEKLY;UNTIL=20271216T235959Z."),
        field="rrule",
    )


def rule_parts(text: str) -> dict[str, str]:
    """``"FREQ=WEEKLY;COUNT=5"`` → ``{"FREQ": "WEEKLY", "COUNT": "5"}`` (an ``RRULE:`` in
    front is allowed); anything that is not one RRULE line is a ``DomainError``."""
    text = text.strip()
    if text[:6].upper() == "RRULE:":
        text = text[6:]
    if not text or "\n" in text or "\r" in text:
        raise _invalid_rule()
    parts: dict[str, str] = {}
    for item in text.rstrip(";").split(";"):
        name, equals, value = item.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if name in _TIME_PARTS:
            raise DomainError(
                _("Die Uhrzeit kommt vom ersten Termin; BYHOUR, BYMINUTE, BYSECOND gehen nicht."),
                field="rrule",
            )
        if not equals or not value or name not in _RULE_PARTS or name in parts:
            raise _invalid_rule()
        parts[name] = value
    if parts.get("FREQ") not in FREQUENCIES:
        raise DomainError(
            _("Die Regel braucht FREQ=DAILY, WEEKLY, MONTHLY oder YEARLY."), field="rrule"
        )
    if parts["FREQ"] in ("DAILY", "WEEKLY") and parts.keys() & _MONTHLY_PARTS:
        # A day of the month or year fits monthly and yearly rules; on a daily or weekly
        # one it is either a monthly rule in disguise or never true (BYMONTHDAY=30 in
        # February), which dateutil would search for up to the year 9999.
        raise DomainError(
            _("BYMONTHDAY, BYYEARDAY, BYWEEKNO und BYSETPOS nur mit FREQ=MONTHLY oder YEARLY."),
            field="rrule",
        )
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit() or not 1 <= int(interval) <= 999:
        raise DomainError(_("INTERVAL liegt zwischen 1 und 999."), field="rrule")
    if ("UNTIL" in parts) == ("COUNT" in parts):
        raise DomainError(
            _("Die Regel braucht genau ein Ende: UNTIL=… (ein Datum) oder COUNT=… (eine Anzahl)."),
            field="rrule",
        )
    return parts


def rule_text(parts: dict[str, str]) -> str:
    return ";".join(f"{name}={value}" for name, value in parts.items())


def parse_until(value: str) -> date | datetime:
    """An UNTIL value: a date, a floating local time, or a UTC time (aware)."""
    match = _UNTIL.fullmatch(value)
    if match is None:
        raise _invalid_rule()
    day, clock, utc = match.groups()
    try:
        if clock is None:
            return datetime.strptime(day, "%Y%m%d").date()
        moment = datetime.strptime(day + clock, "%Y%m%d%H%M%S")
    except ValueError as error:
        raise _invalid_rule() from error
    return moment.replace(tzinfo=UTC) if utc else moment


def format_until(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y%m%dT%H%M%S") + ("Z" if value.tzinfo is not None else "")
    return value.strftime("%Y%m%d")


def _local_until(value: date | datetime, local_zone: ZoneInfo) -> datetime:
    """UNTIL as naive local time; a date alone includes that whole day."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(23, 59, 59))
    if value.tzinfo is not None:
        return value.astimezone(local_zone).replace(tzinfo=None)
    return value


def weekly_rule(weekday: str, until: date, timezone: str) -> str:
    """``FREQ=WEEKLY;BYDAY=TH;UNTIL=…Z``: every week on ``weekday`` up to the end of the
    local day ``until`` (UNTIL in UTC, as RFC 5545 asks when the start has a zone)."""
    end = datetime.combine(until, time(23, 59, 59)).replace(tzinfo=zone(timezone))
    byday = f";BYDAY={weekday}" if weekday in WEEKDAYS else ""
    return f"FREQ=WEEKLY{byday};UNTIL={format_until(end.astimezone(UTC))}"


def parse_excluded_dates(values: Iterable[str]) -> list[date]:
    """Listed dates as ``2027-08-12`` or ``12.08.2027``; the first that is not a date is a
    ``DomainError`` on ``exclude_dates`` naming it."""
    days = []
    for raw in values:
        text = raw.strip()
        if not text:
            continue
        day = None
        for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                day = datetime.strptime(text, pattern).date()
                break
            except ValueError:
                continue
        if day is None:
            raise DomainError(
                _("„%(text)s“ ist kein Datum (JJJJ-MM-TT oder TT.MM.JJJJ).", text=text[:40]),
                field="exclude_dates",
            )
        days.append(day)
    return days


def _check_duration(minutes: int) -> None:
    if not 1 <= minutes <= MAX_DURATION_MINUTES:
        raise DomainError(
            _("Die Dauer liegt zwischen 1 und %(most)d Minuten.", most=MAX_DURATION_MINUTES),
            field="duration_minutes",
        )


def _rule_starts(rule: SeriesRule, local_zone: ZoneInfo) -> list[datetime]:
    """The local start times the rule gives (naive), bounded as the module says."""
    parts = rule_parts(rule.rrule)
    first = rule.first_local.replace(tzinfo=None, second=0, microsecond=0)
    horizon = first + timedelta(days=365 * HORIZON_YEARS + 1)
    count = None
    if "COUNT" in parts:
        raw_count = parts.pop("COUNT")
        if not raw_count.isdigit() or not 1 <= int(raw_count) <= MAX_DATES:
            raise DomainError(
                _("COUNT liegt zwischen 1 und %(most)d.", most=MAX_DATES), field="rrule"
            )
        count, until = int(raw_count), horizon
    else:
        until = _local_until(parse_until(parts.pop("UNTIL")), local_zone)
        if until < first:
            raise DomainError(
                _("Das Ende der Wiederholung liegt vor dem ersten Termin."), field="until"
            )
        if until > horizon:
            raise DomainError(
                _("Eine Reihe umfasst höchstens %(years)d Jahre.", years=HORIZON_YEARS),
                field="until",
            )
    parts["UNTIL"] = format_until(until)
    try:
        expanded = rrulestr(rule_text(parts), dtstart=first)
        if not isinstance(expanded, rrule):  # pragma: no cover (one RRULE line only)
            raise _invalid_rule()
        starts = list(islice(expanded, (count or MAX_DATES) + 1))
    except (ValueError, TypeError, OverflowError, IndexError, KeyError) as error:
        raise _invalid_rule() from error
    if count is not None:
        if len(starts) < count:
            raise DomainError(
                _(
                    "Die Regel ergibt in %(years)d Jahren keine %(count)d Termine.",
                    years=HORIZON_YEARS,
                    count=count,
                ),
                field="rrule",
            )
        starts = starts[:count]
    elif len(starts) > MAX_DATES:
        raise DomainError(
            _("Eine Reihe hat höchstens %(most)d Termine.", most=MAX_DATES), field="rrule"
        )
    if not starts:
        raise DomainError(_("Die Regel ergibt keinen einzigen Termin."), field="rrule")
    return starts


def series_dates(rule: SeriesRule, *, language: str = "de") -> SeriesDates:
    """Every date the rule gives, in order, each marked with why it is left out if it is
    (the holiday's name in ``language`` where ``holidays`` has it, else in German; or
    "ausgenommen" for a listed date). Nothing is read or written: this is the preview."""
    local_zone = zone(rule.timezone)
    if not FIRST_YEARS[0] <= rule.first_local.year <= FIRST_YEARS[1]:
        raise DomainError(
            _(
                "Der erste Termin liegt zwischen %(first)d und %(last)d.",
                first=FIRST_YEARS[0],
                last=FIRST_YEARS[1],
            ),
            field="starts_at",
        )
    _check_duration(rule.duration_minutes)
    listed = set(parse_excluded_dates(rule.exclude_dates))
    starts = _rule_starts(rule, local_zone)
    closed = _public_holidays(rule.exclude_holidays, (s.year for s in starts), language)
    dates = []
    for local in starts:
        starts_at = local.replace(tzinfo=local_zone).astimezone(UTC)
        reason = closed.get(local.date()) or (_("ausgenommen") if local.date() in listed else None)
        dates.append(
            SeriesDate(
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=rule.duration_minutes),
                timezone=rule.timezone,
                excluded_because=reason,
            )
        )
    return SeriesDates(tuple(dates))


def rule_of(series: Series) -> SeriesRule:
    """The rule of a saved series."""
    return SeriesRule(
        first_local=series.first_starts_at.astimezone(ZoneInfo(series.timezone)).replace(
            tzinfo=None
        ),
        duration_minutes=series.duration_minutes,
        timezone=series.timezone,
        rrule=series.rrule,
        exclude_holidays=series.exclude_holidays,
        exclude_dates=tuple(series.exclude_dates or ()),
    )


def expand_series(series: Series, *, language: str = "de") -> SeriesDates:
    """The dates of a saved series, from its rule and its exclusions."""
    return series_dates(rule_of(series), language=language)


def event_slug(stem: str, day: date) -> str:
    """The slug of a series' date: ``<series-slug>-2027-05-06``."""
    return f"{stem}-{day.isoformat()}"


def create_series_events(
    session: DBSession, series: Series, *, status: EventStatus, slug_prefix: str | None = None
) -> list[Event]:
    """One ``Event`` per date of the series that has none yet (idempotent), straight in
    ``status``: for the demo data and imports. Organisers go through ``create_series``,
    which publishes each date with ``publish_event`` so that subscribers hear of it."""
    stem = slug_prefix or series.slug or propose_slug(series.title, SLUG_LENGTH)
    local_zone = ZoneInfo(series.timezone)
    existing = {e.starts_at.astimezone(local_zone).date() for e in series.events}
    created = []
    for item in expand_series(series).taking_place:
        if item.local_date in existing:
            continue
        event = _event_for(series, item, stem, status)
        session.add(event)
        created.append(event)
    session.flush()
    return created


def _event_for(series: Series, item: SeriesDate, stem: str, status: EventStatus) -> Event:
    return Event(
        kind=series.kind,
        status=status,
        slug=event_slug(stem, item.local_date),
        title=series.title,
        description=series.description,
        tour_id=series.tour_id,
        venue_id=series.venue_id,
        series=series,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        timezone=series.timezone,
        capacity=series.capacity,
        published_at=utcnow() if status is EventStatus.PUBLISHED else None,
    )


# --- creating a series -------------------------------------------------------------------


@dataclass(frozen=True)
class NewSeries:
    """A series as the organiser's form or the API describes it; ``slug`` "" is proposed
    from the title."""

    kind: EventKind
    title: str
    rule: SeriesRule
    capacity: int
    description: str = ""
    slug: str = ""
    tour: Tour | None = None
    venue: Venue | None = None
    publish: bool = False


@dataclass(frozen=True)
class SeriesPreview:
    slug: str
    dates: SeriesDates = field(repr=False)


def preview_series(session: DBSession, plan: NewSeries, *, language: str = "de") -> SeriesPreview:
    """Every check of ``create_series`` and the dates it would create; writes nothing."""
    if plan.kind not in SERIES_KINDS:
        raise DomainError(_("Eine Reihe besteht aus Webinaren oder Workshops."), field="kind")
    title = plan.title.strip()
    if not title or len(title) > TITLE_LENGTH:
        raise DomainError(
            _("Bitte geben Sie einen Titel an (höchstens %(most)d Zeichen).", most=TITLE_LENGTH),
            field="title",
        )
    if not 0 <= plan.capacity <= MAX_CAPACITY:
        raise DomainError(
            _("Die Plätze liegen zwischen 0 und %(most)d.", most=MAX_CAPACITY), field="capacity"
        )
    if plan.kind is EventKind.WORKSHOP and plan.venue is None:
        raise DomainError(_("Ein Workshop braucht einen Ort."), field="venue_id")
    dates = series_dates(plan.rule, language=language)
    if not dates.taking_place:
        raise DomainError(_("Nach den Ausnahmen bleibt kein Termin übrig."), field="rrule")
    slug = plan.slug.strip() or propose_slug(title, SLUG_LENGTH)
    if not is_slug(slug) or len(slug) > SLUG_LENGTH:
        raise DomainError(
            _(
                "Kleinbuchstaben, Ziffern und Bindestriche, höchstens %(most)d Zeichen.",
                most=SLUG_LENGTH,
            ),
            field="slug",
        )
    if session.scalar(select(Series.id).where(Series.slug == slug)) is not None:
        raise DomainError(_("Diese Kurzadresse hat schon eine andere Reihe."), field="slug")
    slugs = [event_slug(slug, d.local_date) for d in dates.taking_place]
    taken = session.scalars(select(Event.slug).where(Event.slug.in_(slugs)).limit(1)).first()
    if taken is not None:
        raise DomainError(
            _("Die Adresse %(slug)s hat schon eine Veranstaltung.", slug=taken), field="slug"
        )
    return SeriesPreview(slug=slug, dates=dates)


def create_series(
    session: DBSession, plan: NewSeries, actor: User | None, *, language: str = "de"
) -> Series:
    """Save a series and one ``Event`` per date (drafts, or published one by one through
    ``publish_event`` so that feed subscribers hear of each date). One audit entry for the
    series; publishing writes its own per event."""
    preview = preview_series(session, plan, language=language)
    rule = plan.rule
    local_zone = zone(rule.timezone)
    series = Series(
        slug=preview.slug,
        tour_id=plan.tour.id if plan.tour else None,
        venue_id=plan.venue.id if plan.venue else None,
        kind=plan.kind,
        title=plan.title.strip(),
        description=plan.description.strip(),
        rrule=rule_text(rule_parts(rule.rrule)),
        first_starts_at=rule.first_local.replace(tzinfo=local_zone).astimezone(UTC),
        duration_minutes=rule.duration_minutes,
        timezone=rule.timezone,
        capacity=plan.capacity,
        exclude_holidays=rule.exclude_holidays,
        exclude_dates=sorted(d.isoformat() for d in set(parse_excluded_dates(rule.exclude_dates))),
    )
    session.add(series)
    events = [
        _event_for(series, item, preview.slug, EventStatus.DRAFT)
        for item in preview.dates.taking_place
    ]
    session.add_all(events)
    session.flush()
    record(
        session,
        "series.created",
        series,
        actor,
        dates=len(events),
        excluded={d.local_date.isoformat(): d.excluded_because for d in preview.dates.excluded},
        published=plan.publish,
    )
    if plan.publish:
        for event in events:
            publish_event(session, event, actor)
    session.flush()
    return series


# --- reading and changing a series -------------------------------------------------------


def series_events(session: DBSession, series: Series) -> list[Event]:
    """Every date of the series in order, with venue, tour and partners (three queries)."""
    return list(
        session.scalars(
            select(Event)
            .where(Event.series_id == series.id)
            .order_by(Event.starts_at, Event.id)
            .options(
                selectinload(Event.venue),
                selectinload(Event.tour),
                selectinload(Event.partner_roles).selectinload(EventPartner.partner),
            )
        )
    )


def _future(series: Series, now: datetime) -> list[ColumnElement[bool]]:
    """The series' dates still to come that take place."""
    return [
        Event.series_id == series.id,
        Event.starts_at > now,
        Event.status != EventStatus.CANCELLED,
    ]


@dataclass(frozen=True)
class SeriesReach:
    """Who a change of the series' future dates reaches: dates and confirmed attendees."""

    events: int
    attendees: int


def series_reach(session: DBSession, series: Series, *, now: datetime | None = None) -> SeriesReach:
    """How many future, not cancelled dates a change moves and how many confirmed
    attendees (``Event.seats_taken``, recounted from the rows) get an updated invitation."""
    now = now or utcnow()
    events, attendees = session.execute(
        select(func.count(Event.id), func.coalesce(func.sum(Event.seats_taken), 0)).where(
            *_future(series, now)
        )
    ).one()
    return SeriesReach(events=int(events), attendees=int(attendees))


@dataclass(frozen=True)
class SeriesMove:
    """One future date of a series and where a change would put it."""

    event: Event
    starts_at: datetime
    ends_at: datetime

    @property
    def moves(self) -> bool:
        return (self.starts_at, self.ends_at) != (self.event.starts_at, self.event.ends_at)


def plan_series_change(
    session: DBSession,
    series: Series,
    *,
    local_time: time,
    duration_minutes: int,
    now: datetime | None = None,
) -> list[SeriesMove]:
    """Each future, not cancelled date at ``local_time`` on its own local day, lasting
    ``duration_minutes``; past and cancelled dates are left as they are. Writes nothing."""
    _check_duration(duration_minutes)
    now = now or utcnow()
    local_zone = ZoneInfo(series.timezone)
    events = session.scalars(select(Event).where(*_future(series, now)).order_by(Event.starts_at))
    moves = []
    for event in events:
        day = event.starts_at.astimezone(local_zone).date()
        starts_at = datetime.combine(day, local_time.replace(tzinfo=None), local_zone).astimezone(
            UTC
        )
        moves.append(SeriesMove(event, starts_at, starts_at + timedelta(minutes=duration_minutes)))
    return moves


def change_series(
    session: DBSession,
    series: Series,
    *,
    local_time: time,
    duration_minutes: int,
    actor: User | None,
    now: datetime | None = None,
) -> list[Event]:
    """Move every future, not cancelled date of the series to ``local_time`` (local, on
    its own day) with the new duration, each through ``change_event``: its SEQUENCE rises
    and its confirmed attendees get an updated invitation. Past dates stay as they were.
    Returns the events that moved."""
    moves = plan_series_change(
        session, series, local_time=local_time, duration_minutes=duration_minutes, now=now
    )
    moved = []
    for move in moves:
        if move.moves:
            change_event(
                session, move.event, starts_at=move.starts_at, ends_at=move.ends_at, actor=actor
            )
            moved.append(move.event)
    local_zone = ZoneInfo(series.timezone)
    first_day = series.first_starts_at.astimezone(local_zone).date()
    first = datetime.combine(first_day, local_time.replace(tzinfo=None), local_zone)
    changes = changed_fields(
        series,
        {"first_starts_at": first.astimezone(UTC), "duration_minutes": duration_minutes},
    )
    if changes or moved:
        record(session, "series.changed", series, actor, changes=changes, events=len(moved))
    session.flush()
    return moved
