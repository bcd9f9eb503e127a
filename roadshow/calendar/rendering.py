"""Turning feed entries into VCALENDAR bytes, with caches keyed by what the bytes are made of.

Each renderer here takes its cache key and nothing else: a VEVENT is made of a
``FeedEntry`` (the event's ``CalendarEvent`` and what this feed adds to it), the base URL
and the summary prefix; a feed of a ``FeedKey``. So a cache hit is exactly what a fresh
rendering would give, whichever way the values were read, and a new property in a VEVENT
cannot be forgotten in a key. Each worker process keeps its own caches and needs nobody
else's.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, NamedTuple, TypeVar

from cachetools import LRUCache
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import vText

from roadshow.calendar.contentlines import vevent_text, writes_tzid
from roadshow.calendar.ics import event_component, new_calendar, vtimezone_ical, zone_years
from roadshow.calendar.values import CalendarEvent
from roadshow.settings import settings
from roadshow.urls import url_adapter

REFRESH_INTERVAL = timedelta(hours=6)


class FeedEntry(NamedTuple):
    """One event as a feed shows it: with the base URL and the summary prefix, all its
    VEVENT is made of, and so the key of the rendered VEVENT.

    ``join_url`` only in personal feeds of confirmed attendees; ``changed_at`` is the
    DTSTAMP and LAST-MODIFIED (for a cancelled registration, the later of the event's
    change and the cancellation); ``cancelled`` also for a cancelled registration.
    """

    value: CalendarEvent
    changed_at: datetime
    cancelled: bool = False
    waitlisted: bool = False
    join_url: str | None = None


class FeedKey(NamedTuple):
    """All a feed's bytes are made of: its cache key, and all ``render_feed`` reads."""

    base_url: str
    name: str
    prefixes: tuple[str, str]  # before the title of a cancelled event, a waiting-list place
    zones: tuple[tuple[str, int], ...]  # VTIMEZONEs and their first year, the default first
    entries: tuple[FeedEntry, ...]


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


def feed_zones(values: Iterable[CalendarEvent], now: datetime) -> tuple[tuple[str, int], ...]:
    """Each zone used with the earliest year an event needs, the default zone first."""
    default_zone = settings().timezone
    years = zone_years(values)
    # Always one VTIMEZONE: a VCALENDAR needs at least one component (RFC 5545).
    default_year = years.pop(default_zone, min(years.values(), default=now.year))
    return ((default_zone, default_year), *sorted(years.items()))


def feed_key(entries: Sequence[FeedEntry], *, name: str, language: str, now: datetime) -> FeedKey:
    """The key of the feed ``name`` of ``entries`` in ``language``; ``now`` decides only the
    first year of the default zone's rules in a feed without an event in it."""
    return FeedKey(
        base_url=settings().base_url,
        name=name,
        prefixes=summary_prefixes(language),
        zones=feed_zones((entry.value for entry in entries), now),
        entries=tuple(entries),
    )


def render_feed(key: FeedKey) -> tuple[bytes, str]:
    """The feed's bytes and ETag (a hash of the bytes), kept under ``key``."""
    cached = _FEEDS.get(key)
    if cached is not None:
        return cached
    body = render_feed_body(key)
    rendered = (body, hashlib.sha256(body).hexdigest()[:40])
    _FEEDS.put(plain_tuples(key), rendered)
    return rendered


def render_feed_body(key: FeedKey) -> bytes:
    """The feed's bytes, not kept (each VEVENT is, under its own key)."""
    cal = new_calendar()
    # icalendar leaves calendar-level names unescaped unless they are vText.
    cal.add("name", vText(key.name))
    cal.add("x-wr-calname", vText(key.name))
    cal.add("x-wr-timezone", vText(key.zones[0][0]))  # the default zone comes first
    cal.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vText("PT6H"))
    header = cal.to_ical()
    assert header.endswith(b"END:VCALENDAR\r\n")

    parts = [header[: -len(b"END:VCALENDAR\r\n")]]
    parts += [vtimezone_ical(tzid, year) for tzid, year in key.zones]
    cancelled_prefix, waitlisted_prefix = key.prefixes
    for entry in key.entries:
        prefix = (
            cancelled_prefix if entry.cancelled else waitlisted_prefix if entry.waitlisted else ""
        )
        vevent_key = (key.base_url, prefix, entry)
        vevent = _VEVENTS.get(vevent_key)
        if vevent is None:
            vevent = _render_vevent(*vevent_key)
            _VEVENTS.put(plain_tuples(vevent_key), vevent)
        parts.append(vevent)
    parts.append(b"END:VCALENDAR\r\n")
    return b"".join(parts)


def feed_of_version(etag: str) -> tuple[bytes, int] | None:
    """The bytes and number of events of the public feed whose ETag is ``etag``."""
    return _FEEDS_BY_VERSION.get(etag)


def keep_feed_of_version(etag: str, body: bytes, count: int) -> None:
    _FEEDS_BY_VERSION.put(etag, (body, count))


def _render_vevent(base_url: str, prefix: str, entry: FeedEntry) -> bytes:
    value = entry.value
    event_url = url_adapter(base_url).build(
        "events.detail", {"slug": value.slug}, force_external=True
    )
    if writes_tzid(value.timezone):
        cancelled = entry.cancelled
        return vevent_text(
            value,
            event_url=event_url,
            changed_at=entry.changed_at,
            summary=prefix + value.title,
            status="CANCELLED" if cancelled else "TENTATIVE" if entry.waitlisted else "CONFIRMED",
            transparent=cancelled,
            join_url=entry.join_url,
        )
    return _render_vevent_with_icalendar(event_url, prefix, entry)


def _render_vevent_with_icalendar(event_url: str, prefix: str, entry: FeedEntry) -> bytes:
    """What ``contentlines.vevent_text`` writes, built by ``icalendar``: for the zones that
    it writes in UTC form, and the reference the tests compare the direct text with."""
    value = entry.value
    component = event_component(
        value,
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


def plain_tuples(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """``values`` with every named tuple in it, however deep, as a plain tuple: equal, with
    the same hash, so it finds and is found by the named one.

    The caches keep their keys so: the garbage collector stops watching a plain tuple of
    plain values, but never a named tuple, and would walk every key at each full
    collection (measured with one feed of 10,000 events cached in two languages: a full
    collection took 100 ms instead of 75).
    """
    return tuple([plain_tuples(v) if isinstance(v, tuple) else v for v in values])


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
    _VEVENTS.clear()
    _FEEDS.clear()
    _FEEDS_BY_VERSION.clear()


# Rendered VEVENTs (about 700 bytes each) under (base URL, summary prefix, FeedEntry), and
# whole feeds under their FeedKey, whose tuples weigh about as much again as the bytes;
# both keys kept as ``plain_tuples``.
_VEVENTS: SharedLRUCache[tuple[Any, ...], bytes] = SharedLRUCache(
    maxsize=32 * 1024 * 1024, getsizeof=len
)
_FEEDS: SharedLRUCache[tuple[Any, ...], tuple[bytes, str]] = SharedLRUCache(
    maxsize=128 * 1024 * 1024, getsizeof=lambda rendered: 2 * len(rendered[0])
)
# Public and subscriber feeds under their version's ETag (see ``feeds.feed_version``): a
# request whose version is known finds its bytes without reading a single event.
_FEEDS_BY_VERSION: SharedLRUCache[str, tuple[bytes, int]] = SharedLRUCache(
    maxsize=64 * 1024 * 1024, getsizeof=lambda kept: len(kept[0])
)
