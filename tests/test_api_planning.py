"""Organisers plan through the API with a token: tours, venues, events, changes that tell
attendees, publishing, cancelling, conflicts and the impact of a change."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from roadshow.accounts.models import AuditLog, Role
from roadshow.events.models import Event, EventKind, Tour, Venue
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_due
from roadshow.mail.models import OutboxMessage
from tests.fixtures_feeds import berlin, confirm, next_year, subscribe
from tests.fixtures_mail import calendar_parts
from tests.fixtures_planning import bearer, conforms

YEAR = next_year()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def token(make_user):
    return bearer(make_user(role=Role.ORGANISER))


def stop_body(venue_id: int, day: int, **values):
    return {
        "kind": "stop",
        "title": f"Digital vor Ort {day}",
        "starts_at": f"{YEAR}-05-{day:02d}T18:00:00+02:00",
        "ends_at": f"{YEAR}-05-{day:02d}T21:00:00+02:00",
        "capacity": 40,
        "tour": "digital-vor-ort",
        "venue_id": venue_id,
        **values,
    }


def test_an_organiser_plans_a_tour_and_moves_a_stop_through_the_api(
    app, client, token, submit_form, make_registration, smtp_sink
):
    tour = client.post("/api/v1/tours", json={"title": "Digital vor Ort"}, headers=token)
    assert tour.status_code == 201
    conforms(client, "Tour", tour.get_json())
    assert tour.get_json()["slug"] == "digital-vor-ort"

    venue_ids = []
    for town in ("Weilheim", "Rosenheim", "Mühldorf"):
        venue = client.post(
            "/api/v1/venues",
            json={"name": f"Halle {town}", "street": "Markt 1", "postcode": "82362", "town": town},
            headers=token,
        )
        assert venue.status_code == 201
        conforms(client, "Venue", venue.get_json())
        venue_ids.append(venue.get_json()["id"])

    events = []
    for venue_id, day in zip(venue_ids, (5, 12, 19), strict=True):
        created = client.post("/api/v1/events", json=stop_body(venue_id, day), headers=token)
        assert created.status_code == 201, created.get_json()
        conforms(client, "OrganiserEvent", created.get_json())
        assert created.get_json()["status"] == "draft"
        published = client.post(f"/api/v1/events/{created.get_json()['id']}/publish", headers=token)
        assert published.status_code == 200 and published.get_json()["status"] == "published"
        events.append(published.get_json())
    again = client.post(f"/api/v1/events/{events[0]['id']}/publish", headers=token)
    assert again.status_code == 409
    assert again.get_json()["message"] == "Nur Entwürfe können veröffentlicht werden."

    rosenheim = db.session.get(Event, events[1]["id"])
    make_registration(rosenheim, attendees=[("Anna", "anna@a.example"), ("Ben", "ben@a.example")])
    subscribe(submit_form, "fan@example.org", towns=["Rosenheim"], notify_by_email="y")
    confirm(client, submit_form, "fan@example.org")
    queued = count(OutboxMessage)

    moved = {"starts_at": f"{YEAR}-05-13T18:00", "ends_at": f"{YEAR}-05-13T21:00"}  # local
    impact = client.get(f"/api/v1/events/{rosenheim.id}/impact", query_string=moved, headers=token)
    assert impact.status_code == 200
    conforms(client, "Impact", impact.get_json())
    assert impact.get_json() == {"attendees": 2, "registrations": 1, "subscribers": 1}
    title_only = client.get(
        f"/api/v1/events/{rosenheim.id}/impact", query_string={"title": "Neu"}, headers=token
    )
    assert title_only.get_json() == {"attendees": 0, "registrations": 0, "subscribers": 0}
    assert count(OutboxMessage) == queued  # a preview changes nothing

    changed = client.patch(f"/api/v1/events/{rosenheim.id}", json=moved, headers=token)
    assert changed.status_code == 200, changed.get_json()
    data = changed.get_json()
    assert data["starts_at"] == f"{YEAR}-05-13T18:00:00+02:00" and data["sequence"] == 1
    deliver_due(db.session)
    for address in ("anna@a.example", "ben@a.example"):
        [received] = smtp_sink.to(address)
        inline, _attached = calendar_parts(received.message)
        ics = inline.get_payload(decode=True).decode()
        assert inline.get_param("method") == "REQUEST" and "SEQUENCE:1" in ics
        assert f"DTSTART;TZID=Europe/Berlin:{YEAR}0513T180000" in ics
    subjects = [str(m.message["Subject"]) for m in smtp_sink.to("fan@example.org")]
    assert any(rosenheim.title in subject for subject in subjects), subjects

    cancelled = client.post(f"/api/v1/events/{rosenheim.id}/cancel", headers=token)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert client.post(f"/api/v1/events/{rosenheim.id}/cancel", headers=token).status_code == 409
    refused = client.patch(f"/api/v1/events/{rosenheim.id}", json={"title": "x"}, headers=token)
    assert refused.status_code == 409


def test_a_conflict_answers_409_unless_overridden(client, token, make_venue, make_event):
    venue = make_venue()
    booked = make_event(
        title="Belegt",
        venue=venue,
        starts_at=berlin(YEAR, 5, 5, 17),
        ends_at=berlin(YEAR, 5, 5, 19),
    )
    body = stop_body(venue.id, 5, tour=None)
    blocked = client.post("/api/v1/events", json=body, headers=token)
    assert blocked.status_code == 409
    data = blocked.get_json()
    conforms(client, "ConflictError", data)
    [conflict] = data["conflicts"]
    assert (conflict["kind"], conflict["event_id"]) == ("venue", booked.id)
    assert "„Belegt“" in conflict["message"]
    assert count(Event) == 1

    saved = client.post("/api/v1/events", json={**body, "override_conflicts": True}, headers=token)
    assert saved.status_code == 201
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "event.created"))
    assert entry.details["conflicts_overridden"][0]["event_id"] == booked.id

    other = make_event(venue=venue, starts_at=berlin(YEAR, 5, 6, 18))
    moving = client.patch(
        f"/api/v1/events/{other.id}", json={"starts_at": f"{YEAR}-05-05T18:30"}, headers=token
    )
    assert moving.status_code == 409 and len(moving.get_json()["conflicts"]) == 2
    db.session.expire_all()
    assert other.sequence == 0


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"kind": "party"}, "kind", "Erlaubt sind: stop, webinar, workshop."),
        ({"starts_at": "next tuesday"}, "starts_at", "Erwartet wird ein Zeitpunkt nach ISO 8601"),
        ({"starts_at": "0001-01-01T00:00:00+14:00"}, "starts_at", "Erwartet wird ein Zeitpunkt"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Unbekannte Zeitzone"),
        ({"ends_at": f"{YEAR}-05-05T17:00:00+02:00"}, "ends_at", "Das Ende muss nach dem Beginn"),
        ({"capacity": -1}, "capacity", "Erlaubt sind Werte von 0 bis 100000."),
        ({"capacity": 10**30}, "capacity", "Erlaubt sind Werte von 0 bis 100000."),
        ({"capacity": "viele"}, "capacity", "Erwartet wird eine ganze Zahl."),
        ({"capacity": True}, "capacity", "Erwartet wird eine ganze Zahl."),
        ({"title": ["x"]}, "title", "Erwartet wird Text."),
        ({"title": "\u0000"}, "title", "Der Text enthält Steuerzeichen."),
        ({"title": None}, "title", "Bitte ausfüllen."),
        ({"slug": "Kein Slug"}, "slug", "Nur Kleinbuchstaben"),
        ({"slug": "belegt"}, "slug", "Die Kurzbezeichnung „belegt“ ist schon vergeben."),
        ({"venue_id": None}, "venue_id", "Nur Webinare finden online statt"),
        ({"status": "cancelled"}, "status", "Erlaubt sind: draft, published."),
        ({"override_conflicts": "yes"}, "override_conflicts", "Erwartet wird true oder false."),
    ],
)
def test_invalid_fields_answer_422_per_field(
    client, token, make_venue, make_event, change, field, message
):
    make_event(slug="belegt", starts_at=berlin(YEAR, 1, 5, 18))
    venue = make_venue()
    response = client.post(
        "/api/v1/events", json={**stop_body(venue.id, 5, tour=None), **change}, headers=token
    )
    assert response.status_code == 422, response.get_json()
    data = response.get_json()
    conforms(client, "Error", data)
    assert data["errors"][field][0].startswith(message), data
    assert count(Event) == 1


def test_unknown_things_answer_404_and_bodies_that_are_no_object_400(
    client, token, make_venue, make_event
):
    venue = make_venue()
    unknown_tour = client.post(
        "/api/v1/events", json=stop_body(venue.id, 5, tour="gibts-nicht"), headers=token
    )
    assert unknown_tour.status_code == 404
    assert unknown_tour.get_json()["message"] == "Diese Tour gibt es nicht."
    unknown_venue = client.post(
        "/api/v1/events", json=stop_body(99999, 5, tour=None), headers=token
    )
    assert unknown_venue.status_code == 404
    huge_venue = client.post("/api/v1/events", json=stop_body(2**40, 5, tour=None), headers=token)
    assert huge_venue.status_code == 404
    for url in ("/api/v1/events/99999",):
        assert client.patch(url, json={"title": "x"}, headers=token).status_code == 404
        assert client.post(url + "/publish", headers=token).status_code == 404
        assert client.get(url + "/impact", headers=token).status_code == 404
    for payload in ("not json", "[1]", "null"):
        response = client.post(
            "/api/v1/tours", data=payload, content_type="application/json", headers=token
        )
        assert response.status_code == 400
    event = make_event()
    bad = client.patch(
        f"/api/v1/events/{event.id}", data="[]", content_type="application/json", headers=token
    )
    assert bad.status_code == 400
    assert count(Tour) == 0 and count(Venue) == 2


def test_a_patch_changes_seats_title_and_place_with_one_audit_entry_each(
    client, token, make_event, make_venue, make_registration
):
    from roadshow.registrations.models import RegistrationStatus

    event = make_event(capacity=1, kind=EventKind.WEBINAR, venue=None)
    make_registration(event, attendees=[("A", "a@x.example")])
    waiting = make_registration(
        event, attendees=[("B", "b@x.example")], status=RegistrationStatus.WAITLISTED
    )
    response = client.patch(
        f"/api/v1/events/{event.id}",
        json={"capacity": 2, "title": "Neuer Titel", "join_url": "https://meet.example/neu"},
        headers=token,
    )
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert (data["capacity"], data["seats_taken"], data["title"]) == (2, 2, "Neuer Titel")
    assert data["join_url"] == "https://meet.example/neu" and data["sequence"] == 1
    db.session.expire_all()
    assert waiting.status is RegistrationStatus.CONFIRMED
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-2:] == ["event.changed", "event.updated"]
    updated = db.session.scalar(select(AuditLog).where(AuditLog.action == "event.updated"))
    assert {c["field"] for c in updated.details["changes"]} == {"title", "capacity"}

    venue = make_venue(town="Rosenheim")
    impact = client.get(
        f"/api/v1/events/{event.id}/impact", query_string={"venue_id": venue.id}, headers=token
    )
    assert impact.get_json() == {"attendees": 2, "registrations": 2, "subscribers": 0}
    offline = client.patch(f"/api/v1/events/{event.id}", json={"venue_id": venue.id}, headers=token)
    assert offline.get_json()["town"] == "Rosenheim"
    online = client.patch(f"/api/v1/events/{event.id}", json={"venue_id": None}, headers=token)
    assert online.get_json()["town"] is None and online.get_json()["sequence"] == 3


def test_without_an_organisers_token_nothing_is_planned(client, make_user, make_partner):
    assert client.post("/api/v1/tours", json={"title": "X"}).status_code == 401
    partner_user = make_user(role=Role.PARTNER, partner_id=make_partner().id)
    forbidden = client.post("/api/v1/tours", json={"title": "X"}, headers=bearer(partner_user))
    assert forbidden.status_code == 403
    assert count(Tour) == 0


def test_the_openapi_document_describes_the_planning_endpoints(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    paths = document["paths"]
    assert "post" in paths["/tours"] and "post" in paths["/venues"]
    assert {"get", "post"} <= set(paths["/events"])
    assert {"get", "patch"} <= set(paths["/events/{event_id}"])
    for path, method in (
        ("/events/{event_id}/publish", "post"),
        ("/events/{event_id}/cancel", "post"),
        ("/events/{event_id}/impact", "get"),
    ):
        operation = paths[path][method]
        assert {"200", "401", "403", "404", "409"} <= set(operation["responses"])
    assert {"400", "404", "409", "422"} <= set(paths["/events/{event_id}"]["patch"]["responses"])
