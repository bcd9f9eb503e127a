"""Public feeds: calendar properties, three independent parsers, filters, escaping."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import icalendar
import recurring_ical_events
import vobject
from ical.calendar_stream import IcsCalendarStream

from roadshow.calendar.feeds import build_feed, public_entries, select_feed_events, window_start
from roadshow.calendar.filters import FeedFilter
from roadshow.calendar.rendering import clear_caches
from roadshow.events.models import EventKind, EventStatus, PartnerRole
from roadshow.events.services import cancel_event, change_event
from roadshow.extensions import db
from roadshow.pagecache import page_cache
from tests.fixtures_feeds import berlin, retitle_event
from tests.fixtures_settings import configure

ICS = "text/calendar; charset=utf-8"


def lines_of(body: bytes) -> list[str]:
    """Content lines after unfolding (RFC 5545, 3.1)."""
    return body.decode("utf-8").replace("\r\n ", "").split("\r\n")


def vevents(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_feed_has_the_calendar_properties_and_no_method_or_attendee(client, spring_tour):
    response = client.get("/calendar.ics")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == ICS
    lines = lines_of(response.data)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert "NAME:Roadshow: alle Veranstaltungen" in lines
    assert "X-WR-CALNAME:Roadshow: alle Veranstaltungen" in lines
    assert "X-WR-TIMEZONE:Europe/Berlin" in lines
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT6H" in lines
    assert "X-PUBLISHED-TTL:PT6H" in lines
    assert not [line for line in lines if line.startswith(("METHOD", "ATTENDEE"))]
    assert len(vevents(response.data)) == len(spring_tour.events)


def test_three_parsers_and_recurring_ical_events_read_the_same_times(
    client, spring_tour, libical_read
):
    cancel_event(db.session, spring_tour.webinars[1])
    db.session.commit()
    body = client.get("/calendar.ics").data
    expected = {e.uid: e.starts_at for e in spring_tour.events}

    by_vobject = {
        v.uid.value: v.dtstart.value.astimezone(UTC)
        for v in vobject.readOne(body.decode()).vevent_list
    }
    strict = IcsCalendarStream.calendar_from_ics(body.decode())
    by_ical = {e.uid: e.dtstart.astimezone(UTC) for e in strict.events}
    by_libical = libical_read(body)
    assert by_libical["errors"] == 0
    assert by_libical["kind"] == "vcalendar_component"
    assert by_libical["methods"] == 0
    by_libical_starts = {
        e["uid"]: datetime.strptime(e["start_utc"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        for e in by_libical["events"]
    }
    assert by_vobject == by_ical == by_libical_starts == expected
    assert {e["tzid"] for e in by_libical["events"]} == {"Europe/Berlin"}

    cancelled = spring_tour.webinars[1].uid
    assert [e["status"] for e in by_libical["events"] if e["uid"] == cancelled] == ["cancelled"]
    assert [str(e.status) for e in strict.events if e.uid == cancelled] == ["EventStatus.CANCELLED"]

    # The weekly webinar: one VEVENT per date, each with its own UID, at 12:00 local
    # before and after the change to summer time (11:00 UTC in March, 10:00 in April).
    year = spring_tour.year
    expanded = recurring_ical_events.of(icalendar.Calendar.from_ical(body)).between(
        date(year, 3, 1), date(year, 5, 1)
    )
    webinars = [e for e in expanded if str(e["SUMMARY"]).endswith("Digitale Mittagspause")]
    assert len({str(e["UID"]) for e in webinars}) == 5
    assert [(e.start.month, e.start.day, e.start.hour) for e in webinars] == [
        (3, 17, 12),
        (3, 24, 12),
        (3, 31, 12),
        (4, 7, 12),
        (4, 14, 12),
    ]
    assert [e.start.astimezone(UTC).hour for e in webinars] == [11, 11, 10, 10, 10]
    assert not any("RRULE" in e for e in webinars)


def test_public_feeds_never_hold_join_links(client, spring_tour):
    webinar = spring_tour.webinars[0]
    for url in ("/calendar.ics", "/calendar.ics?kind=webinar", f"/events/{webinar.slug}.ics"):
        body = client.get(url).get_data(as_text=True)
        assert "UID:" + webinar.uid in body
        assert "webinar.roadshow.example" not in body


def test_dtstamp_is_the_last_change_and_an_unchanged_feed_keeps_its_bytes(
    app, db, client, spring_tour
):
    stop = spring_tour.rosenheim_stop
    stop.content_changed_at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    db.session.commit()

    first = client.get("/calendar.ics").data
    event = vevents(first)[stop.uid]
    assert event.to_ical().count(b"DTSTAMP:20250102T030405Z") == 1
    assert event.to_ical().count(b"LAST-MODIFIED:20250102T030405Z") == 1

    # Early and late on the same day, and from a cold cache: the same bytes.
    day = window_start(datetime.now(UTC))
    events = select_feed_events(db.session, FeedFilter(), now=day)
    early = build_feed(public_entries(events), name="x", language="de", now=day)
    clear_caches()
    late = build_feed(
        public_entries(events), name="x", language="de", now=day + timedelta(hours=23)
    )
    assert early.body == late.body
    assert client.get("/calendar.ics").data == first


def test_etag_and_last_modified_answer_304(client, spring_tour):
    first = client.get("/calendar.ics")
    etag = first.headers["ETag"]
    last_modified = first.headers["Last-Modified"]
    assert etag.startswith('"') and len(etag) > 20

    again = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag

    since = client.get("/calendar.ics", headers={"If-Modified-Since": last_modified})
    assert since.status_code == 304
    older = client.get(
        "/calendar.ics", headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}
    )
    assert older.status_code == 200
    other = client.get("/calendar.ics", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data


def test_changing_one_event_changes_the_etag_and_only_its_sequence(client, spring_tour):
    first = client.get("/calendar.ics")
    before = {uid: int(e["SEQUENCE"]) for uid, e in vevents(first.data).items()}
    moved = spring_tour.weilheim_stop
    change_event(db.session, moved, starts_at=moved.starts_at + timedelta(hours=1))
    db.session.commit()

    second = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert second.headers["ETag"] != first.headers["ETag"]
    after = {uid: int(e["SEQUENCE"]) for uid, e in vevents(second.data).items()}
    assert after[moved.uid] == before[moved.uid] + 1
    assert {u: s for u, s in after.items() if u != moved.uid} == {
        u: s for u, s in before.items() if u != moved.uid
    }
    assert vevents(second.data)[moved.uid].start == berlin(spring_tour.year, 4, 6, 19)


def test_cancelled_events_stay_30_days_marked_then_leave(app, db, client, spring_tour):
    webinar = spring_tour.webinars[2]
    sequence = webinar.sequence
    cancel_event(db.session, webinar)
    db.session.commit()

    event = vevents(client.get("/calendar.ics").data)[webinar.uid]
    assert event["STATUS"] == "CANCELLED"
    assert int(event["SEQUENCE"]) == sequence + 1
    assert event["SUMMARY"] == "Abgesagt: Digitale Mittagspause"
    english = vevents(client.get("/calendar.ics?lang=en").data)[webinar.uid]
    assert english["SUMMARY"] == "Cancelled: Digitale Mittagspause"

    webinar.cancelled_at = datetime.now(UTC) - timedelta(days=29)
    db.session.commit()
    assert webinar.uid in vevents(client.get("/calendar.ics").data)
    webinar.cancelled_at = datetime.now(UTC) - timedelta(days=31)
    db.session.commit()
    assert webinar.uid not in vevents(client.get("/calendar.ics").data)


def test_drafts_and_long_past_events_are_not_in_feeds(client, make_event):
    draft = make_event(status=EventStatus.DRAFT)
    recent = make_event(starts_at=datetime.now(UTC) - timedelta(days=20))
    old = make_event(starts_at=datetime.now(UTC) - timedelta(days=200))
    uids = vevents(client.get("/calendar.ics").data)
    assert recent.uid in uids
    assert draft.uid not in uids and old.uid not in uids


def test_text_is_escaped_and_folded_at_75_octets(client, make_event, libical_read):
    title = "Kaffee, Kuchen; Käse\nund Brötchen"
    description = "Größere Übungen für Bäckereien, Metzgereien; Öffnungszeiten\n" * 3
    event = make_event(title=title, description=description)
    body = client.get(f"/events/{event.slug}.ics").data

    raw_lines = body.split(b"\r\n")
    assert all(len(line) <= 75 for line in raw_lines)
    for line in raw_lines:
        line.decode("utf-8")  # folding never splits an umlaut
    assert any(line.startswith(b" ") for line in raw_lines)
    assert "SUMMARY:Kaffee\\, Kuchen\\; Käse\\nund Brötchen" in lines_of(body)

    parsed = vobject.readOne(body.decode()).vevent
    assert parsed.summary.value == title
    assert parsed.description.value.startswith(description.strip())
    strict = IcsCalendarStream.calendar_from_ics(body.decode()).events[0]
    assert strict.summary == title
    assert [e["summary"] for e in libical_read(body)["events"]] == [title]


def test_an_injected_attendee_in_a_title_stays_text(client, make_event, libical_read):
    title = "Webinar\r\nATTENDEE:mailto:x@evil.example\r\nMETHOD:REQUEST"
    event = make_event(title=title, kind=EventKind.WEBINAR, venue=None)
    for url in (f"/events/{event.slug}.ics", "/calendar.ics"):
        body = client.get(url).data
        assert not [line for line in lines_of(body) if line.startswith(("ATTENDEE", "METHOD"))]
        assert vobject.readOne(body.decode()).vevent.contents.get("attendee") is None
        strict = IcsCalendarStream.calendar_from_ics(body.decode()).events[0]
        assert strict.attendees == []
        assert "ATTENDEE:mailto:x@evil.example" in strict.summary
        read = libical_read(body)
        assert read["methods"] == 0
        assert [e["attendees"] for e in read["events"]] == [0]


def test_filters_add_towns_and_kinds_and_narrow_by_tour_and_partner(
    client, spring_tour, make_event
):
    other = make_event(kind=EventKind.WEBINAR, venue=None, title="Ohne Tour")
    tour = spring_tour

    def uids(query: str) -> set[str]:
        response = client.get("/calendar.ics" + query)
        assert response.status_code == 200, query
        return set(vevents(response.data))

    rosenheim = {tour.rosenheim_stop.uid, tour.rosenheim_workshop.uid}
    webinars = {w.uid for w in tour.webinars} | {other.uid}
    assert uids("?town=Rosenheim") == rosenheim
    assert uids("?town=rosenheim&kind=webinar") == rosenheim | webinars
    assert uids("?town=Rosenheim&town=Weilheim") == rosenheim | {tour.weilheim_stop.uid}
    assert uids(f"?tour={tour.tour.slug}&kind=webinar") == {w.uid for w in tour.webinars}
    assert uids("?partner=alpentel") == {tour.rosenheim_stop.uid}
    assert uids(f"?partner=alpentel&tour={tour.tour.slug}&town=Weilheim") == set()
    assert uids("") == {e.uid for e in tour.events} | {other.uid}

    named = lines_of(client.get("/calendar.ics?town=Rosenheim&kind=webinar").data)
    assert "X-WR-CALNAME:Roadshow: Rosenheim\\, Webinare" in named
    for bad in (
        "?town=Atlantis",
        "?kind=party",
        "?tour=nope",
        "?partner=nope",
        "?town=" + "x" * 500,
    ):
        assert client.get("/calendar.ics" + bad).status_code == 404


def test_feed_queries_do_not_grow_with_the_events(client, make_event, make_partner, count_queries):
    partner = make_partner()
    for _ in range(3):
        make_event(partners={partner: PartnerRole.HOST})
    url = f"/calendar.ics?town=Weilheim&kind=webinar&partner={partner.slug}"

    def queries() -> int:
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    few = queries()
    for _ in range(30):
        make_event(partners={partner: PartnerRole.SPEAKER})
    assert queries() == few
    assert len(vevents(client.get(url).data)) == 33


def test_one_event_ics_does_not_shadow_the_event_page(client, make_event):
    event = make_event()
    draft = make_event(status=EventStatus.DRAFT)
    response = client.get(f"/events/{event.slug}.ics")
    assert response.headers["Content-Type"] == ICS
    assert list(vevents(response.data)) == [event.uid]
    assert client.get(f"/events/{event.slug}").headers["Content-Type"].startswith("text/html")
    assert client.get(f"/events/{draft.slug}.ics").status_code == 404
    assert client.get("/events/no-such-event.ics").status_code == 404


def test_cached_feeds_follow_every_change_to_what_they_show(app, db, client, spring_tour):
    """Rendered events and feeds are cached by their content, so no change is missed,
    even one made without raising ``content_changed_at``."""
    url = f"/calendar.ics?tour={spring_tour.tour.slug}"
    first = client.get(url)
    venue = spring_tour.rosenheim_stop.venue
    venue.name = "Ballhaus Rosenheim"
    db.session.commit()
    second = client.get(url)
    assert second.headers["ETag"] != first.headers["ETag"]
    location = vevents(second.data)[spring_tour.rosenheim_stop.uid]["LOCATION"]
    assert location.startswith("Ballhaus Rosenheim, Kufsteiner Straße 4")

    spring_tour.weilheim_stop.description = "Neu: mit Sprechstunde zur Förderung."
    spring_tour.tour.title = "Digital vor Ort – Frühjahr"
    db.session.commit()
    third = client.get(url)
    assert "Sprechstunde zur Förderung" in third.get_data(as_text=True)
    assert "X-WR-CALNAME:Roadshow: Digital vor Ort – Frühjahr" in lines_of(third.data)

    configure(app, BASE_URL="https://termine.roadshow.example")
    assert "URL:https://termine.roadshow.example/events/" in client.get(url).get_data(as_text=True)


def test_the_feeds_page_offers_links_for_a_choice_in_both_languages(client, spring_tour):
    page = client.get("/calendar?town=Rosenheim&kind=webinar").get_data(as_text=True)
    feed = "http://roadshow.example/calendar.ics?town=Rosenheim&amp;kind=webinar"
    assert f'value="{feed}"' in page
    assert 'href="webcal://roadshow.example/calendar.ics?town=Rosenheim&amp;kind=webinar"' in page
    assert (
        "https://calendar.google.com/calendar/r?cid="
        "webcal%3A%2F%2Froadshow.example%2Fcalendar.ics%3Ftown%3DRosenheim%26kind%3Dwebinar"
    ) in page
    assert "Kalender abonnieren: Rosenheim, Webinare" in page
    assert 'href="http://roadshow.example/subscribe?town=Rosenheim&amp;kind=webinar"' in page

    client.get("/language/en")
    english = client.get("/calendar?town=Rosenheim&kind=webinar").get_data(as_text=True)
    assert "Subscribe to the calendar: Rosenheim, Webinars" in english
    assert "Add to Google Calendar" in english
    subscribe_page = client.get("/subscribe?town=Rosenheim").get_data(as_text=True)
    assert "Subscribe to a personal calendar" in subscribe_page
    assert re.search(r'checked[^>]*value="Rosenheim"|value="Rosenheim"[^>]*checked', subscribe_page)


def test_an_unchanged_feed_is_answered_without_loading_its_events(
    client, spring_tour, count_queries
):
    url = f"/calendar.ics?tour={spring_tour.tour.slug}"

    def statements(headers: dict[str, str] | None = None) -> tuple[int, list[str]]:
        with count_queries() as queries:
            response = client.get(url, headers=headers or {})
        return response.status_code, list(queries)

    status, first = statements()
    etag = client.get(url).headers["ETag"]
    again_status, again = statements({"If-None-Match": etag})
    assert (status, again_status) == (200, 304)
    # The first answer read the filter's choices, the feed's stamp, then its rows to render
    # them; the 304 comes from the answer kept (roadshow.pagecache): the content version.
    assert "event.title" in first[-1] and any("count(" in q for q in first)
    assert again == ["SELECT value FROM content_version WHERE id = 1"]
    # A worker that has not kept it answers from the feed's stamp alone.
    page_cache().clear()
    cold_status, cold = statements({"If-None-Match": etag})
    assert cold_status == 304
    assert len(first) == len(cold) + 1
    assert "count(" in cold[-1] and not any("event.title" in q for q in cold)

    # No event service changes a title; retitle_event does it as a real change would.
    retitle_event(spring_tour.webinars[0], "Digitale Mittagspause: KI im Büro")
    changed_status, changed = statements({"If-None-Match": etag})
    assert changed_status == 200 and len(changed) == len(first)


def test_every_value_a_vevent_shows_reaches_the_public_feed(
    app, db, client, spring_tour, count_queries
):
    """Each change made on the rows alone (no SEQUENCE raised, no ``content_changed_at``,
    unlike a real change) still gives new bytes and a new ETag: the bytes that a rendering
    with empty caches gives. Asked again, the changed feed comes from the cache."""
    stop = spring_tour.rosenheim_stop
    venue = stop.venue

    def event(**values):
        return lambda: [setattr(stop, name, value) for name, value in values.items()]

    def place(**values):
        return lambda: [setattr(venue, name, value) for name, value in values.items()]

    changes = {
        "title": event(title="Digital vor Ort: Rosenheim am Inn"),
        "description": event(description="Mit Sprechstunde zur Förderung."),
        "starts_at": event(starts_at=stop.starts_at + timedelta(hours=1)),
        "ends_at": event(ends_at=stop.ends_at + timedelta(hours=1)),
        "timezone": event(timezone="Europe/Vienna"),
        "slug": event(slug=f"{stop.slug}-neu"),
        "sequence": event(sequence=stop.sequence + 1),
        "uid": event(uid="renamed@roadshow"),
        "content_changed_at": event(content_changed_at=datetime(2025, 1, 2, 3, 4, tzinfo=UTC)),
        "status": event(status=EventStatus.CANCELLED, cancelled_at=datetime.now(UTC)),
        "venue name": place(name="Ballhaus"),
        "venue street": place(street="Kufsteiner Straße 5"),
        "venue postcode": place(postcode="83024"),
        "venue town": place(town="Kolbermoor"),
        "venue coordinates": place(latitude=47.85, longitude=12.12),
        "venue latitude": place(latitude=47.86),
        "venue longitude": place(longitude=12.13),
    }

    def fetch(etag: str | None = None):
        with count_queries() as queries:
            response = client.get("/calendar.ics", headers={"If-None-Match": etag or ""})
        return response, len(queries)

    before, rendering = fetch()
    again, light = fetch(before.headers["ETag"])
    # The feed of all events: the answer kept answers the 304 (the content version, one
    # query); the stamp and the rows were read only to render the first answer.
    assert (again.status_code, light, rendering) == (304, 1, 3)
    for what, change in changes.items():
        change()
        db.session.commit()
        after, _ = fetch(before.headers["ETag"])
        assert after.status_code == 200, what
        assert after.headers["ETag"] != before.headers["ETag"], what
        assert after.data != before.data, what
        clear_caches()
        assert client.get("/calendar.ics").data == after.data, what
        repeated, queries = fetch(after.headers["ETag"])
        assert (repeated.status_code, queries) == (304, light), what
        before = after
