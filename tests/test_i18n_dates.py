"""Dates as German and English readers expect them, decided per place, not by a library.

Lists and tables abbreviate ("Di., 6. Apr. 2027"); mail and the event page write the date
out ("Dienstag, 6. April 2027, 18:00–21:00 Uhr"). Times are 24 h in both languages. The
expected texts are spelled out here; the years are chosen ahead so that the weekday is
known, whatever today is.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from roadshow.i18n import format_date, format_instant, format_time, format_when, zone_name
from tests.fixtures_feeds import berlin, year_ahead_where

TUESDAY = 1
APRIL_YEAR = year_ahead_where(4, 6, weekday=TUESDAY)
STOP = berlin(APRIL_YEAR, 4, 6, 18)  # summer time (CEST)
DECEMBER_YEAR = year_ahead_where(12, 7, weekday=TUESDAY)
WINTER = berlin(DECEMBER_YEAR, 12, 7, 9, 5)  # winter time (CET)
BERLIN = "Europe/Berlin"


@pytest.mark.parametrize(
    ("language", "style", "expected"),
    [
        ("de", "compact", f"Di., 6. Apr. {APRIL_YEAR}"),
        ("en", "compact", f"Tue, Apr 6, {APRIL_YEAR}"),
        ("de", "long", f"Dienstag, 6. April {APRIL_YEAR}"),
        ("en", "long", f"Tuesday, April 6, {APRIL_YEAR}"),
        ("de", "day", f"6. April {APRIL_YEAR}"),
        ("en", "day", f"April 6, {APRIL_YEAR}"),
        ("de", "month", f"April {APRIL_YEAR}"),
        ("en", "month", f"April {APRIL_YEAR}"),
    ],
)
def test_each_date_style_reads_as_intended(app, language, style, expected):
    with force_locale(language):
        assert format_date(STOP, BERLIN, style) == expected


@pytest.mark.parametrize(
    ("language", "style", "expected"),
    [
        ("de", "long", f"Dienstag, 6. April {APRIL_YEAR}, 18:00–21:00 Uhr"),
        ("en", "long", f"Tuesday, April 6, {APRIL_YEAR}, 18:00–21:00"),
        ("de", "compact", f"Di., 6. Apr. {APRIL_YEAR}, 18:00–21:00 Uhr"),
        ("en", "compact", f"Tue, Apr 6, {APRIL_YEAR}, 18:00–21:00"),
    ],
)
def test_when_an_event_takes_place(app, language, style, expected):
    with force_locale(language):
        assert format_when(STOP, STOP + timedelta(hours=3), BERLIN, style) == expected


def test_times_are_local_and_24_hours_in_winter_too(app):
    with force_locale("en"):
        assert format_time(WINTER, BERLIN) == "09:05"
        assert format_instant(WINTER, BERLIN, "day") == f"December 7, {DECEMBER_YEAR}, 09:05"
        assert zone_name(WINTER, BERLIN) == "Central European Standard Time"
    with force_locale("de"):
        assert format_instant(WINTER, BERLIN, "day") == f"7. Dezember {DECEMBER_YEAR}, 09:05 Uhr"
        assert zone_name(WINTER, BERLIN) == "MEZ"
        assert zone_name(STOP, BERLIN) == "MESZ"


def test_an_event_over_midnight_names_both_days(app):
    with force_locale("de"):
        text = format_when(STOP, STOP + timedelta(hours=8), BERLIN, "long")
    assert text == (
        f"Dienstag, 6. April {APRIL_YEAR}, 18:00 Uhr – Mittwoch, 7. April {APRIL_YEAR}, 02:00 Uhr"
    )


def test_the_event_page_writes_the_date_out_in_both_languages(app, client, make_event):
    event = make_event(starts_at=STOP, ends_at=STOP + timedelta(hours=3))
    german = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert f"Dienstag, 6. April {APRIL_YEAR}, 18:00–21:00 Uhr" in german
    english = client.get(f"/events/{event.slug}?lang=en").get_data(as_text=True)
    assert f"Tuesday, April 6, {APRIL_YEAR}, 18:00–21:00" in english
    assert "Uhr" not in english


def test_the_listing_abbreviates(app, client, make_event):
    make_event(starts_at=STOP, ends_at=STOP + timedelta(hours=3))
    assert f"Di., 6. Apr. {APRIL_YEAR}, 18:00–21:00 Uhr" in client.get("/").get_data(as_text=True)
    english = client.get("/?lang=en").get_data(as_text=True)
    assert f"Tue, Apr 6, {APRIL_YEAR}, 18:00–21:00" in english
