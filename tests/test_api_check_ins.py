"""The check-in endpoints of the organiser API: by code, a second time, undo."""

from __future__ import annotations

import sqlalchemy as sa
from openapi_spec_validator import validate

from roadshow.accounts.models import AuditLog, Role
from roadshow.attendance.models import CheckIn, CheckInMethod
from roadshow.extensions import db
from tests.fixtures_backoffice_registrations import bearer, conforms


def test_a_code_checks_in_once_then_answers_already_with_the_first_time(
    client, make_event, register_company, api_token
):
    event = make_event()
    anna = register_company(event, "Anna Huber", company_name="Schreinerei Huber").registration
    attendee = anna.attendees[0]
    user, token = api_token()
    url = f"/api/v1/events/{event.id}/check-ins"

    first = client.post(url, json={"code": attendee.check_in_code.lower()}, headers=bearer(token))
    assert first.status_code == 201
    body = first.get_json()
    assert body["attendee"]["name"] == "Anna Huber" and body["method"] == "api"
    assert body["already"] is False
    conforms(client, "CheckIn", body)

    second = client.post(url, json={"code": attendee.check_in_code}, headers=bearer(token))
    assert second.status_code == 200
    assert second.get_json()["already"] is True
    assert second.get_json()["checked_in_at"] == body["checked_in_at"]
    db.session.expire_all()
    [row] = db.session.scalars(sa.select(CheckIn)).all()
    assert row.method is CheckInMethod.API and row.checked_in_by_id == user.id
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(AuditLog.action == "attendee.checked_in")
        )
        == 1
    )

    undone = client.delete(f"/api/v1/check-ins/{body['id']}", headers=bearer(token))
    assert undone.status_code == 204
    assert (
        client.delete(f"/api/v1/check-ins/{body['id']}", headers=bearer(token)).status_code == 404
    )
    db.session.expire_all()
    assert db.session.scalars(sa.select(CheckIn)).all() == []


def test_bad_requests_answer_json_and_partners_are_refused(
    client, make_event, register_company, api_token, make_partner
):
    event = make_event()
    _user, token = api_token()
    url = f"/api/v1/events/{event.id}/check-ins"
    for body in (None, {}, {"code": 5}, {"code": "  "}):
        response = client.post(url, json=body, headers=bearer(token))
        assert response.status_code == 422 and response.get_json()["errors"]["code"], body
    unknown = client.post(url, json={"code": "ABCD"}, headers=bearer(token))
    assert unknown.status_code == 404 and unknown.is_json
    missing = client.post(
        "/api/v1/events/999999/check-ins", json={"code": "A"}, headers=bearer(token)
    )
    assert missing.status_code == 404
    assert client.post(url, json={"code": "A"}).status_code == 401
    _partner_user, partner_token = api_token(role=Role.PARTNER, partner_id=make_partner().id)
    assert client.post(url, json={"code": "A"}, headers=bearer(partner_token)).status_code == 403


def test_the_openapi_document_describes_the_check_in_endpoints(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    assert "post" in document["paths"]["/events/{event_id}/check-ins"]
    assert "delete" in document["paths"]["/check-ins/{check_in_id}"]
