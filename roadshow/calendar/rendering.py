"""Turning feed entries into VCALENDAR bytes, with caches keyed by what the bytes are made of.

A key holds the values themselves (title, times, venue, SEQUENCE, …), never only ids or
timestamps, so a cache hit is exactly what a fresh rendering would give, whichever way the
values were read. Each worker process keeps its own caches and needs nobody else's.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from cachetools import LRUCache
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import vText

from roadshow.calendar.ics import event_component, new_calendar, vtimezone_ical
from roadshow.events.models import Event, Venue
from roadshow.urls import url_adapter

REFRESH_INTERVAL = timedelta(hours=6)

# Every column a VEVENT is made of (with the entry's own values in ``entry_key``). Feeds
# read them as plain rows to find a cached feed without loading events.
KEY_COLUMNS = (
    Event.uid,
    Event.sequence,
    Event.slug,
    Event.title,
    Event.description,
    Event.starts_at,
    Event.ends_at,
    Event.timezone,
    Venue.name,
    Venue.street,
    Venue.postcode,
    Venue.town,
    Venue.latitude,
    Venue.longitude,
)
EntryKey = tuple[Any, ...]


@dataclass(frozen=True)
class FeedEntry:
    """One event as a feed shows it.

    ``join_url`` only in personal feeds of confirmed attendees; ``changed_at`` is the
    DTSTAMP and LAST-MODIFIED (for a cancelled registration, the later of the event's
    change and the cancellation).
    """

    event: Event
    changed_at: datetime
    cancelled: bool = False
    waitlisted: bool = False
    join_url: str | None = None


@dataclass(frozen=True)
class Feed:
    body: bytes
    etag: str
    last_modified: datetime
    count: int


def summary_prefixes(language: str) -> tuple[str, str]:
    """What goes before the title of a cancelled event and of a waiting-list place."""
    with force_locale(language):
        return _("Abgesagt: "), _("Warteliste: ")


def event_values(event: Event) -> tuple[Any, ...]:
    """The ``KEY_COLUMNS`` of a loaded event, in their order."""
    venue = event.venue
    return tuple(
        getattr(event, column.key)
        if column.class_ is Event
        else (getattr(venue, column.key) if venue is not None else None)
        for column in KEY_COLUMNS
    )


def entry_key(
    values: tuple[Any, ...],
    *,
    changed_at: datetime,
    cancelled: bool,
    waitlisted: bool,
    join_url: str | None,
    prefixes: tuple[str, str],
) -> EntryKey:
    """Every value an entry's VEVENT is made of; the summary prefix comes last."""
    prefix = prefixes[0] if cancelled else prefixes[1] if waitlisted else ""
    return (values, changed_at, cancelled, waitlisted, join_url, prefix)


def key_of(entry: FeedEntry, prefixes: tuple[str, str]) -> EntryKey:
    return entry_key(
        event_values(entry.event),
        changed_at=entry.changed_at,
        cancelled=entry.cancelled,
        waitlisted=entry.waitlisted,
        join_url=entry.join_url,
        prefixes=prefixes,
    )


def zones_of(starts: Iterable[tuple[str, datetime]], now: datetime) -> list[tuple[str, int]]:
    """Each zone used (the default one first) with the earliest year an event needs."""
    default_zone = str(current_app.config["TIMEZONE"])
    earliest: dict[str, datetime] = {}
    for zone, starts_at in starts:
        if zone not in earliest or starts_at < earliest[zone]:
            earliest[zone] = starts_at
    years = {zone: first.astimezone(ZoneInfo(zone)).year for zone, first in earliest.items()}
    # Always one VTIMEZONE: a VCALENDAR needs at least one component (RFC 5545).
    default_year = years.pop(default_zone, min(years.values(), default=now.year))
    return [(default_zone, default_year), *sorted(years.items())]


def feed_key(name: str, zones: Sequence[tuple[str, int]], keys: Sequence[EntryKey]) -> Any:
    return (name, str(current_app.config["BASE_URL"]), tuple(zones), tuple(keys))


