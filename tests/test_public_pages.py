"""Public pages: listing with filters and seats, event page, tour page, bounded queries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from roadshow.events.models import EventKind, EventStatus, PartnerRole
from roadshow.events.views import PAGE_SIZE
from tests.fixtures_pages import german_day_written_out, seed_demo_ahead

NOW = datetime.now(UTC).replace(microsecond=0)


def titles(page: str) -> list[str]:
    return re.findall(r'<a class="title" href="[^"]+">([^<]+)</a>', page)


def partners_under(page: str, role: str) -> list[str]:
    """The partner names the event page lists under one role."""
    block = page[page.index(f"<dt>{role}</dt>") :]
    block = block[: block.index("</dd>")]
    return re.findall(r'<li class="partner[^"]*">(?:<img [^>]+>)?<(?:span|a [^>]+)>([^<]+)<', block)


def card_of(page: str, title: str) -> str:
    """The listing's card (or row) of the event with that title."""
    start = page.rindex("<li", 0, page.index(f">{title}</a>"))
    return page[start : page.index("</li>", start)]


def test_the_listing_shows_stops_by_tour_as_cards_then_the_rest_by_month(
    client, make_event, make_tour, make_venue, make_partner, register_company
):
    tour = make_tour(title="Digital vor Ort 2027")
    soon = datetime(NOW.year + 1, 4, 6, 16, tzinfo=UTC)
    host = make_partner(name="Alpentel Kommunikation GmbH")
    stop = make_event(
        title="Stopp Weilheim",
        tour=tour,
        starts_at=soon,
        capacity=3,
        venue=make_venue(name="Stadthalle Weilheim", town="Weilheim"),
        partners={host: PartnerRole.HOST},
    )
    make_event(title="Stopp Mühldorf", tour=tour, starts_at=soon + timedelta(days=31))
    make_event(title="Ohne Tour", starts_at=soon + timedelta(days=1), capacity=1)
    make_event(title="Webinar April", kind=EventKind.WEBINAR, starts_at=soon + timedelta(days=2))
    make_event(title="Workshop Mai", kind=EventKind.WORKSHOP, starts_at=soon + timedelta(days=30))
    register_company(stop, "Ada", "Max")
    page = client.get("/").get_data(as_text=True)
    assert '<a href="/tours/' in page and "Digital vor Ort 2027" in page
    assert "Weitere Veranstaltungen" in page
    assert page.index("Stopp Weilheim") < page.index("Stopp Mühldorf") < page.index("Ohne Tour")
    card = card_of(page, "Stopp Weilheim")
    assert 'class="card event event-stop' in card
    for shown in ("Weilheim", "Stadthalle Weilheim", "Alpentel Kommunikation GmbH"):
        assert shown in card
    assert "Noch 1 Platz frei" in card
    assert f'href="/events/{stop.slug}/register"' in card and "Anmelden" in card
    # Webinars and workshops come after the stops, under month headings.
    assert page.index("Ohne Tour") < page.index("Webinare und Workshops")
    assert page.index("<h3>April") < page.index("Webinar April") < page.index("<h3>Mai")
    assert page.index("<h3>Mai") < page.index("Workshop Mai")
    assert 'class="card' not in card_of(page, "Webinar April")


def test_a_full_event_and_a_cancelled_event_are_labelled(client, make_event, register_company):
    full = make_event(title="Voll", capacity=1)
    register_company(full, "Ada")
    make_event(title="Fällt aus", status=EventStatus.CANCELLED)
    page = client.get("/").get_data(as_text=True)
    full_card = card_of(page, "Voll")
    assert "Ausgebucht – Warteliste" in full_card and "Auf die Warteliste" in full_card
    cancelled_card = card_of(page, "Fällt aus")
    assert "Abgesagt</strong>" in cancelled_card and "/register" not in cancelled_card


