"""The API keeps its OpenAPI document: schemathesis sends every operation of
``/api/v1/openapi.json`` requests made from the document (valid ones and invalid ones) and
checks every answer with all its checks: no server error, only documented status codes,
content types and headers, answers that match their schemas, invalid requests refused,
valid ones accepted, unknown methods answered 405, no operation that ignores its token.

It runs in-process on the demo tour, with an organiser's real token.
"""

from __future__ import annotations

import contextvars
import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

from roadshow.accounts.models import Role
from roadshow.extensions import db
from tests.fixtures_pages import seed_demo_ahead
from tests.fixtures_planning import bearer

# Hypothesis keeps caches (constants read from the code, Unicode tables) in its home
# folder, by default .hypothesis/ in the working directory: not in the checkout.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "roadshow-hypothesis")

EXAMPLES = 6
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]
# Operations whose services enforce rules that a JSON schema cannot state (an end after the
# start, a known time zone, an RRULE with an end, a slug still free, an email not yet
# registered for the event, no more attendees than the event takes): a request that the
# document allows may still get 422 with the rule's message, and a file that is no
# attendance report 400.
RULES_BEYOND_THE_DOCUMENT = {
    "createTour": ["422"],
    "createEvent": ["422"],
    "changeEvent": ["422"],
    "eventChangeImpact": ["422"],
    "createSeries": ["422"],
    "createRegistration": ["422"],
    "importAttendanceReport": ["400"],
}


@pytest.fixture
def app_config() -> dict[str, Any]:
    # Thousands of requests from one address: the limit would answer 429 to most of them.
    return {"RATELIMIT_ENABLED": False}


@pytest.fixture
def api_schema(app, make_user, request) -> Any:
    # schemathesis 4.32 names its subtests from ``Node._nodeid``, which pytest 9.2 no
    # longer has (it keeps ``nodeid`` only).
    request.node._nodeid = request.node.nodeid
    seed_demo_ahead(db.session)
    token = bearer(make_user(role=Role.ORGANISER))["Authorization"].removeprefix("Bearer ")
    config = schemathesis.Config.from_dict(
        {
            "auth": {"openapi": {"bearerToken": {"bearer": token}}},
            "operations": [
                {
                    "include-operation-id": operation,
                    "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED + also}},
                }
                for operation, also in RULES_BEYOND_THE_DOCUMENT.items()
            ],
        }
    )

    def isolated(environ: dict[str, Any], start_response: Any) -> Any:
        # Each request in its own context, as in a server: the test's app context (and its
        # database session) is not shared with the requests.
        return contextvars.Context().run(app.wsgi_app, environ, start_response)

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", isolated, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_as_its_document_says(case):
    case.call_and_validate()


def test_errors_under_the_api_are_json_with_the_documented_shape(app, client, make_event):
    event = make_event()
    answers = {
        "/api/v1/nothing-here": 404,
        "/api/v1/events/not-a-number": 404,
        # Beyond the database's range: no event, although another method's route has
        # the same pattern.
        f"/api/v1/events/{2**40}": 404,
        f"/api/v1/events/{2**40}/registrations": 404,
    }
    for path, status in answers.items():
        response = client.get(path)
        assert response.status_code == status, path
        assert response.is_json, path
        assert set(response.get_json()) == {"message", "errors"}, path
    wrong_method = client.delete(f"/api/v1/events/{event.id}")
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["message"] == "Diese Methode ist hier nicht erlaubt."
    assert set(wrong_method.headers["Allow"].split(", ")) >= {"GET", "PATCH"}
    english = client.get("/api/v1/nothing-here?lang=en").get_json()
    assert english == {"message": "Not found.", "errors": {}}
    # Pages keep their pages.
    page = client.get("/nothing-here")
    assert page.status_code == 404
    assert page.mimetype == "text/html"


def test_an_empty_kind_is_no_kind(app, client):
    response = client.get("/api/v1/events?kind=")
    assert response.status_code == 422
    assert "kind" in response.get_json()["errors"]


def test_a_consent_is_true_or_false_not_a_number(app, client, make_event):
    event = make_event()
    body = {
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
        "share_with_partners": 0,
    }
    response = client.post(f"/api/v1/events/{event.id}/registrations", json=body)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "share_with_partners": ["Erwartet wird true oder false."]
    }
