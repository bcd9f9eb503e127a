"""Fuzzing the JSON API's writing endpoints with bodies no schema would generate: any JSON
(wrong types, nested garbage, lone surrogates, huge numbers), bytes that are no JSON, the
wrong content type. The answer is never a server error, always JSON in the documented
error shape when refused, and the database changes by exactly what the answer says.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_outcome
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy import func, select

from roadshow.accounts.models import Role
from roadshow.events.models import Event, Series, Tour, Venue
from roadshow.mail.models import OutboxMessage
from roadshow.registrations.models import Attendee, Registration
from tests.fixtures_planning import bearer

# Hypothesis keeps caches (constants read from the code, Unicode tables) in its home
# folder, by default .hypothesis/ in the working directory: not in the checkout.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "roadshow-hypothesis")

FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**80),
    st.floats(allow_nan=False),
    st.text(st.characters(codec="utf-8"), max_size=30),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
    st.sampled_from(["", "2027-04-06T18:00:00+02:00", "Europe/Berlin", "stop", "draft", "²"]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


def body_of(keys: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """Objects with the endpoint's own keys (and others), any value in each; or any JSON."""
    return st.one_of(
        st.fixed_dictionaries({}, optional=dict.fromkeys(keys, JSON)),
        st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), JSON, max_size=6),
        JSON,
    )


REGISTRATION = st.fixed_dictionaries(
    {},
    optional={
        "company": body_of(("name", "size", "industry", "postcode", "town")),
        "contact": body_of(("name", "email", "phone")),
        "attendees": st.lists(body_of(("name", "email")), max_size=6) | JSON,
        "privacy_consent": st.just(True) | JSON,
        "newsletter_consent": JSON,
        "language": st.sampled_from(["de", "en"]) | JSON,
        "ref": JSON,
    },
)
VALID_REGISTRATION = {
    "company": {
        "name": "Schreinerei Huber",
        "size": "10-49",
        "industry": "handwerk",
        "postcode": "82362",
        "town": "Weilheim",
    },
    "contact": {"name": "Anna Huber", "email": "anna@huber.example"},
    "attendees": [{"name": "Max Huber", "email": "max@huber.example"}],
    "privacy_consent": True,
}
PARTS = [("company", key) for key in VALID_REGISTRATION["company"]] + [
    ("contact", "name"),
    ("contact", "email"),
    ("contact", "phone"),
    ("attendees", 0),
]


def one_part_replaced(part: tuple[str, Any], value: Any) -> dict[str, Any]:
    """A valid registration with one of its values replaced by anything."""
    body = json.loads(json.dumps(VALID_REGISTRATION))
    group, key = part
    body[group][key] = value
    return body


ENDPOINTS = {
    "tour": ("POST", "/api/v1/tours", ("title", "slug", "description")),
    "venue": (
        "POST",
        "/api/v1/venues",
        ("name", "street", "postcode", "town", "latitude", "longitude"),
    ),
    "event": (
        "POST",
        "/api/v1/events",
        (
            "kind",
            "title",
            "slug",
            "starts_at",
            "ends_at",
            "timezone",
            "capacity",
            "tour",
            "venue_id",
            "status",
            "join_url",
            "max_attendees_per_registration",
            "registration_opens_at",
            "override_conflicts",
        ),
    ),
    "change": (
        "PATCH",
        "/api/v1/events/{event}",
        ("starts_at", "ends_at", "venue_id", "join_url", "capacity", "title", "description"),
    ),
    "series": (
        "POST",
        "/api/v1/series",
        (
            "kind",
            "title",
            "starts_at",
            "duration_minutes",
            "rrule",
            "timezone",
            "exclude_holidays",
            "exclude_dates",
            "capacity",
            "venue_id",
            "status",
        ),
    ),
    "check-in": ("POST", "/api/v1/events/{event}/check-ins", ("code",)),
}
# How the body is sent: as JSON, as JSON under another content type, or as raw bytes.
ENCODINGS = st.sampled_from(["json", "text/plain", "form", "bytes"])


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": False}