def test_the_listing_filters_by_town_kind_partner_and_tour(
    client, make_event, make_venue, make_partner, make_tour
):
    partner = make_partner(slug="alpentel", name="Alpentel")
    tour = make_tour(slug="tour-a")
    rosenheim = make_venue(town="Rosenheim")
    make_event(title="Stopp Rosenheim", venue=rosenheim, tour=tour)
    make_event(title="Stopp Weilheim", partners={partner: PartnerRole.HOST})
    make_event(
        title="Webinar online", kind=EventKind.WEBINAR, partners={partner: PartnerRole.SPEAKER}
    )
    make_event(title="Workshop Weilheim", kind=EventKind.WORKSHOP)

    assert titles(client.get("/?town=rosenheim").get_data(as_text=True)) == ["Stopp Rosenheim"]
    assert titles(client.get("/?kind=webinar").get_data(as_text=True)) == ["Webinar online"]
    assert titles(client.get("/?partner=alpentel").get_data(as_text=True)) == [
        "Stopp Weilheim",
        "Webinar online",
    ]
    assert titles(client.get("/?tour=tour-a").get_data(as_text=True)) == ["Stopp Rosenheim"]
    combined = client.get("/?town=Weilheim&kind=workshop").get_data(as_text=True)
    assert titles(combined) == ["Workshop Weilheim"]
    assert '<option value="workshop" selected>' in combined
    nothing = client.get("/?town=Hamburg").get_data(as_text=True)
    assert "Keine Veranstaltung passt zu Ihrer Auswahl." in nothing
    assert len(titles(client.get("/?kind=nonsense").get_data(as_text=True))) == 4
    page = client.get("/").get_data(as_text=True)
    assert '<option value="Rosenheim">Rosenheim</option>' in page
    assert '<option value="alpentel">Alpentel</option>' in page


def test_the_event_page_has_local_time_zone_venue_map_link_partners_and_seats(
    client, make_event, make_venue, make_partner, register_company
):
    host = make_partner(name="Alpentel Kommunikation GmbH")
    speaker = make_partner(name="SicherIT Security GmbH")
    venue = make_venue(name="Stadthalle Weilheim", street="Krumpperplatz 4", postcode="82362")
    event = make_event(
        title="Digital vor Ort: Weilheim",
        description="Vorträge und Beratung.",
        starts_at=datetime(NOW.year + 1, 4, 6, 16, tzinfo=UTC),  # 18:00 in Berlin (summer)
        venue=venue,
        capacity=60,
        partners={host: PartnerRole.HOST, speaker: PartnerRole.SPEAKER},
    )
    register_company(event, "Ada", "Max")
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "18:00–21:00 Uhr" in page
    assert '<abbr class="zone" title="Europe/Berlin">MESZ</abbr>' in page
    assert "Stadthalle Weilheim<br>Krumpperplatz 4, 82362 Weilheim" in page
    assert (
        'href="https://www.openstreetmap.org/search?query=Stadthalle+Weilheim%2C+Krumpperplatz'
        in page
    )
    assert "<iframe" not in page and "<script" not in page
    assert partners_under(page, "Gastgeber") == ["Alpentel Kommunikation GmbH"]
    assert partners_under(page, "Vortrag") == ["SicherIT Security GmbH"]
    assert "Vorträge und Beratung." in page
    assert "Noch 58 Plätze frei" in page
    assert f'href="/events/{event.slug}/register"' in page and "Jetzt anmelden" in page

    english = client.get(f"/events/{event.slug}?lang=en").get_data(as_text=True)
    assert "18:00–21:00" in english and "Central European Summer Time" in english
    assert "58 seats left" in english and "Register now" in english


def test_a_venue_with_coordinates_links_to_that_point(client, make_event, make_venue):
    venue = make_venue(latitude=47.8399, longitude=11.1428)
    event = make_event(venue=venue)
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "https://www.openstreetmap.org/?mlat=47.83990&amp;mlon=11.14280#map=17/" in page


def test_a_cancelled_event_page_says_so_and_offers_no_registration(client, make_event):
    event = make_event(status=EventStatus.CANCELLED)
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Diese Veranstaltung findet nicht statt." in page
    assert "Jetzt anmelden" not in page
    assert "Anmeldungen sind nicht mehr möglich" in page


