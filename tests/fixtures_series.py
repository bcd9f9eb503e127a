"""The Thursday webinar series of 2027, as the tests of series, cloning and the API plan it.

Every Thursday from 6 May to 16 December 2027 at 12:00 in Berlin, without the Bavarian
public holidays (Ascension Day on 6 May and Corpus Christi on 27 May fall on Thursdays)
and without a summer break on 5, 12 and 19 August. The expected dates are counted here by
hand, week by week, not by the code under test.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
FIRST_THURSDAY = date(2027, 5, 6)
LAST_THURSDAY = date(2027, 12, 16)
BAVARIAN_THURSDAY_HOLIDAYS = {
    date(2027, 5, 6): "Christi Himmelfahrt",
    date(2027, 5, 27): "Fronleichnam",
}
SUMMER_BREAK = [date(2027, 8, 5), date(2027, 8, 12), date(2027, 8, 19)]


def every_thursday() -> list[date]:
    days, day = [], FIRST_THURSDAY
    while day <= LAST_THURSDAY:
        days.append(day)
        day += timedelta(days=7)
    return days


def expected_thursdays() -> list[date]:
    left_out = set(BAVARIAN_THURSDAY_HOLIDAYS) | set(SUMMER_BREAK)
    return [d for d in every_thursday() if d not in left_out]


def noon_in_utc(day: date) -> datetime:
    """12:00 in Berlin: 10:00 UTC in summer time (to 31 October 2027), 11:00 after."""
    summer = date(2027, 3, 28) <= day < date(2027, 10, 31)
    return datetime(day.year, day.month, day.day, 10 if summer else 11, tzinfo=UTC)


def series_form(**values: str) -> dict[str, str]:
    """The new-series form filled in for the Thursday webinars (``values`` override)."""
    data = {
        "kind": "webinar",
        "title": "Digitale Mittagspause",
        "slug": "",
        "description": "Jeden Donnerstag eine Stunde Praxiswissen online.",
        "tour_id": "0",
        "venue_id": "0",
        "first_date": FIRST_THURSDAY.isoformat(),
        "start_time": "12:00",
        "duration_minutes": "60",
        "timezone": "Europe/Berlin",
        "weekday": "TH",
        "repeat_until": LAST_THURSDAY.isoformat(),
        "rrule": "",
        "exclude_holidays": "DE-BY",
        "exclude_dates": "\n".join(d.isoformat() for d in SUMMER_BREAK),
        "capacity": "100",
        "status": "draft",
    }
    data.update(values)
    return data


_TIME = re.compile(r'<li class="series-date"><time datetime="([^"]+)"')
_EXCLUDED = re.compile(
    r'<li class="series-excluded-date"><time datetime="([^"]+)">[^<]*</time>: '
    r'<span class="reason">([^<]*)</span>'
)


def previewed_dates(html: str) -> list[datetime]:
    """The dates a preview lists as taking place (local, with offset)."""
    return [datetime.fromisoformat(value) for value in _TIME.findall(html)]


def previewed_exclusions(html: str) -> dict[date, str]:
    """The dates a preview lists as left out, with their reasons."""
    return {datetime.fromisoformat(v).date(): reason for v, reason in _EXCLUDED.findall(html)}