def counts(db) -> dict[str, int]:
    db.session.expire_all()
    models = {
        "registrations": Registration,
        "attendees": Attendee,
        "outbox": OutboxMessage,
        "tours": Tour,
        "venues": Venue,
        "events": Event,
        "series": Series,
    }
    return {name: db.session.scalar(select(func.count(m.id))) for name, m in models.items()}


def send(client, method: str, url: str, body: Any, encoding: str, raw: bytes, headers=None):
    headers = dict(headers or {})
    if encoding == "json":
        text = json.dumps(body)  # lone surrogates stay \\udXXX escapes, as a client may send
        return client.open(
            url, method=method, data=text, content_type="application/json", headers=headers
        )
    if encoding == "text/plain":
        return client.open(
            url, method=method, data=json.dumps(body), content_type="text/plain", headers=headers
        )
    if encoding == "form":
        return client.open(url, method=method, data={"body": json.dumps(body)}, headers=headers)
    return client.open(
        url, method=method, data=raw, content_type="application/json", headers=headers
    )


def assert_error_shape(response) -> None:
    assert response.is_json, response.data[:200]
    answer = response.get_json()
    assert isinstance(answer["message"], str) and answer["message"]
    assert isinstance(answer["errors"], dict)
    assert all(isinstance(m, list) for m in answer["errors"].values())


@given(
    body=REGISTRATION | JSON | st.builds(one_part_replaced, st.sampled_from(PARTS), JSON),
    encoding=ENCODINGS,
    raw=st.binary(max_size=200),
    key=st.none() | st.text(st.characters(codec="ascii", min_codepoint=32), max_size=300),
)
@FUZZ
def test_the_registration_endpoint_survives_any_body(
    db, client, make_event, body, encoding, raw, key
):
    event = make_event(capacity=3, max_attendees_per_registration=4)
    before = counts(db)
    headers = {"Idempotency-Key": key} if key else {}

    response = send(
        client, "POST", f"/api/v1/events/{event.id}/registrations", body, encoding, raw, headers
    )

    note_outcome(str(response.status_code))
    assert response.status_code < 500
    after = counts(db)
    if response.status_code == 201:
        answer = response.get_json()
        registration = db.session.get(Registration, answer["id"])
        assert registration.status.value == answer["status"]
        attendees = len(registration.attendees)
        assert after["registrations"] == before["registrations"] + 1
        assert after["attendees"] == before["attendees"] + attendees
        assert after["outbox"] > before["outbox"]
        return
    assert_error_shape(response)
    assert response.status_code in (400, 409, 422)
    assert after == before, "a refused registration left rows behind"


@given(
    endpoint=st.sampled_from(sorted(ENDPOINTS)),
    data=st.data(),
    encoding=ENCODINGS,
    raw=st.binary(max_size=200),
)
@FUZZ
def test_the_organiser_endpoints_survive_any_body(
    db, client, make_user, make_event, register_company, endpoint, data, encoding, raw
):
    headers = bearer(make_user(role=Role.ORGANISER))
    event = make_event(capacity=5)
    register_company(event, "Ada Huber")
    method, path, keys = ENDPOINTS[endpoint]
    body = data.draw(body_of(keys), label="body")
    before = counts(db)

    response = send(client, method, path.format(event=event.id), body, encoding, raw, headers)

    note_outcome(f"{endpoint} {response.status_code}")
    assert response.status_code < 500
    after = counts(db)
    created = {"tour": "tours", "venue": "venues", "event": "events", "series": "series"}
    if response.status_code in (200, 201):
        if endpoint in created:
            assert after[created[endpoint]] == before[created[endpoint]] + 1
        return
    assert_error_shape(response)
    assert response.status_code in (400, 404, 409, 422)
    unchanged = {k: v for k, v in after.items() if k != "outbox"}
    assert unchanged == {k: v for k, v in before.items() if k != "outbox"}
    assert after["outbox"] == before["outbox"], "a refused change queued mail"
