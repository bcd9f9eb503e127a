"""A NUL character, which no keyboard types and PostgreSQL stores in no text, is refused
where a request carries it (path, query, a form without its own check) with an answer that
says so, never a server error, on both databases. (The registration forms give it a message
next to its field: tests/test_fuzz_forms.py.)"""

from __future__ import annotations

from sqlalchemy import func, select

from roadshow.accounts.models import Role
from roadshow.extensions import db
from roadshow.partners.models import Partner
from tests.fixtures_pages import log_in, seed_demo_ahead


def test_an_api_filter_with_nul_answers_422_naming_the_field(app, client) -> None:
    seed_demo_ahead(db.session)
    answer = client.get("/api/v1/events?kind=stop&partner=%00&lang=en")
    assert answer.status_code == 422
    assert answer.is_json
    assert list(answer.json["errors"]) == ["partner"]
    assert "NUL" in answer.json["errors"]["partner"][0]
    # Without it the same filter works.
    assert client.get("/api/v1/events?kind=stop").status_code == 200


def test_a_path_with_nul_is_not_found(app, client) -> None:
    seed_demo_ahead(db.session)
    answer = client.get("/api/v1/partners/a%00b/report")
    assert answer.status_code == 404
    assert answer.is_json
    assert client.get("/tours/a%00b").status_code == 404


def test_a_listing_filter_with_nul_gets_the_error_page(app, client) -> None:
    seed_demo_ahead(db.session)
    answer = client.get("/?town=Weil%00heim")
    assert answer.status_code == 400
    assert "Steuerzeichen" in answer.get_data(as_text=True)


def test_a_form_without_its_own_check_refuses_nul_and_writes_nothing(
    app, client, submit_form, make_user
) -> None:
    """The partner form has no validator for control characters: SQLite keeps the text as
    it came, PostgreSQL refuses it, and then the organiser gets a refusal, not a 500."""
    log_in(submit_form, make_user(role=Role.ORGANISER))
    answer = submit_form(
        "/organiser/partners/new", {"name": "Alpen\x00tel", "industry": "Tele\x00kom"}
    )
    partners = db.session.scalar(select(func.count(Partner.id)))
    if db.engine.dialect.name == "postgresql":
        assert answer.status_code == 400
        assert "Steuerzeichen" in answer.get_data(as_text=True)
        assert partners == 0
    else:
        assert answer.status_code in (302, 303)
        assert partners == 1
