"""A NUL character, which no keyboard types and PostgreSQL stores in no text, is refused
where a request carries it (path, query, form) with an answer that says so, never a
server error, on both databases."""

from __future__ import annotations

from sqlalchemy import func, select

from roadshow.accounts.models import User
from roadshow.extensions import db
from tests.fixtures_pages import seed_demo_ahead


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


def test_a_login_with_nul_in_the_email_is_refused_and_writes_nothing(
    app, client, submit_form, make_user
) -> None:
    user = make_user()
    users = db.session.scalar(select(func.count(User.id)))
    answer = submit_form("/login", {"email": user.email + "\x00", "password": "x"})
    assert answer.status_code == 400
    assert db.session.scalar(select(func.count(User.id))) == users
