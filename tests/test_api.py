"""The JSON API: events, registrations with the same rules as the form, the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from sqlalchemy import func, select

from roadshow.events.models import EventKind, EventStatus, PartnerRole
from roadshow.mail.models import OutboxMessage
from roadshow.registrations.models import Registration, RegistrationStatus
from tests.fixtures_registrations import outbox

NOW = datetime.now(UTC).replace(microsecond=0)


def body(*attendees: tuple[str, str], **values: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "company": {
            "name": "Schreinerei Huber",
            "size": "10-49",
            "industry": "handwerk",
            "postcode": "82362",
            "town": "Weilheim",
        },
        "contact": {"name": "Anna Huber", "email": "anna@huber.example"},
        "attendees": [{"name": n, "email": e} for n, e in attendees],
        "privacy_consent": True,
        "language": "de",
    }
    payload.update(values)
    return payload


def conforms(client, schema: str, data: Any) -> None:
    """``data`` matches the named schema of our own OpenAPI document."""
    document = client.get("/api/v1/openapi.json").get_json()
    root = {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    errors = list(Draft202012Validator(root).iter_errors(data))
    assert not errors, [e.message for e in errors]


def test_the_openapi_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert {"/events", "/events/{event_id}", "/events/{event_id}/registrations"} <= set(
        document["paths"]
    )
    assert document["servers"] == [{"url": "http://roadshow.example/api/v1"}]


def test_events_list_with_local_times_seats_and_links(
    client, make_event, make_partner, register_company
):
    partner = make_partner(slug="alpentel", name="Alpentel")
    event = make_event(
        title="Digital vor Ort: Weilheim",
        starts_at=datetime(NOW.year + 1, 4, 6, 16, tzinfo=UTC),
        capacity=60,
        partners={partner: PartnerRole.HOST},
    )
    register_company(event, "Ada", "Max")
    make_event(status=EventStatus.DRAFT)
    response = client.get("/api/v1/events")
    assert response.status_code == 200
    data = response.get_json()
    conforms(client, "EventList", data)
    (item,) = data["events"]
    assert item["id"] == event.id and item["kind"] == "stop" and item["status"] == "published"
    assert item["starts_at"] == f"{NOW.year + 1}-04-06T18:00:00+02:00"
    assert item["ends_at"] == f"{NOW.year + 1}-04-06T21:00:00+02:00"
    assert item["timezone"] == "Europe/Berlin" and item["town"] == "Weilheim"
    assert item["capacity"] == 60 and item["seats_left"] == 58
    assert item["url"] == f"http://roadshow.example/events/{event.slug}"
    assert item["ics_url"] == item["url"] + ".ics"
    assert item["partners"] == [{"slug": "alpentel", "name": "Alpentel", "role": "host"}]
    assert item["registration_open"] is True


def test_events_are_filtered_as_on_the_listing(client, make_event, make_venue):
    make_event(title="Rosenheim", venue=make_venue(town="Rosenheim"))
    make_event(title="Webinar", kind=EventKind.WEBINAR)
    titles = [e["title"] for e in client.get("/api/v1/events?town=Rosenheim").get_json()["events"]]
    assert titles == ["Rosenheim"]
    webinars = client.get("/api/v1/events?kind=webinar").get_json()["events"]
    assert [e["title"] for e in webinars] == ["Webinar"] and webinars[0]["town"] is None
    wrong = client.get("/api/v1/events?kind=party")
    assert wrong.status_code == 422
    assert wrong.get_json()["errors"] == {"kind": ["Erlaubt sind: stop, webinar, workshop."]}


def test_the_event_list_comes_in_pages_with_a_link_to_the_next(client, make_event, count_queries):
    first = datetime(NOW.year + 1, 3, 1, 9, tzinfo=UTC)
    for n in range(7):
        make_event(title=f"Termin {n}", kind=EventKind.WEBINAR, starts_at=first + timedelta(days=n))
    make_event(title="Stopp", starts_at=first)
    page = client.get("/api/v1/events?kind=webinar&limit=3").get_json()
    conforms(client, "EventList", page)
    assert [e["title"] for e in page["events"]] == ["Termin 0", "Termin 1", "Termin 2"]
    assert page["total"] == 7
    seen = [e["title"] for e in page["events"]]
    while page["next"]:
        assert page["next"].startswith("http://roadshow.example/api/v1/events?")
        with count_queries() as queries:
            page = client.get(page["next"].removeprefix("http://roadshow.example")).get_json()
        assert len(queries) <= 8, queries
        seen += [e["title"] for e in page["events"]]
    assert seen == [f"Termin {n}" for n in range(7)]
    for wrong in ("limit=0", "limit=501", "limit=zwei", "offset=-1", "limit=²"):
        answer = client.get(f"/api/v1/events?{wrong}")
        assert answer.status_code == 422, wrong
        assert set(answer.get_json()["errors"]) == {wrong.split("=")[0]}


def test_one_event_and_404_for_drafts_and_unknown_ids(client, make_event):
    event = make_event(kind=EventKind.WEBINAR, join_url="https://webinar.example/j/secret")
    response = client.get(f"/api/v1/events/{event.id}")
    conforms(client, "Event", response.get_json())
    assert "secret" not in response.get_data(as_text=True)
    draft = make_event(status=EventStatus.DRAFT)
    for url in (f"/api/v1/events/{draft.id}", "/api/v1/events/999999"):
        missing = client.get(url)
        assert missing.status_code == 404
        assert missing.get_json() == {"message": "Diese Veranstaltung gibt es nicht.", "errors": {}}


def test_a_registration_is_created_without_cookies_or_csrf(db, client, make_event, make_partner):
    partner = make_partner(slug="alpentel")
    event = make_event(capacity=5)
    response = client.post(
        f"/api/v1/events/{event.id}/registrations",
        json=body(
            ("Max Huber", "max@huber.example"), ("Eva Huber", "eva@huber.example"), ref="alpentel"
        ),
    )
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    conforms(client, "RegistrationCreated", data)
    assert data["status"] == "confirmed"
    assert data["manage_url"].startswith("http://roadshow.example/registrations/")
    registration = db.session.get(Registration, data["id"])
    assert registration.referral_partner_id == partner.id
    assert [a.email for a in registration.attendees] == ["max@huber.example", "eva@huber.example"]
    page = client.get(data["manage_url"].removeprefix("http://roadshow.example"))
    assert "Max Huber" in page.get_data(as_text=True)
    assert len(outbox()) == 3


def test_a_full_event_puts_the_api_registration_on_the_waiting_list(
    client, make_event, register_company
):
    event = make_event(capacity=1)
    register_company(event, "Ada")
    response = client.post(
        f"/api/v1/events/{event.id}/registrations", json=body(("M", "m@x.example"))
    )
    assert response.status_code == 201
    assert response.get_json()["status"] == "waitlisted"


def test_invalid_fields_answer_422_with_messages_per_field(
    db, client, make_event, register_company
):
    event = make_event(max_attendees_per_registration=2)
    register_company(event, "Eva", contact_email="x@firma.example")
    response = client.post(
        f"/api/v1/events/{event.id}/registrations",
        json=body(
            ("Max", "not-an-email"),
            ("", "eva2@huber.example"),
            company={"name": "", "size": "huge", "industry": "handwerk", "postcode": "82362"},
            contact="Anna",
            privacy_consent=False,
        ),
    )
    assert response.status_code == 422
    data = response.get_json()
    conforms(client, "Error", data)
    errors = data["errors"]
    assert errors["company.name"] == ["Bitte ausfüllen."]
    assert errors["company.size"] == ["Bitte auswählen."]
    assert errors["company.town"] == ["Bitte ausfüllen."]
    assert errors["contact"] == ["Erwartet wird ein Objekt."]
    assert errors["attendees.0.email"] == ["Bitte geben Sie eine gültige E-Mail-Adresse an."]
    assert errors["attendees.1.name"] == ["Bitte ausfüllen."]
    assert errors["privacy_consent"] == ["Ohne Ihre Einwilligung können wir Sie nicht anmelden."]

    taken = client.post(
        f"/api/v1/events/{event.id}/registrations",
        json=body(("Max", "max@huber.example"), ("Eva", "eva@firma.example")),
    )
    assert taken.status_code == 422
    assert taken.get_json()["errors"] == {
        "attendees.1.email": ["eva@firma.example ist für diese Veranstaltung bereits angemeldet."]
    }
    too_many = client.post(
        f"/api/v1/events/{event.id}/registrations",
        json=body(("A", "a@x.example"), ("B", "b@x.example"), ("C", "c@x.example")),
    )
    assert too_many.get_json()["errors"] == {
        "attendees": ["Je Anmeldung sind höchstens 2 Teilnehmende möglich."]
    }
    none = client.post(f"/api/v1/events/{event.id}/registrations", json=body())
    assert none.get_json()["errors"]["attendees.0.name"] == [
        "Bitte geben Sie mindestens eine teilnehmende Person an."
    ]
    assert db.session.scalar(select(func.count(Registration.id))) == 1


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "[1, 2]",
        '{"attendees": "Max"}',
        '{"attendees": [1, {"name": {"x": 1}, "email": ["a"]}]}',
        '{"company": {"name": "\\u0000"}, '
        '"attendees": [{"name": "\\u0000", "email": "a@b.example"}]}',
        '{"language": "fr", "contact": {"email": 5}}',
    ],
)
def test_whatever_a_client_sends_gets_a_clear_answer_never_500(db, client, make_event, payload):
    event = make_event()
    response = client.post(
        f"/api/v1/events/{event.id}/registrations",
        data=payload,
        content_type="application/json",
    )
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert response.get_json()["message"]
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_closed_registration_answers_409(db, client, make_event):
    event = make_event(registration_closes_at=NOW - timedelta(hours=1))
    response = client.post(
        f"/api/v1/events/{event.id}/registrations", json=body(("M", "m@x.example"))
    )
    assert response.status_code == 409
    assert response.get_json()["errors"]["event"][0].startswith("Die Anmeldung ist seit")
    cancelled = make_event(status=EventStatus.CANCELLED)
    response = client.post(
        f"/api/v1/events/{cancelled.id}/registrations", json=body(("M", "m@x.example"))
    )
    assert response.status_code == 409
    draft = make_event(status=EventStatus.DRAFT)
    response = client.post(
        f"/api/v1/events/{draft.id}/registrations", json=body(("M", "m@x.example"))
    )
    assert response.status_code == 404
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_an_idempotency_key_stores_one_registration(db, client, make_event):
    event = make_event()
    url = f"/api/v1/events/{event.id}/registrations"
    headers = {"Idempotency-Key": "crm-order-4711"}
    first = client.post(url, json=body(("Max", "max@huber.example")), headers=headers)
    second = client.post(url, json=body(("Max", "max@huber.example")), headers=headers)
    assert first.status_code == 201 and second.status_code == 200
    assert second.get_json() == {
        "id": first.get_json()["id"],
        "status": "confirmed",
        "manage_url": None,
    }
    assert db.session.scalar(select(func.count(Registration.id))) == 1
    other = client.post(
        url, json=body(("Eva", "eva@huber.example")), headers={"Idempotency-Key": "crm-order-4712"}
    )
    assert other.status_code == 201
    status = db.session.get(Registration, other.get_json()["id"]).status
    assert status is RegistrationStatus.CONFIRMED


def test_messages_in_english_with_lang(client, make_event):
    event = make_event()
    response = client.post(
        f"/api/v1/events/{event.id}/registrations?lang=en",
        json=body(("Max", "max@huber.example"), company={}),
    )
    assert response.get_json()["errors"]["company.name"] == ["Please fill in."]
