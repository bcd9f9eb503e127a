"""A feed's VEVENT written directly is byte for byte what ``icalendar`` writes.

Feeds write their VEVENTs as text (``calendar.contentlines``) for speed; invitations and
the zones ``icalendar`` writes in UTC form still go through ``icalendar``. Any text a user
can type (commas, semicolons, backslashes, carets, line breaks of every kind, umlauts and
emoji at every folding position) must come out the same both ways.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadshow.calendar.contentlines import fold, writes_tzid
from roadshow.calendar.rendering import FeedEntry, _render_vevent, _render_vevent_with_icalendar
from roadshow.calendar.values import CalendarEvent, CalendarVenue

BASE_URL = "https://roadshow.example.org"
# Characters that escaping or folding treat apart, and some of one to four UTF-8 octets.
TRICKY = st.sampled_from(list('\\^;,:"\r\n\t aZ09äöüß€✓😀') + ["\\N", "\r\n"])
TEXT = st.lists(st.one_of(TRICKY, st.characters(codec="utf-8")), max_size=120).map("".join)
ZONES = st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Etc/GMT+2"])
MOMENTS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)
VENUES = st.one_of(
    st.none(),
    st.builds(
        CalendarVenue,
        name=TEXT,
        street=TEXT,
        postcode=st.text(max_size=10),
        town=TEXT,
        latitude=st.one_of(st.none(), st.floats(-90, 90)),
        longitude=st.one_of(st.none(), st.floats(-180, 180)),
    ),
)


@st.composite
def entries(draw: st.DrawFn) -> tuple[str, FeedEntry]:
    starts_at = draw(MOMENTS)
    value = CalendarEvent(
        uid=draw(st.one_of(st.just("event-7@roadshow"), TEXT.filter(bool))),
        sequence=draw(st.integers(0, 10_000)),
        slug=draw(st.from_regex(r"[a-z0-9-]{1,90}", fullmatch=True)),
        title=draw(TEXT),
        description=draw(TEXT),
        starts_at=starts_at,
        ends_at=starts_at + draw(st.timedeltas(timedelta(0), timedelta(days=3))),
        timezone=draw(ZONES),
        cancelled=draw(st.booleans()),
        content_changed_at=draw(st.one_of(st.none(), MOMENTS)),
        venue=draw(VENUES),
    )
    entry = FeedEntry(
        value,
        changed_at=draw(MOMENTS),
        cancelled=draw(st.booleans()),
        waitlisted=draw(st.booleans()),
        join_url=draw(st.one_of(st.none(), st.just("https://zoom.example/j/81234567890?pwd=x"))),
    )
    return draw(st.sampled_from(["", "Abgesagt: ", "Warteliste: ", "Cancelled: "])), entry


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(entries())
def test_a_feed_vevent_is_written_as_icalendar_writes_it(app, prefixed_entry):
    prefix, entry = prefixed_entry
    with app.app_context():
        event_url = f"{BASE_URL}/events/{entry.value.slug}"
        reference = _render_vevent_with_icalendar(event_url, prefix, entry)
        assert _render_vevent(BASE_URL, prefix, entry) == reference


def test_folding_keeps_lines_short_and_escapes_whole():
    line = "DESCRIPTION:" + "x" * 61 + "\\,ä" * 30
    folded = fold(line)
    physical = folded.split(b"\r\n")
    assert max(len(part) for part in physical) <= 75
    assert all(not part.endswith(b"\\") for part in physical)
    assert folded.replace(b"\r\n ", b"").decode() == line


def test_zones_that_icalendar_writes_in_utc_are_left_to_it():
    assert writes_tzid("Europe/Berlin")
    assert not writes_tzid("UTC")
