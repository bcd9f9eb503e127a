"""Organisers' API tokens: made by `flask users token`, shown once, stored as a hash,
replaced by the next one; the organiser endpoints answer 401 or 403 without a good one."""

from __future__ import annotations

from sqlalchemy import select

from roadshow.accounts.models import ApiToken, AuditLog, Role
from roadshow.extensions import db
from roadshow.tokens import hash_token
from tests.fixtures_pages import PASSWORD


def _token_from(output: str) -> str:
    return output.strip().splitlines()[-1]


def test_the_command_prints_a_token_once_and_stores_only_its_hash(app, runner, make_user):
    organiser = make_user(role=Role.ORGANISER, email="planer@ihk.example")
    result = runner.invoke(args=["users", "token", "Planer@IHK.example"])
    assert result.exit_code == 0, result.output
    token = _token_from(result.output)
    assert len(token) >= 32
    stored = db.session.scalars(select(ApiToken)).all()
    assert [(t.user_id, t.token_hash) for t in stored] == [(organiser.id, hash_token(token))]
    assert token not in repr([t.__dict__ for t in stored])
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.actor_id == organiser.id)) == (
        "user.api_token_issued"
    )


def test_a_new_token_replaces_the_old_one(app, client, runner, make_user):
    make_user(role=Role.ADMIN, email="admin@ihk.example")
    first = _token_from(runner.invoke(args=["users", "token", "admin@ihk.example"]).output)
    second = _token_from(runner.invoke(args=["users", "token", "admin@ihk.example"]).output)
    assert first != second
    old = client.get("/api/v1/me", headers={"Authorization": f"Bearer {first}"})
    assert old.status_code == 401
    assert 'error="invalid_token"' in old.headers["WWW-Authenticate"]
    new = client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"})
    assert new.status_code == 200
    assert new.get_json()["email"] == "admin@ihk.example"
    assert new.get_json()["role"] == "admin"


def test_tokens_only_for_staff_and_known_addresses(app, runner, make_user, make_partner):
    make_user(role=Role.PARTNER, partner_id=make_partner().id, email="partner@firma.example")
    refused = runner.invoke(args=["users", "token", "partner@firma.example"])
    assert refused.exit_code != 0
    assert "organisers and admins" in refused.output
    unknown = runner.invoke(args=["users", "token", "niemand@ihk.example"])
    assert unknown.exit_code != 0
    assert "kein Konto" in unknown.output
    assert db.session.scalars(select(ApiToken)).all() == []


def test_without_a_good_token_the_organiser_api_answers_401_in_json(app, client):
    for headers in (
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer " + "A" * 43},
    ):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="roadshow"')
        assert response.is_json and response.get_json()["message"]


def test_a_deactivated_user_or_a_partner_gets_nothing(app, client, make_user, make_partner):
    from roadshow.accounts.services import issue_api_token

    organiser = make_user(role=Role.ORGANISER)
    token = issue_api_token(db.session, organiser)
    partner_user = make_user(role=Role.PARTNER, partner_id=make_partner().id)
    # A partner cannot get a token from the command; one made by hand still opens nothing.
    partner_token = issue_api_token(db.session, partner_user)
    db.session.commit()
    forbidden = client.get("/api/v1/me", headers={"Authorization": f"Bearer {partner_token}"})
    assert forbidden.status_code == 403
    organiser.active = False
    db.session.commit()
    gone = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401


def test_login_sends_organisers_to_the_back_office(app, client, submit_form, make_user):
    user = make_user(role=Role.ORGANISER)
    response = submit_form("/login", {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/organiser/"
    assert client.get("/organiser/").status_code == 200


def test_partner_users_land_in_their_portal(app, client, submit_form, make_user, make_partner):
    user = make_user(role=Role.PARTNER, partner_id=make_partner().id)
    response = submit_form("/login", {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/partner/"
    assert client.get("/partner/").status_code == 200
    assert client.get("/organiser/").status_code == 403
