"""Reading and changing events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from roadshow.database import DBSession, utcnow
from roadshow.events.models import Event, EventPartner, EventStatus, Series


def upcoming_events(session: DBSession, *, now: datetime | None = None) -> Sequence[Event]:
    """Published and cancelled events that have not ended, soonest first.

    Venues, tours and partners come in a fixed number of queries, whatever the count.
    """
    now = now or utcnow()
    query = (
        select(Event)
        .where(Event.status.in_([EventStatus.PUBLISHED, EventStatus.CANCELLED]))
        .where(Event.ends_at >= now)
        .order_by(Event.starts_at, Event.id)
        .options(
            selectinload(Event.venue),
            selectinload(Event.tour),
            selectinload(Event.partner_roles).selectinload(EventPartner.partner),
        )
    )
    return session.scalars(query).all()


def expand_series(series: Series, *, until: datetime | None = None) -> list[datetime]:
    """The start instants of a series, computed in local wall time.

    A weekly webinar at 10:00 in Europe/Berlin stays at 10:00 local across the change to
    and from daylight-saving time, so the rule is applied to naive local times.
    """
    zone = ZoneInfo(series.timezone)
    first_local = series.first_starts_at.astimezone(zone).replace(tzinfo=None)
    rule = rrulestr(series.rrule, dtstart=first_local)
    limit = until.astimezone(zone).replace(tzinfo=None) if until else None
    starts = []
    for local in rule:
        if limit is not None and local > limit:
            break
        starts.append(local.replace(tzinfo=zone).astimezone(UTC))
        if len(starts) >= 500:  # a rule without end must not run forever
            break
    return starts


def create_series_events(
    session: DBSession, series: Series, *, slug_prefix: str, status: EventStatus
) -> list[Event]:
    """One ``Event`` per date of the series that does not exist yet (idempotent)."""
    existing = {e.starts_at for e in series.events}
    created = []
    for starts_at in expand_series(series):
        if starts_at in existing:
            continue
        local_day = starts_at.astimezone(ZoneInfo(series.timezone)).date()
        event = Event(
            kind=series.kind,
            status=status,
            slug=f"{slug_prefix}-{local_day.isoformat()}",
            title=series.title,
            description=series.description,
            tour_id=series.tour_id,
            series=series,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=series.duration_minutes),
            timezone=series.timezone,
            capacity=series.capacity,
            published_at=utcnow() if status is EventStatus.PUBLISHED else None,
        )
        session.add(event)
        created.append(event)
    session.flush()
    return created
