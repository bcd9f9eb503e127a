"""The organiser API for registrations: list an event's registrations, cancel one."""

from __future__ import annotations

from datetime import datetime

from openapi_spec_validator import validate
from sqlalchemy import select

from roadshow.accounts.models import AuditLog, Role
from roadshow.registrations import selfservice
from roadshow.registrations.models import Registration
from tests.fixtures_backoffice_registrations import add_registrations, bearer, conforms
from tests.fixtures_registrations import outbox


def test_without_a_valid_token_401_and_for_a_partner_403(
    db, client, make_event, make_partner, register_company, api_token
):
    event = make_event()
    outcome = register_company(event, "Ada")
    paths = [
        ("get", f"/api/v1/events/{event.id}/registrations"),
        ("post", f"/api/v1/registrations/{outcome.registration.id}/cancel"),
    ]
    _partner_user, partner_token = api_token(role=Role.PARTNER, partner_id=make_partner().id)
    for method, path in paths:
        response = getattr(client, method)(path)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert getattr(client, method)(path, headers=bearer("x" * 43)).status_code == 401
        assert getattr(client, method)(path, headers=bearer(partner_token)).status_code == 403
    db.session.expire_all()
    assert db.session.get(Registration, outcome.registration.id).is_confirmed


def test_the_list_has_every_registration_in_order_of_arrival(
    db, client, make_event, register_company, api_token
):
    event = make_event(capacity=2)
    first = register_company(
        event,
        "Ada Huber",
        "Max Huber",
        company_name="Huber GmbH",
        contact_name="Anna Huber",
        contact_email="anna@huber.example",
        contact_phone="0881 123",
    )
    waiting = register_company(event, "Grace", company_name="Meier KG")
    selfservice.remove_attendee(db.session, first.registration, first.registration.attendees[1].id)
    db.session.commit()
    other_event = make_event()
    register_company(other_event, "Zoe")
    _user, token = api_token()

    response = client.get(f"/api/v1/events/{event.id}/registrations", headers=bearer(token))
    assert response.status_code == 200
    data = response.get_json()
    conforms(client, "RegistrationList", data)
    huber, meier = data["registrations"]
    assert huber["company"] == "Huber GmbH"
    assert huber["contact"] == {
        "name": "Anna Huber",
        "email": "anna@huber.example",
        "phone": "0881 123",
    }
    assert [(a["name"], a["status"]) for a in huber["attendees"]] == [
        ("Ada Huber", "active"),
        ("Max Huber", "cancelled"),
    ]
    # Max's seat went to the waiting company.
    assert (meier["id"], meier["status"]) == (waiting.registration.id, "confirmed")
    created = datetime.fromisoformat(huber["created_at"])
    assert created.utcoffset() is not None
    assert created == first.registration.created_at
    assert created.utcoffset() == first.registration.created_at.astimezone(event.zone).utcoffset()

    unknown = client.get("/api/v1/events/4711/registrations", headers=bearer(token))
    assert unknown.status_code == 404 and unknown.get_json()["message"]


def test_cancel_answers_200_then_409_and_404_for_an_unknown_one(
    db, client, make_event, register_company, api_token
):
    event = make_event(capacity=1)
    outcome = register_company(event, "Ada", company_name="Huber GmbH")
    waiting = register_company(event, "Grace", company_name="Meier KG")
    user, token = api_token()
    path = f"/api/v1/registrations/{outcome.registration.id}/cancel"

    response = client.post(path, headers=bearer(token), json={"anything": [1, None]})
    assert response.status_code == 200
    assert response.get_json() == {"id": outcome.registration.id, "status": "cancelled"}
    conforms(client, "RegistrationCancelled", response.get_json())
    db.session.expire_all()
    assert db.session.get(Registration, outcome.registration.id).is_cancelled
    assert db.session.get(Registration, waiting.registration.id).is_confirmed
    assert [m.recipient for m in outbox(template="registrations/cancelled")] == [
        outcome.registration.contact_email
    ]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "registration.cancelled"))
    assert entry.actor_id == user.id and entry.object_id == outcome.registration.id

    again = client.post(path, headers=bearer(token), data="not json")
    assert again.status_code == 409
    assert again.get_json()["message"] == "Diese Anmeldung ist bereits storniert."
    missing = client.post("/api/v1/registrations/4711/cancel", headers=bearer(token))
    assert missing.status_code == 404 and missing.get_json()["errors"] == {}
    huge = client.post("/api/v1/registrations/" + "9" * 20 + "/cancel", headers=bearer(token))
    assert huge.status_code == 404


def test_the_openapi_document_describes_both_and_keeps_the_public_post(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    path = document["paths"]["/events/{event_id}/registrations"]
    assert set(path) == {"get", "post"}
    assert path["get"]["security"] == [{"bearerToken": []}]
    assert {"200", "401", "403", "404"} <= set(path["get"]["responses"])
    cancel = document["paths"]["/registrations/{registration_id}/cancel"]["post"]
    assert {"200", "401", "403", "404", "409"} <= set(cancel["responses"])


def test_the_list_needs_the_same_queries_for_10_and_1000_registrations(
    client, make_event, api_token, count_queries
):
    _user, token = api_token()
    counts = {}
    for size in (10, 1000):
        event = make_event(capacity=10_000)
        add_registrations(event, size)
        path = f"/api/v1/events/{event.id}/registrations"
        with count_queries() as queries:
            response = client.get(path, headers=bearer(token))
        assert response.status_code == 200
        assert len(response.get_json()["registrations"]) == size
        counts[size] = len(queries)
    print(f"\nAPI list, queries: {counts}")
    assert counts[10] == counts[1000]
