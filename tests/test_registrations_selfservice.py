"""The secret self-service link: view, add, replace, remove, cancel; GET never changes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from roadshow.events.models import EventKind
from roadshow.mail.models import OutboxMessage
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)
from tests.conftest import csrf_token_from
from tests.fixtures_registrations import outbox


def snapshot(db) -> list[tuple]:
    """Everything a change would touch: registrations, attendees, outbox rows."""
    db.session.expire_all()
    return [
        *db.session.execute(select(Registration.id, Registration.status, Registration.updated_at)),
        *db.session.execute(select(Attendee.id, Attendee.status, Attendee.name)),
        (db.session.scalar(select(func.count(OutboxMessage.id))),),
    ]


def post(client, token: str, path: str, data: dict | None = None, prefix: str = ""):
    """POST a form of the self-service page as the browser would, CSRF token included."""
    page = client.get(f"/registrations/{token}").get_data(as_text=True)
    csrf = csrf_token_from(page)
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    fields = {f"{prefix}-{k}" if prefix else k: v for k, v in (data or {}).items()}
    return client.post(f"/registrations/{token}{path}", data={name: csrf, **fields})


def attendee_ids(db, outcome) -> list[int]:
    db.session.expire_all()
    registration = db.session.get(Registration, outcome.registration.id)
    return [a.id for a in registration.active_attendees]


def test_the_page_shows_the_registration_and_a_get_changes_nothing(
    db, client, make_event, register_company
):
    event = make_event(title="Digital vor Ort: Weilheim")
    outcome = register_company(event, "Ada Huber", "Max Huber", company_name="Huber GmbH")
    before = snapshot(db)
    for _ in range(2):
        response = client.get(f"/registrations/{outcome.token}")
        assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Digital vor Ort: Weilheim" in page and "Huber GmbH" in page
    assert "Ada Huber" in page and "max.huber@firma.example" in page
    assert "Status: <strong>bestätigt</strong>" in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.mimetype == "text/html"
    for path in ("/attendees", f"/attendees/{attendee_ids(db, outcome)[0]}/remove", "/cancel"):
        assert client.get(f"/registrations/{outcome.token}{path}").status_code == 405
    assert snapshot(db) == before


def test_wrong_or_tampered_tokens_answer_404(db, client, make_event, register_company):
    outcome = register_company(make_event(), "Ada")
    token = outcome.token
    tampered = ("B" if token[0] != "B" else "C") + token[1:]
    stored_hash = db.session.get(Registration, outcome.registration.id).token_hash
    for wrong in (tampered, token[:-1], token + "x", stored_hash, "x" * 43):
        assert client.get(f"/registrations/{wrong}").status_code == 404
    assert client.get(f"/registrations/{tampered}/thanks").status_code == 404
    before = snapshot(db)
    page = client.get(f"/registrations/{token}").get_data(as_text=True)
    ada = attendee_ids(db, outcome)[0]
    response = client.post(
        f"/registrations/{tampered}/attendees/{ada}/remove",
        data={"csrf_token": csrf_token_from(page)},
    )
    assert response.status_code == 404
    assert snapshot(db) == before


def test_removing_an_employee_frees_the_seat_for_a_waiting_company(
    db, client, make_event, register_company
):
    event = make_event(capacity=2)
    ours = register_company(event, "Ada Huber", "Max Huber")
    waiting = register_company(event, "Grace Meier", company_name="Meier KG")
    assert waiting.registration.status is RegistrationStatus.WAITLISTED
    ada, max_ = attendee_ids(db, ours)

    response = post(client, ours.token, f"/attendees/{max_}/remove")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Die Person ist abgemeldet; ihr Platz ist wieder frei." in page
    assert "Ada Huber" in page and "Max Huber" not in page
    assert db.session.get(Attendee, max_).status is AttendeeStatus.CANCELLED
    assert db.session.get(Registration, waiting.registration.id).status is (
        RegistrationStatus.CONFIRMED
    )
    promoted_page = client.get(f"/registrations/{waiting.token}").get_data(as_text=True)
    assert "Status: <strong>bestätigt</strong>" in promoted_page
    assert [m.recipient for m in outbox(template="registrations/promoted")] == [
        waiting.registration.contact_email
    ]


def test_a_post_without_csrf_token_changes_nothing(db, client, make_event, register_company):
    outcome = register_company(make_event(), "Ada", "Max")
    before = snapshot(db)
    max_ = attendee_ids(db, outcome)[1]
    response = client.post(f"/registrations/{outcome.token}/attendees/{max_}/remove")
    assert response.status_code == 400
    assert snapshot(db) == before


def test_adding_an_attendee_needs_a_free_seat(db, client, make_event, register_company):
    event = make_event(capacity=2)
    outcome = register_company(event, "Ada")
    response = post(
        client, outcome.token, "/attendees", {"name": "Max", "email": "max@x.example"}, "add"
    )
    assert response.status_code == 303
    assert len(attendee_ids(db, outcome)) == 2

    before = snapshot(db)
    response = post(
        client, outcome.token, "/attendees", {"name": "Eva Neu", "email": "eva@x.example"}, "add"
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Leider ist kein Platz mehr frei." in page
    assert 'value="Eva Neu"' in page and 'value="eva@x.example"' in page
    assert snapshot(db) == before


def test_an_email_already_registered_is_refused_next_to_the_field(
    db, client, make_event, register_company
):
    event = make_event()
    register_company(event, "Grace Meier")
    outcome = register_company(event, "Ada")
    response = post(
        client,
        outcome.token,
        "/attendees",
        {"name": "Grace", "email": "grace.meier@firma.example"},
        "add",
    )
    page = response.get_data(as_text=True)
    assert re.search(
        r'<p class="error" id="add-email-error">grace.meier@firma.example ist für diese '
        r"Veranstaltung bereits angemeldet.</p>",
        page,
    )
    response = post(client, outcome.token, "/attendees", {"name": "", "email": "kaputt"}, "add")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="error" id="add-name-error">Bitte ausfüllen.</p>' in page
    assert 'value="kaputt"' in page


def test_no_more_attendees_than_the_event_allows(db, client, make_event, register_company):
    outcome = register_company(make_event(max_attendees_per_registration=1), "Ada")
    page = client.get(f"/registrations/{outcome.token}").get_data(as_text=True)
    assert "Weitere Person anmelden" not in page
    response = post(
        client, outcome.token, "/attendees", {"name": "M", "email": "m@x.example"}, "add"
    )
    assert "höchstens 1 Teilnehmende" in response.get_data(as_text=True)


def test_replacing_an_attendee_moves_the_seat_and_the_invitation(
    db, client, make_event, register_company
):
    event = make_event(capacity=1)
    outcome = register_company(event, "Ada Huber")
    ada = attendee_ids(db, outcome)[0]
    response = post(
        client,
        outcome.token,
        f"/attendees/{ada}/replace",
        {"name": "Eva Huber", "email": "eva@huber.example"},
        f"replace-{ada}",
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Der Platz gehört jetzt Eva Huber." in page
    assert "Eva Huber" in page and "ada.huber@firma.example" not in page
    cancelled = outbox(ics_method="CANCEL")
    assert [m.recipient for m in cancelled] == ["ada.huber@firma.example"]
    assert "eva@huber.example" in [m.recipient for m in outbox(ics_method="REQUEST")]


def test_cancelling_needs_a_tick_then_frees_every_seat(db, client, make_event, register_company):
    event = make_event(capacity=2)
    ours = register_company(event, "Ada", "Max")
    waiting = register_company(event, "Grace", "Linus")
    response = post(client, ours.token, "/cancel", {})
    assert response.status_code == 422
    assert "Bitte bestätigen Sie die Stornierung." in response.get_data(as_text=True)
    assert db.session.get(Registration, ours.registration.id).status is RegistrationStatus.CONFIRMED

    response = post(client, ours.token, "/cancel", {"confirm": "y"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ihre Anmeldung ist storniert." in page
    assert "Status: <strong>storniert</strong>" in page
    assert "Person hinzufügen" not in page and "abmelden" not in page
    assert db.session.get(Registration, waiting.registration.id).status is (
        RegistrationStatus.CONFIRMED
    )
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    again = client.post(
        f"/registrations/{ours.token}/cancel", data={"csrf_token": token, "confirm": "y"}
    )
    assert again.status_code == 409
    assert "Diese Anmeldung ist bereits storniert." in again.get_data(as_text=True)


def test_removing_the_last_attendee_cancels_the_registration(
    db, client, make_event, register_company
):
    outcome = register_company(make_event(), "Ada")
    post(client, outcome.token, f"/attendees/{attendee_ids(db, outcome)[0]}/remove")
    assert db.session.get(Registration, outcome.registration.id).status is (
        RegistrationStatus.CANCELLED
    )


def test_nothing_changes_once_the_event_has_begun(db, client, make_event, register_company):
    event = make_event()
    outcome = register_company(event, "Ada", "Max")
    event.starts_at = datetime.now(UTC) - timedelta(minutes=5)
    db.session.commit()
    page = client.get(f"/registrations/{outcome.token}").get_data(as_text=True)
    assert "Ada" in page and "abmelden" not in page and "stornieren</button>" not in page
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    before = snapshot(db)
    max_ = attendee_ids(db, outcome)[1]
    response = client.post(
        f"/registrations/{outcome.token}/attendees/{max_}/remove", data={"csrf_token": token}
    )
    assert response.status_code == 409
    assert "Änderungen sind nicht mehr möglich" in response.get_data(as_text=True)
    assert snapshot(db) == before


@pytest.mark.parametrize("confirmed", [True, False], ids=["confirmed", "waitlisted"])
def test_the_webinar_join_link_is_only_for_confirmed_attendees(
    db, client, make_event, register_company, confirmed
):
    event = make_event(
        kind=EventKind.WEBINAR,
        capacity=1 if confirmed else 0,
        join_url="https://webinar.example/join/secret-room",
    )
    outcome = register_company(event, "Ada")
    own_page = client.get(f"/registrations/{outcome.token}").get_data(as_text=True)
    assert ("secret-room" in own_page) is confirmed
    for public in (
        "/",
        f"/events/{event.slug}",
        f"/events/{event.slug}/register",
        "/api/v1/events",
        f"/api/v1/events/{event.id}",
    ):
        assert "secret-room" not in client.get(public).get_data(as_text=True), public


def test_the_page_takes_the_same_number_of_queries_for_one_or_many_attendees(
    db, client, make_event, register_company, count_queries
):
    event = make_event(capacity=100, max_attendees_per_registration=40)
    small = register_company(event, "Ada")
    large = register_company(event, *[f"Person {i}" for i in range(35)])
    for n in range(30):
        register_company(event, f"Someone {n}")  # more registrations at the event
    counts = []
    for outcome in (small, large):
        with count_queries() as queries:
            assert client.get(f"/registrations/{outcome.token}").status_code == 200
        counts.append(len(queries))
    print(f"\nself-service page: {counts[0]} queries (1 attendee), {counts[1]} (35 attendees)")
    assert counts[0] == counts[1]
