"""POST /api/v1/series: the Thursday webinars of 2027 through the API, with a token; every
invalid body answered 422 per field (or 400/404), never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from sqlalchemy import func, select

from roadshow.accounts.models import Role
from roadshow.accounts.services import issue_api_token
from roadshow.events.models import Event, Series
from roadshow.extensions import db
from tests.fixtures_series import SUMMER_BREAK, expected_thursdays, noon_in_utc

THURSDAYS = {
    "kind": "webinar",
    "title": "Digitale Mittagspause",
    "starts_at": "2027-05-06T12:00:00+02:00",
    "duration_minutes": 60,
    "timezone": "Europe/Berlin",
    "rrule": "FREQ=WEEKLY;UNTIL=20271216T235959Z",
    "exclude_holidays": "DE-BY",
    "exclude_dates": [d.isoformat() for d in SUMMER_BREAK],
    "capacity": 100,
}


@pytest.fixture
def token(make_user) -> str:
    raw = issue_api_token(db.session, make_user(role=Role.ORGANISER))
    db.session.commit()
    return raw


def post(client, token: str | None, body: Any):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/api/v1/series", json=body, headers=headers)


def stored() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Series)),
        db.session.scalar(select(func.count()).select_from(Event)),
    )


def test_the_thursday_series_through_the_api(client, token, make_tour):
    tour = make_tour(slug="digital-vor-ort-2027")
    response = post(client, token, {**THURSDAYS, "tour": tour.slug, "status": "published"})
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["slug"] == "digitale-mittagspause"
    events = data["events"]
    expected = expected_thursdays()
    assert [e["starts_at"][:10] for e in events] == [d.isoformat() for d in expected]
    assert events[0]["starts_at"] == "2027-05-13T12:00:00+02:00"
    assert events[-1]["starts_at"] == "2027-12-16T12:00:00+01:00"
    assert {(e["status"], e["series_id"], e["sequence"]) for e in events} == {
        ("published", data["id"], 0)
    }
    assert len({e["slug"] for e in events}) == len(expected)
    assert {e["tour"]["slug"] for e in events} == {tour.slug}
    rows = db.session.scalars(select(Event).order_by(Event.starts_at)).all()
    assert [r.starts_at for r in rows] == [noon_in_utc(d) for d in expected]

    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    root = {"$ref": "#/components/schemas/SeriesCreated", "components": document["components"]}
    assert not list(Draft202012Validator(root).iter_errors(data))
    operation = document["paths"]["/series"]["post"]
    assert {"201", "400", "401", "403", "404", "422"} <= set(operation["responses"])


def test_a_local_time_without_offset_is_read_in_the_series_zone(client, token):
    body = {**THURSDAYS, "starts_at": "2027-05-06T12:00", "timezone": "Europe/Lisbon"}
    body.pop("exclude_holidays")
    response = post(client, token, body)
    assert response.status_code == 201
    assert response.get_json()["events"][0]["starts_at"] == "2027-05-06T12:00:00+01:00"


def test_without_a_valid_token_nothing_is_created(client, make_user, make_partner):
    assert post(client, None, THURSDAYS).status_code == 401
    assert post(client, "wrong", THURSDAYS).status_code == 401
    partner_user = make_user(role=Role.PARTNER, partner_id=make_partner().id)
    raw = issue_api_token(db.session, partner_user)
    db.session.commit()
    assert post(client, raw, THURSDAYS).status_code == 403
    assert stored() == (0, 0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "stop"}, "kind"),
        ({"kind": ["webinar"]}, "kind"),
        ({"title": None}, "title"),
        ({"title": 42}, "title"),
        ({"starts_at": "nächsten Donnerstag"}, "starts_at"),
        ({"starts_at": "2027-05-06"}, "starts_at"),
        ({"starts_at": 1778061600}, "starts_at"),
        ({"starts_at": "9999-12-31T23:00:00-12:00"}, "starts_at"),
        ({"duration_minutes": "60"}, "duration_minutes"),
        ({"duration_minutes": 10**40}, "duration_minutes"),
        ({"duration_minutes": True}, "duration_minutes"),
        ({"capacity": -1}, "capacity"),
        ({"capacity": 1.5}, "capacity"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": ["Europe/Berlin"]}, "timezone"),
        ({"rrule": "FREQ=WEEKLY"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20260101T000000Z"}, "rrule"),
        ({"rrule": {"freq": "weekly"}}, "rrule"),
        ({"exclude_holidays": "DE-XX"}, "exclude_holidays"),
        ({"exclude_dates": ["2027-13-01"]}, "exclude_dates"),
        ({"exclude_dates": "2027-08-05"}, "exclude_dates"),
        ({"exclude_dates": [20270805]}, "exclude_dates"),
        ({"status": "maybe"}, "status"),
        ({"slug": "Keine Kurzadresse"}, "slug"),
        ({"venue_id": "1"}, "venue_id"),
        ({"kind": "workshop"}, "venue_id"),
    ],
)
def test_invalid_fields_answer_422_with_a_message_on_the_field(client, token, changes, field):
    response = post(client, token, {**THURSDAYS, **changes})
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert field in errors and errors[field][0]
    assert stored() == (0, 0)


def test_missing_fields_and_bodies_that_are_no_object(client, token):
    response = post(client, token, {})
    assert response.status_code == 422
    assert {"title", "starts_at", "duration_minutes", "rrule", "capacity", "kind"} <= set(
        response.get_json()["errors"]
    )
    for body in ([], "series", None, 5):
        assert post(client, token, body).status_code == 400
    assert stored() == (0, 0)


def test_unknown_tour_or_venue_answer_404(client, token):
    assert post(client, token, {**THURSDAYS, "tour": "gibt-es-nicht"}).status_code == 404
    assert post(client, token, {**THURSDAYS, "venue_id": 999}).status_code == 404
    assert stored() == (0, 0)


def test_a_taken_slug_answers_422_on_slug(client, token):
    assert post(client, token, THURSDAYS).status_code == 201
    again = post(client, token, THURSDAYS)
    assert again.status_code == 422
    assert "slug" in again.get_json()["errors"]
    assert stored() == (1, len(expected_thursdays()))
