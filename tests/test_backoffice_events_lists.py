"""The organisers' lists: every event with filters and pages, tours, venues; a fixed
number of queries whatever the number of rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from roadshow.accounts.models import Role
from roadshow.events.models import Event, EventKind, EventStatus, Tour, Venue
from roadshow.extensions import db
from tests.fixtures_feeds import berlin, next_year
from tests.fixtures_pages import log_in

YEAR = next_year()
STATUSES = [EventStatus.PUBLISHED, EventStatus.DRAFT, EventStatus.CANCELLED]


@pytest.fixture
def organiser(make_user, submit_form):
    user = make_user(role=Role.ORGANISER)
    log_in(submit_form, user)
    return user


def plan(count: int, prefix: str = "") -> list[Event]:
    """``count`` events over three tours and five venues, one day apart, in one commit."""
    tours = [Tour(slug=f"{prefix}tour-{n}", title=f"Tour {n}") for n in range(3)]
    venues = [
        Venue(name=f"Halle {n}", street="Markt 1", postcode="82362", town=f"Stadt {n}")
        for n in range(5)
    ]
    start = berlin(YEAR, 3, 1, 18)
    events = [
        Event(
            kind=EventKind.STOP,
            status=STATUSES[n % 3],
            slug=f"{prefix}stopp-{n}",
            title=f"Stopp {n:03d}",
            tour=tours[n % 3],
            venue=venues[n % 5],
            starts_at=start + timedelta(days=n),
            ends_at=start + timedelta(days=n, hours=3),
            capacity=30,
        )
        for n in range(count)
    ]
    db.session.add_all([*tours, *venues, *events])
    db.session.commit()
    return events


def queries_for(client, count_queries, url: str) -> int:
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/organiser/events/", "/organiser/tours/", "/organiser/venues/"])
def test_list_pages_take_the_same_number_of_queries_for_5_and_200_events(
    app, client, organiser, count_queries, url
):
    plan(5)
    small = queries_for(client, count_queries, url)
    plan(195, prefix="more-")
    large = queries_for(client, count_queries, url)
    assert small == large, (small, large)
    assert large <= 10


def test_every_event_soonest_first_with_seats_status_and_links(app, client, organiser):
    events = plan(5)
    page = client.get("/organiser/events/").get_data(as_text=True)
    positions = [page.index(f'id="event-{e.id}"') for e in events]
    assert positions == sorted(positions)
    row = page[positions[1] : page.index("</tr>", positions[1])]
    assert "Stopp 001" in row and "Stadt 1" in row and "0/30" in row and "Entwurf" in row
    assert f'href="/organiser/events/{events[1].id}/edit"' in row
    assert f'href="/organiser/events/{events[1].id}/registrations"' in row
    cancelled = page[positions[2] : page.index("</tr>", positions[2])]
    assert "abgesagt" in cancelled


def test_filters_and_pages(app, client, organiser):
    events = plan(120)
    drafts = client.get("/organiser/events/?status=draft").get_data(as_text=True)
    assert "40 Veranstaltungen" in drafts
    assert "Stopp 001" in drafts and "Stopp 000" not in drafts

    tour = events[0].tour
    searched = client.get(f"/organiser/events/?q=stopp+00&tour={tour.id}&kind=stop")
    text = searched.get_data(as_text=True)
    assert "4 Veranstaltungen" in text  # 000, 003, 006, 009
    assert "Stopp 003" in text and "Stopp 001" not in text

    first = client.get("/organiser/events/").get_data(as_text=True)
    assert "Seite 1 von 3" in first and "Stopp 049" in first and "Stopp 050" not in first
    third = client.get("/organiser/events/?page=3").get_data(as_text=True)
    assert "Stopp 119" in third and "Stopp 099" not in third
    assert 'rel="prev" href="/organiser/events/?page=2"' in third
    beyond = client.get("/organiser/events/?page=99&status=bogus&tour=x").get_data(as_text=True)
    assert "Seite 3 von 3" in beyond  # unknown filters are ignored, the page is the last


def test_tours_list_counts_stops_and_venues_list_counts_events(app, client, organiser):
    events = plan(9)
    tours = client.get("/organiser/tours/").get_data(as_text=True)
    tour = events[0].tour
    row = tours[tours.index(f'id="tour-{tour.id}"') :]
    row = row[: row.index("</tr>")]
    # Stops 0, 3 and 6 belong to it, none of them cancelled.
    assert re.search(r"<td[^>]*>3</td>", row)
    assert "1. März" in row

    tour_page = client.get(f"/organiser/tours/{tour.id}/edit").get_data(as_text=True)
    for event in events[0::3]:
        assert f'href="/organiser/events/{event.id}/edit"' in tour_page
    assert f"/organiser/events/new?tour={tour.id}" in tour_page

    venues = client.get("/organiser/venues/").get_data(as_text=True)
    venue = events[0].venue  # events 0 (published) and 5 (cancelled)
    row = venues[venues.index(f'id="venue-{venue.id}"') :]
    assert re.search(r"<td[^>]*>1</td>", row[: row.index("</tr>")])
