"""An organiser plans a tour on the pages: a tour, three venues, three stops, publishing;
then moves a stop that has attendees, after a preview of who will be told."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from roadshow.accounts.models import AuditLog, Role
from roadshow.events.models import Event, EventStatus, PartnerRole, Tour, Venue
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_due
from roadshow.mail.models import OutboxMessage
from tests.fixtures_feeds import berlin, confirm, next_year, subscribe
from tests.fixtures_mail import calendar_parts
from tests.fixtures_pages import log_in
from tests.fixtures_planning import form_values, press

YEAR = next_year()
TOWNS = [("Weilheim", "82362"), ("Rosenheim", "83022"), ("Mühldorf", "84453")]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def field_html(page: str, name: str) -> str:
    """The ``<div class="field">`` around the input named ``name``."""
    start = page.rindex('<div class="field', 0, page.index(f'name="{name}"'))
    return page[start : page.index("</div>", start)]


@pytest.fixture
def organiser(make_user, submit_form):
    user = make_user(role=Role.ORGANISER)
    log_in(submit_form, user)
    return user


def new_stop(submit_form, tour: Tour, venue: Venue, day: int, **values) -> object:
    return submit_form(
        f"/organiser/events/new?tour={tour.id}",
        {
            "kind": "stop",
            "title": f"Digital vor Ort: {venue.town}",
            "slug": "",
            "tour_id": str(tour.id),
            "venue_id": str(venue.id),
            "starts_at": f"{YEAR}-05-{day:02d}T18:00",
            "ends_at": f"{YEAR}-05-{day:02d}T21:00",
            "timezone": "Europe/Berlin",
            "capacity": "40",
            "max_attendees_per_registration": "5",
            "description": "Vorträge und Beratung",
            **values,
        },
    )


def test_an_organiser_plans_a_tour_and_moves_a_stop_after_a_preview(
    app, client, submit_form, organiser, make_registration, smtp_sink
):
    created = submit_form(
        "/organiser/tours/new", {"title": "Digital vor Ort 2027", "slug": "", "description": ""}
    )
    assert created.status_code == 302
    tour = db.session.scalar(select(Tour))
    assert tour.slug == "digital-vor-ort-2027"  # proposed from the title

    for town, postcode in TOWNS:
        response = submit_form(
            "/organiser/venues/new",
            {
                "name": f"Stadthalle {town}",
                "street": "Marktplatz 1",
                "postcode": postcode,
                "town": town,
            },
        )
        assert response.status_code == 302
    venues = db.session.scalars(select(Venue).order_by(Venue.id)).all()
    assert [v.town for v in venues] == [town for town, _ in TOWNS]

    for venue, day in zip(venues, (5, 12, 19), strict=True):
        response = new_stop(submit_form, tour, venue, day)
        assert response.status_code == 302, response.get_data(as_text=True)
    stops = db.session.scalars(select(Event).order_by(Event.starts_at)).all()
    assert [s.slug for s in stops] == [
        "digital-vor-ort-weilheim",
        "digital-vor-ort-rosenheim",
        "digital-vor-ort-muehldorf",
    ]
    assert {s.status for s in stops} == {EventStatus.DRAFT}
    assert stops[0].starts_at == berlin(YEAR, 5, 5, 18)
    assert client.get(f"/events/{stops[0].slug}").status_code == 404  # drafts are not public

    for stop in stops:
        edit = f"/organiser/events/{stop.id}/edit"
        assert "Veröffentlichen" in client.get(edit).get_data(as_text=True)
        published = submit_form(edit, {}, action=f"/organiser/events/{stop.id}/publish")
        assert published.status_code == 302
    db.session.expire_all()
    assert {s.status for s in stops} == {EventStatus.PUBLISHED}
    assert client.get(f"/events/{stops[0].slug}").status_code == 200

    tours_page = client.get("/organiser/tours/").get_data(as_text=True)
    row = tours_page[tours_page.index(f'id="tour-{tour.id}"') :]
    assert re.search(r"<td[^>]*>3</td>", row[: row.index("</tr>")])

    # A company registers two people for Rosenheim; a subscriber follows the tour.
    rosenheim = stops[1]
    make_registration(
        rosenheim,
        attendees=[("Anna Huber", "anna@huber.example"), ("Ben Huber", "ben@huber.example")],
    )
    subscribe(submit_form, "fan@example.org", tours=[tour.slug], notify_by_email="y")
    confirm(client, submit_form, "fan@example.org")
    queued_before = count(OutboxMessage)

    # Moving the stop by a day: first the preview, with nothing saved or queued.
    edit = f"/organiser/events/{rosenheim.id}/edit"
    preview = submit_form(
        edit,
        {
            "starts_at": f"{YEAR}-05-13T18:00",
            "ends_at": f"{YEAR}-05-13T21:00",
            "venue_id": str(rosenheim.venue_id),
            "join_url": "",
        },
    )
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert (
        "2 Teilnehmende aus 1 Firma erhalten eine aktualisierte Einladung; "
        "1 Abonnent·in erhält einen Hinweis." in page
    )
    assert "Speichern und benachrichtigen" in page
    assert form_values(page, edit)["starts_at"] == f"{YEAR}-05-13T18:00"  # the input is kept
    db.session.expire_all()
    assert (rosenheim.starts_at, rosenheim.sequence) == (berlin(YEAR, 5, 12, 18), 0)
    assert count(OutboxMessage) == queued_before
    deliver_due(db.session)
    assert not smtp_sink.to("anna@huber.example")

    # Only the second submit saves and tells everyone.
    saved = press(client, page, edit, "confirm")
    assert saved.status_code == 302
    db.session.expire_all()
    assert (rosenheim.starts_at, rosenheim.sequence) == (berlin(YEAR, 5, 13, 18), 1)
    deliver_due(db.session)
    for address in ("anna@huber.example", "ben@huber.example"):
        [received] = smtp_sink.to(address)
        inline, _attached = calendar_parts(received.message)
        assert inline.get_param("method") == "REQUEST"
        ics = inline.get_payload(decode=True).decode()
        assert "SEQUENCE:1" in ics
        assert f"DTSTART;TZID=Europe/Berlin:{YEAR}0513T180000" in ics
    [notice] = smtp_sink.to("fan@example.org")[-1:]
    assert "Rosenheim" in str(notice.message["Subject"])
    audit = db.session.scalar(
        select(AuditLog).where(
            AuditLog.action == "event.changed", AuditLog.event_id == rosenheim.id
        )
    )
    assert audit.actor_id == organiser.id


def test_a_taken_slug_is_refused_next_to_the_field_and_the_input_stays(
    app, client, submit_form, organiser, make_tour, make_event
):
    make_tour(slug="fruehjahr", title="Frühjahr")
    response = submit_form(
        "/organiser/tours/new", {"title": "Frühjahrstour", "slug": "fruehjahr", "description": "x"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Die Kurzbezeichnung „fruehjahr“ ist schon vergeben." in field_html(page, "slug")
    assert 'value="Frühjahrstour"' in page
    assert count(Tour) == 1

    event = make_event(slug="weilheim")
    other = make_event(slug="rosenheim", title="Rosenheim")
    edit = f"/organiser/events/{other.id}/edit"
    refused = submit_form(
        edit,
        {
            "title": "Neu: Rosenheim",
            "slug": "weilheim",
            "tour_id": "0",
            "capacity": "50",
            "max_attendees_per_registration": "5",
        },
        action=f"/organiser/events/{other.id}/details",
    )
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert "Die Kurzbezeichnung „weilheim“ ist schon vergeben." in field_html(page, "slug")
    assert 'value="Neu: Rosenheim"' in page
    db.session.expire_all()
    assert (other.slug, other.title, event.slug) == ("rosenheim", "Rosenheim", "weilheim")

    invalid = submit_form(
        "/organiser/tours/new", {"title": "Sommer", "slug": "Sommer Tour!", "description": ""}
    )
    assert "Nur Kleinbuchstaben" in field_html(invalid.get_data(as_text=True), "slug")
    assert count(Tour) == 1


def test_a_conflict_warns_and_blocks_until_overridden(
    app, client, submit_form, organiser, make_tour, make_venue, make_event
):
    tour = make_tour()
    venue = make_venue(town="Weilheim")
    booked = make_event(
        title="Unternehmerfrühstück",
        venue=venue,
        starts_at=berlin(YEAR, 5, 5, 17),
        ends_at=berlin(YEAR, 5, 5, 19),
    )
    blocked = new_stop(submit_form, tour, venue, 5)
    assert blocked.status_code == 200
    page = blocked.get_data(as_text=True)
    assert "Der Ort ist zur selben Zeit belegt: „Unternehmerfrühstück“" in page
    assert f'href="/organiser/events/{booked.id}/edit"' in page
    assert "Trotzdem speichern" in page
    assert 'value="Digital vor Ort: Weilheim"' in page
    assert count(Event) == 1

    saved = new_stop(submit_form, tour, venue, 5, override_conflicts="y")
    assert saved.status_code == 302
    assert count(Event) == 2
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "event.created"))
    [overridden] = entry.details["conflicts_overridden"]
    assert (overridden["kind"], overridden["event_id"]) == ("venue", booked.id)
    assert "Unternehmerfrühstück" in overridden["message"]
    assert entry.actor_id == organiser.id


def test_moving_into_a_booked_slot_warns_before_the_preview(
    app, client, submit_form, organiser, make_venue, make_event, make_partner
):
    venue = make_venue()
    make_event(title="Belegt", venue=venue, starts_at=berlin(YEAR, 6, 2, 18))
    event = make_event(title="Zu verschieben", venue=venue, starts_at=berlin(YEAR, 6, 1, 18))
    edit = f"/organiser/events/{event.id}/edit"
    data = {
        "starts_at": f"{YEAR}-06-02T19:00",
        "ends_at": f"{YEAR}-06-02T22:00",
        "venue_id": str(venue.id),
        "join_url": "",
    }
    warned = submit_form(edit, data)
    page = warned.get_data(as_text=True)
    assert "Der Ort ist zur selben Zeit belegt: „Belegt“" in page
    assert "Speichern und benachrichtigen" not in page
    preview = submit_form(edit, {**data, "override_conflicts": "y"})
    page = preview.get_data(as_text=True)
    back = press(client, page, edit, "back").get_data(as_text=True)  # to the form, input kept
    assert f'value="{YEAR}-06-02T19:00"' in back and "Trotzdem speichern" in back
    assert "0 Teilnehmende aus 0 Firmen erhalten eine aktualisierte Einladung" in page
    assert press(client, page, edit, "confirm").status_code == 302
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "event.changed"))
    assert entry.details["conflicts_overridden"][0]["kind"] == "venue"

    # A partner speaking at two overlapping events is a conflict too.
    speaker = make_partner(name="Alpentel")
    other = make_event(
        title="Sicherheitstag",
        starts_at=berlin(YEAR, 6, 2, 20),
        partners={speaker: PartnerRole.SPEAKER},
    )
    partners = f"/organiser/events/{event.id}/partners"
    warned = submit_form(edit, {"role_speaker": [str(speaker.id)]}, action=partners)
    page = warned.get_data(as_text=True)
    assert "Alpentel hält zur selben Zeit einen Vortrag bei „Sicherheitstag“" in page
    assert f'href="/organiser/events/{other.id}/edit"' in page
    db.session.expire_all()
    assert event.partner_roles == []
    saved = submit_form(
        edit, {"role_speaker": [str(speaker.id)], "override_conflicts": "y"}, action=partners
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert [(r.partner_id, r.role) for r in event.partner_roles] == [
        (speaker.id, PartnerRole.SPEAKER)
    ]


def test_the_cancel_form_says_who_will_be_told(
    app, client, submit_form, organiser, make_event, make_registration
):
    event = make_event()
    make_registration(
        event, attendees=[("A", "a@x.example"), ("B", "b@x.example"), ("C", "c@x.example")]
    )
    make_registration(event, attendees=[("D", "d@y.example")], company_name="Zweite GmbH")
    page = client.get(f"/organiser/events/{event.id}/edit").get_data(as_text=True)
    cancel = page[page.index('id="cancel"') :]
    assert (
        "4 Teilnehmende aus 2 Firmen erhalten eine Absage; 0 Abonnent·innen erhalten einen Hinweis."
        in cancel
    )


def test_the_preview_speaks_english(
    app, client, submit_form, organiser, make_event, make_registration
):
    event = make_event(starts_at=berlin(YEAR, 7, 6, 18))
    make_registration(event, attendees=[("A", "a@x.example")])
    client.get("/language/en")
    preview = submit_form(
        f"/organiser/events/{event.id}/edit",
        {
            "starts_at": f"{YEAR}-07-07T18:00",
            "ends_at": f"{YEAR}-07-07T21:00",
            "venue_id": str(event.venue_id),
            "join_url": "",
        },
    )
    assert (
        "1 attendee of 1 company will receive an updated invitation; "
        "0 subscribers will get a notice." in preview.get_data(as_text=True)
    )


def test_details_change_the_seats_and_promote_from_the_waiting_list(
    app, client, submit_form, organiser, make_event, make_registration
):
    from roadshow.registrations.models import RegistrationStatus

    event = make_event(capacity=1)
    make_registration(event, attendees=[("A", "a@x.example")])
    waiting = make_registration(
        event, attendees=[("B", "b@x.example")], status=RegistrationStatus.WAITLISTED
    )
    saved = submit_form(
        f"/organiser/events/{event.id}/edit",
        {
            "title": event.title,
            "slug": event.slug,
            "tour_id": "0",
            "capacity": "2",
            "max_attendees_per_registration": "5",
        },
        action=f"/organiser/events/{event.id}/details",
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert (event.capacity, event.seats_taken, waiting.status) == (
        2,
        2,
        RegistrationStatus.CONFIRMED,
    )
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "event.updated"))
    assert entry.details["changes"] == [{"field": "capacity", "old": 1, "new": 2}]
