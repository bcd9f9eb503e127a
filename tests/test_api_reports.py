"""The report endpoints of the API: an event's attendance (organisers) and a partner's
report (organisers, or that partner's own token; another partner's token gets 404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from openapi_spec_validator import validate

from roadshow.accounts.models import ApiToken, Role
from roadshow.extensions import db
from tests.fixtures_backoffice_registrations import bearer
from tests.fixtures_reports import ReportWorld


def test_event_attendance_for_organisers(
    client: FlaskClient, api_token: Callable[..., Any], report_world: ReportWorld
) -> None:
    _user, token = api_token()
    response = client.get(
        f"/api/v1/events/{report_world.webinar.id}/attendance", headers=bearer(token)
    )
    assert response.status_code == 200
    body = response.get_json()
    assert {k: body[k] for k in ("registered", "confirmed", "attended", "no_show")} == {
        "registered": 3,
        "confirmed": 3,
        "attended": 1,
        "no_show": 2,
    }
    people = body["attendees"]
    assert [(p["attended"], p["minutes"], p["method"]) for p in people] == [
        (True, 50, "webinar_import"),
        (False, 5, "webinar_import"),
        (False, None, None),
    ]
    assert all(p["email"].endswith("@firma.example") and isinstance(p["id"], int) for p in people)


def test_event_attendance_ahead_has_no_no_shows_and_unknown_is_404(
    client: FlaskClient, api_token: Callable[..., Any], report_world: ReportWorld
) -> None:
    _user, token = api_token()
    body = client.get(
        f"/api/v1/events/{report_world.workshop.id}/attendance", headers=bearer(token)
    ).get_json()
    assert body["no_show"] is None and body["held"] is False and body["confirmed"] == 1
    missing = client.get("/api/v1/events/999999/attendance", headers=bearer(token))
    assert missing.status_code == 404 and missing.is_json


def test_event_attendance_refuses_partners_and_anonymous(
    client: FlaskClient, api_token: Callable[..., Any], report_world: ReportWorld
) -> None:
    url = f"/api/v1/events/{report_world.stop.id}/attendance"
    assert client.get(url).status_code == 401
    _user, token = api_token(role=Role.PARTNER, partner_id=report_world.partner.id)
    assert client.get(url, headers=bearer(token)).status_code == 403


def test_partner_report_for_an_organiser_and_for_the_partner_itself(
    client: FlaskClient, api_token: Callable[..., Any], report_world: ReportWorld
) -> None:
    w = report_world
    _organiser, organiser_token = api_token()
    _own, own_token = api_token(role=Role.PARTNER, partner_id=w.partner.id)
    url = f"/api/v1/partners/{w.partner.slug}/report"
    for token in (organiser_token, own_token):
        response = client.get(url, headers=bearer(token))
        assert response.status_code == 200
        body = response.get_json()
        assert body["partner"] == {"slug": w.partner.slug, "name": "Netzwerk Telekom GmbH"}
        assert [e["title"] for e in body["events"]] == ["Tourstopp Weilheim", "Webinar Cloud"]
        stop = body["events"][0]
        assert (stop["registered"], stop["confirmed"], stop["attended"], stop["no_show"]) == (
            5,
            4,
            2,
            2,
        )
        assert stop["no_show_rate"] == 0.5 and stop["kind"] == "stop"
        totals = body["totals"]
        assert (
            totals["registered"],
            totals["companies"],
            totals["attended"],
            totals["no_show"],
        ) == (
            8,
            5,
            3,
            4,
        )
        assert body["referred"] == {"registered": 4, "companies": 3, "confirmed": 4, "attended": 2}


def test_another_partners_token_gets_404_and_changes_nothing(
    client: FlaskClient, api_token: Callable[..., Any], report_world: ReportWorld
) -> None:
    _other, token = api_token(role=Role.PARTNER, partner_id=report_world.other_partner.id)
    response = client.get(
        f"/api/v1/partners/{report_world.partner.slug}/report", headers=bearer(token)
    )
    assert response.status_code == 404
    assert "Tourstopp" not in response.get_data(as_text=True)
    assert db.session.scalars(db.select(ApiToken.last_used_at)).all() == [None]
    unknown = client.get("/api/v1/partners/gibt-es-nicht/report", headers=bearer(token))
    assert unknown.status_code == 404
    own = client.get(
        f"/api/v1/partners/{report_world.other_partner.slug}/report", headers=bearer(token)
    )
    assert own.status_code == 200 and [e["title"] for e in own.get_json()["events"]] == [
        "Sicherheitstag"
    ]


def test_a_partners_user_gets_a_report_token_only_when_asked(
    runner: Any, make_user: Callable[..., Any], report_world: ReportWorld, client: FlaskClient
) -> None:
    user = make_user(role=Role.PARTNER, partner_id=report_world.partner.id)
    refused = runner.invoke(args=["users", "token", user.email])
    assert refused.exit_code != 0 and "--partner-report" in refused.output
    issued = runner.invoke(args=["users", "token", user.email, "--partner-report"])
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip().splitlines()[-1]
    assert (
        client.get(
            f"/api/v1/partners/{report_world.partner.slug}/report", headers=bearer(token)
        ).status_code
        == 200
    )
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 403


def test_the_openapi_document_describes_both_endpoints(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    assert "get" in document["paths"]["/events/{event_id}/attendance"]
    assert "get" in document["paths"]["/partners/{slug}/report"]
    assert "PartnerReport" in document["components"]["schemas"]
