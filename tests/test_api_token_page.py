"""One's own API tokens on a page: made with a label, shown once, revocable, working
against the organiser API with the account's role."""

from __future__ import annotations

import re

from sqlalchemy import select

from roadshow.accounts.models import ApiToken
from roadshow.accounts.services import issue_api_token
from roadshow.extensions import db
from tests.fixtures_pages import log_in

RAW = re.compile(r'<code class="secret">([A-Za-z0-9_-]{43})</code>')


def page(response) -> str:
    return response.get_data(as_text=True)


def test_a_token_made_on_the_page_works_until_revoked(app, client, submit_form, make_user):
    user = make_user(name="Olga Organisatorin")
    log_in(submit_form, user)
    made = submit_form("/account/tokens", {"new-label": "CRM der Kammer", "action": "new"})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    [raw] = RAW.findall(page(made))
    api = app.test_client()
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 200 and me.get_json()["email"] == user.email

    listing = page(client.get("/account/tokens"))
    assert "CRM der Kammer" in listing and raw not in listing  # shown once only
    assert "noch nie" not in listing  # the read-only call above is its "last used"
    stored = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert stored.token_hash != raw and raw not in stored.token_hash

    # A second token for another program keeps the first one working.
    submit_form("/account/tokens", {"new-label": "Newsletter-Tool", "action": "new"})
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200

    revoked = submit_form(
        "/account/tokens", {"revoke-token_id": str(stored.id), "action": "revoke"}
    )
    assert revoked.status_code == 302
    assert "widerrufen" in page(client.get("/account/tokens"))
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_a_label_is_needed_and_another_users_token_cannot_be_revoked(
    app, client, submit_form, make_user
):
    user = make_user()
    other = make_user()
    issue_api_token(db.session, other, label="fremd")
    db.session.commit()
    foreign = db.session.scalar(select(ApiToken).where(ApiToken.user_id == other.id))
    log_in(submit_form, user)

    empty = submit_form("/account/tokens", {"new-label": "  ", "action": "new"})
    assert empty.status_code == 200
    assert "Bitte geben Sie an, wofür das Token ist." in page(empty)
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id)) is None

    refused = submit_form(
        "/account/tokens", {"revoke-token_id": str(foreign.id), "action": "revoke"}
    )
    assert refused.status_code == 404
    db.session.refresh(foreign)
    assert foreign.revoked_at is None


def test_the_command_replaces_its_own_token_and_keeps_the_pages(
    app, client, submit_form, runner, make_user
):
    user = make_user()
    log_in(submit_form, user)
    [page_token] = RAW.findall(
        page(submit_form("/account/tokens", {"new-label": "CRM", "action": "new"}))
    )
    first = runner.invoke(args=["users", "token", user.email]).output.strip().splitlines()[-1]
    second = runner.invoke(args=["users", "token", user.email]).output.strip().splitlines()[-1]
    api = app.test_client()

    def status(token: str) -> int:
        return api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code

    assert (status(page_token), status(first), status(second)) == (200, 401, 200)