def test_a_full_event_offers_the_waiting_list(client, make_event, register_company):
    event = make_event(capacity=1)
    register_company(event, "Ada")
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Ausgebucht. Neue Anmeldungen kommen auf die Warteliste." in page
    assert "Auf die Warteliste</a>" in page


def test_the_tour_page_lists_all_stops_in_order(client, make_event, make_tour, make_venue):
    tour = make_tour(slug="digital-vor-ort", title="Digital vor Ort", description="Fünf Abende.")
    base = datetime(NOW.year + 1, 3, 23, 17, tzinfo=UTC)
    for offset, town in ((14, "Weilheim"), (0, "München"), (28, "Mühldorf")):
        make_event(
            title=f"Stopp {town}",
            tour=tour,
            venue=make_venue(town=town),
            starts_at=base + timedelta(days=offset),
        )
    make_event(title="Stopp Vorjahr", tour=tour, starts_at=NOW - timedelta(days=300))
    make_event(title="Entwurf", tour=tour, status=EventStatus.DRAFT)
    make_event(title="Webinar der Tour", tour=tour, kind=EventKind.WEBINAR)
    page = client.get("/tours/digital-vor-ort").get_data(as_text=True)
    assert "Fünf Abende." in page
    assert titles(page) == [
        "Stopp Vorjahr",
        "Stopp München",
        "Stopp Weilheim",
        "Stopp Mühldorf",
        "Webinar der Tour",
    ]
    assert '<span class="past">vorbei</span>' in page
    assert client.get("/tours/unknown").status_code == 404


def test_the_weilheim_stop_of_the_demo_is_found_from_the_start_page(app, db, client):
    weilheim = seed_demo_ahead(db.session)
    start = client.get("/").get_data(as_text=True)
    link = re.search(r'href="([^"]+)">Digital vor Ort: Weilheim</a>', start).group(1)
    page = client.get(link).get_data(as_text=True)
    assert "Stadthalle Weilheim" in page and german_day_written_out(weilheim) in page
    assert "Alpentel Kommunikation GmbH" in page


def _many(make_event, make_tour, make_partner, register_company, count: int):
    tour = make_tour(slug=f"tour-{count}")
    partners = [make_partner() for _ in range(3)]
    events = []
    for n in range(count):
        roles = {partners[n % 3]: PartnerRole.HOST, partners[(n + 1) % 3]: PartnerRole.SPEAKER}
        event = make_event(
            tour=tour,
            capacity=5,
            partners=roles,
            starts_at=NOW + timedelta(days=10 + n * 7),
            kind=list(EventKind)[n % 3],
        )
        events.append(event)
        register_company(event, *[f"Gast {count} {n} {i}" for i in range(2)])
    return tour, events


def test_pages_take_the_same_number_of_queries_for_one_or_thirty_five_events(
    app, db, client, make_event, make_tour, make_partner, register_company, count_queries
):
    small_tour, small = _many(make_event, make_tour, make_partner, register_company, 1)
    figures = {}
    for label in ("1", "35"):
        if label == "35":
            big_tour, big = _many(make_event, make_tour, make_partner, register_company, 34)
        tour = small_tour if label == "1" else big_tour
        event = small[0] if label == "1" else big[-1]
        for name, url in (
            ("listing", "/"),
            ("filtered listing", "/?kind=stop&town=Weilheim"),
            ("event page", f"/events/{event.slug}"),
            ("tour page", f"/tours/{tour.slug}"),
            ("registration form", f"/events/{event.slug}/register"),
        ):
            with count_queries() as queries:
                response = client.get(url)
            assert response.status_code == 200
            figures.setdefault(name, []).append(len(queries))
    print("\nqueries with 1 event / with 35 events (2 registrations each):")
    for name, (one, many) in figures.items():
        print(f"  {name}: {one} / {many}")
    assert all(one == many for one, many in figures.values()), figures
    assert len(titles(client.get("/").get_data(as_text=True))) == PAGE_SIZE
    assert len(titles(client.get("/?page=2").get_data(as_text=True))) == 35 - PAGE_SIZE


def test_an_unknown_event_is_404(client):
    assert client.get("/events/nope").status_code == 404