def cached_feed(key: Any) -> tuple[bytes, str] | None:
    """The bytes and ETag of a feed rendered before from exactly these values."""
    return _FEED_CACHE.get(key)


def render_feed(
    key: Any,
    entries: Sequence[FeedEntry],
    keys: Sequence[EntryKey],
    *,
    name: str,
    zones: Sequence[tuple[str, int]],
) -> tuple[bytes, str]:
    """The feed's bytes and ETag (a hash of the bytes), kept under ``key``."""
    cached = _FEED_CACHE.get(key)
    if cached is not None:
        return cached
    base_url = str(current_app.config["BASE_URL"])
    cal = new_calendar()
    # icalendar leaves calendar-level names unescaped unless they are vText.
    cal.add("name", vText(name))
    cal.add("x-wr-calname", vText(name))
    cal.add("x-wr-timezone", vText(zones[0][0]))  # the default zone comes first
    cal.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vText("PT6H"))
    header = cal.to_ical()
    assert header.endswith(b"END:VCALENDAR\r\n")

    parts = [header[: -len(b"END:VCALENDAR\r\n")]]
    parts += [vtimezone_ical(tzid, year) for tzid, year in zones]
    urls = url_adapter(base_url)
    for entry, entry_key_ in zip(entries, keys, strict=True):
        vevent = _VEVENT_CACHE.get((base_url, entry_key_))
        if vevent is None:
            event_url = urls.build("events.detail", {"slug": entry.event.slug}, force_external=True)
            vevent = _vevent(entry, event_url, prefix=entry_key_[-1])
            _VEVENT_CACHE.put((base_url, entry_key_), vevent)
        parts.append(vevent)
    parts.append(b"END:VCALENDAR\r\n")
    body = b"".join(parts)
    cached = (body, hashlib.sha256(body).hexdigest()[:40])
    _FEED_CACHE.put(key, cached)
    return cached


def _vevent(entry: FeedEntry, event_url: str, *, prefix: str) -> bytes:
    component = event_component(
        entry.event,
        event_url=event_url,
        dtstamp=entry.changed_at,
        join_url=entry.join_url,
        cancelled=entry.cancelled,
        summary_prefix=prefix,
    )
    component.pop("LAST-MODIFIED", None)
    component.add("last-modified", entry.changed_at.astimezone(UTC))
    if entry.waitlisted and not entry.cancelled:
        component["STATUS"] = vText("TENTATIVE")
    return bytes(component.to_ical())


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedLRUCache(Generic[K, V]):
    """A ``cachetools.LRUCache`` that threads may share: cachetools does not lock, and
    even a lookup reorders the entries. Rendering happens outside the lock."""

    def __init__(self, maxsize: int, getsizeof: Callable[[V], int]) -> None:
        self._cache: LRUCache[K, V] = LRUCache(maxsize=maxsize, getsizeof=getsizeof)
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        # Not LRUCache.get, which looks the key up twice: a feed's key holds every entry.
        with self._lock:
            try:
                return self._cache[key]
            except KeyError:
                return None

    def put(self, key: K, value: V) -> None:
        if self._cache.getsizeof(value) > self._cache.maxsize:
            return  # would push out everything else and still not fit
        with self._lock:
            self._cache[key] = value

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def clear_caches() -> None:
    """Forget every rendered event and feed (for tests and benchmarks)."""
    _VEVENT_CACHE.clear()
    _FEED_CACHE.clear()


# Rendered VEVENTs (about 700 bytes each), and whole feeds: their keys weigh about as much
# again as the bytes.
_VEVENT_CACHE: SharedLRUCache[tuple[str, EntryKey], bytes] = SharedLRUCache(
    maxsize=32 * 1024 * 1024, getsizeof=len
)
_FEED_CACHE: SharedLRUCache[Any, tuple[bytes, str]] = SharedLRUCache(
    maxsize=128 * 1024 * 1024, getsizeof=lambda rendered: 2 * len(rendered[0])
)
