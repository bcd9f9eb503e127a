"""Check-in at the door, as the check-in page calls it: by code, from the list, undo,
walk-ins, who may, and many devices at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from roadshow.accounts.models import Role
from roadshow.attendance.models import CheckIn, CheckInMethod
from roadshow.events.models import EventStatus, PartnerRole
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_all_due
from roadshow.registrations.models import Registration, RegistrationStatus
from tests.conftest import IsolatedClient
from tests.fixtures_pages import log_in


@pytest.fixture
def door(make_event, register_company, make_user, submit_form, client):
    """A stop that begins in an hour with two companies, and an organiser logged in."""
    event = make_event(
        starts_at=datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1), capacity=4
    )
    huber = register_company(event, "Anna Huber", "Max Huber", company_name="Schreinerei Huber")
    brunner = register_company(event, "Eva Brunner", company_name="Brunner Steuerberatung")
    organiser = make_user(role=Role.ORGANISER)
    log_in(submit_form, organiser)
    return event, huber.registration, brunner.registration, organiser


def _headers(client, event) -> dict[str, str]:
    body = client.get(f"/check-in/{event.id}/attendees.json").get_json()
    return {"X-CSRFToken": body["csrf_token"]}


def _rows(event_id: int) -> list[CheckIn]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(CheckIn).where(CheckIn.event_id == event_id)))


def test_a_scanned_code_checks_in_once_and_a_second_scan_says_when(client, door):
    event, huber, _brunner, organiser = door
    anna = huber.attendees[0]
    headers = _headers(client, event)
    printed = " ".join(anna.check_in_code[i : i + 4] for i in range(0, 16, 4)).lower()

    first = client.post(f"/check-in/{event.id}/check-ins", json={"code": printed}, headers=headers)
    assert first.status_code == 201
    body = first.get_json()
    assert body["already"] is False
    assert body["attendee"] == {"id": anna.id, "name": "Anna Huber", "company": "Schreinerei Huber"}

    again = client.post(
        f"/check-in/{event.id}/check-ins", json={"code": anna.check_in_code}, headers=headers
    )
    assert again.status_code == 200
    assert again.get_json()["already"] is True
    assert again.get_json()["checked_in_at"] == body["checked_in_at"]
    [row] = _rows(event.id)
    assert row.method is CheckInMethod.QR and row.checked_in_by_id == organiser.id
    assert again.headers["Cache-Control"] == "no-store"


def test_the_list_shows_who_came_and_the_count(client, door, count_queries):
    event, huber, _brunner, _organiser = door
    headers = _headers(client, event)
    client.post(
        f"/check-in/{event.id}/check-ins",
        json={"attendee_id": huber.attendees[1].id},
        headers=headers,
    )
    body = client.get(f"/check-in/{event.id}/attendees.json").get_json()
    assert (body["checked_in"], body["expected"]) == (1, 3)
    assert [p["name"] for p in body["attendees"]] == ["Anna Huber", "Eva Brunner", "Max Huber"]
    max_huber = body["attendees"][2]
    assert max_huber["method"] == "manual" and max_huber["check_in_id"] is not None
    assert max_huber["code"] == huber.attendees[1].check_in_code
    assert body["attendees"][0]["checked_in_at"] is None
    response = client.get(f"/check-in/{event.id}/")
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Max Huber" in page and "1 von 3 eingecheckt" in page


def test_the_list_costs_the_same_queries_for_two_or_forty_people(
    client, door, register_company, count_queries
):
    event, *_rest = door

    def queries() -> int:
        with count_queries() as counted:
            assert client.get(f"/check-in/{event.id}/attendees.json").status_code == 200
        return len(counted)

    few = queries()
    event.capacity = 60
    db.session.commit()
    for n in range(20):
        register_company(event, f"Person {n}a", f"Person {n}b")
    assert queries() == few


def test_an_unknown_code_or_a_bad_body_answers_json(client, door):
    event, *_rest = door
    headers = _headers(client, event)
    url = f"/check-in/{event.id}/check-ins"
    unknown = client.post(url, json={"code": "AAAA BBBB CCCC DDDD"}, headers=headers)
    assert unknown.status_code == 404
    assert unknown.get_json()["error"] == "Kein Ticket mit diesem Code für diese Veranstaltung."
    for body in ({}, {"code": 12}, {"attendee_id": "x"}, {"attendee_id": True}):
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 400 and "error" in response.get_json(), body
    not_json = client.post(url, data="{", content_type="application/json", headers=headers)
    assert not_json.status_code == 400 and not_json.is_json
    no_token = client.post(url, json={"code": "X"})
    assert no_token.status_code == 400 and no_token.is_json
    assert client.get(f"/check-in/{event.id + 999}/attendees.json").status_code == 404
    assert _rows(event.id) == []


def test_an_offline_device_sending_late_keeps_the_earlier_time(client, door):
    event, huber, _brunner, _organiser = door
    anna = huber.attendees[0]
    headers = _headers(client, event)
    url = f"/check-in/{event.id}/check-ins"
    now = datetime.now(UTC).replace(microsecond=0)
    client.post(url, json={"code": anna.check_in_code}, headers=headers)
    earlier = (now - timedelta(minutes=20)).isoformat()
    late = client.post(url, json={"code": anna.check_in_code, "at": earlier}, headers=headers)
    assert late.get_json()["already"] is True
    assert datetime.fromisoformat(late.get_json()["checked_in_at"]) == now - timedelta(minutes=20)
    later = (now + timedelta(seconds=30)).isoformat()
    client.post(url, json={"attendee_id": anna.id, "at": later}, headers=headers)
    [row] = _rows(event.id)
    assert row.checked_in_at == now - timedelta(minutes=20)

    # A device whose clock is far off is not believed: the server's time counts.
    max_huber = huber.attendees[1]
    future = (now + timedelta(days=3)).isoformat()
    client.post(url, json={"attendee_id": max_huber.id, "at": future}, headers=headers)
    row = next(r for r in _rows(event.id) if r.attendee_id == max_huber.id)
    assert abs(row.checked_in_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_undo_takes_a_check_in_back_and_a_second_undo_answers_404(client, door):
    event, huber, _brunner, _organiser = door
    headers = _headers(client, event)
    done = client.post(
        f"/check-in/{event.id}/check-ins",
        json={"code": huber.attendees[0].check_in_code},
        headers=headers,
    ).get_json()
    url = f"/check-in/{event.id}/check-ins/{done['check_in_id']}"
    assert client.delete(url, headers=headers).get_json() == {"undone": True}
    assert _rows(event.id) == []
    assert client.delete(url, headers=headers).status_code == 404
    again = client.post(
        f"/check-in/{event.id}/check-ins",
        json={"code": huber.attendees[0].check_in_code},
        headers=headers,
    )
    assert again.status_code == 201


def test_cancelled_and_waiting_people_have_no_valid_ticket(client, door, register_company):
    event, *_rest = door
    register_company(event, "Voll Eins")  # the fourth seat
    waiting = register_company(event, "Warte Liste").registration
    assert waiting.status is RegistrationStatus.WAITLISTED
    response = client.post(
        f"/check-in/{event.id}/check-ins",
        json={"code": waiting.attendees[0].check_in_code},
        headers=_headers(client, event),
    )
    assert response.status_code == 404


def walk_in(client, event, headers, **values):
    body = {
        "ref": "3f0c1c7e-8d4e-4c2b-9a55-0d9f6c1a2b3c",
        "name": "Lena Maier",
        "email": "lena@gasthof-post.example",
        "company": "Gasthof Zur Post",
        "town": "Murnau",
        **values,
    }
    return client.post(f"/check-in/{event.id}/walk-ins", json=body, headers=headers)


def test_a_walk_in_is_registered_checked_in_and_gets_the_ticket_mail(client, door, smtp_sink):
    event, *_rest = door
    headers = _headers(client, event)
    response = walk_in(client, event, headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body["attendee"]["name"] == "Lena Maier"
    assert body["attendee"]["company"] == "Gasthof Zur Post"
    # The same walk-in again from a device's queue makes no second registration.
    again = walk_in(client, event, headers)
    assert again.status_code == 200 and again.get_json() == body
    registration = db.session.get(Registration, body["registration_id"])
    assert registration.status is RegistrationStatus.CONFIRMED
    assert registration.town == "Murnau"
    [row] = [r for r in _rows(event.id) if r.id == body["check_in_id"]]
    assert row.method is CheckInMethod.WALK_IN
    deliver_all_due(db.session)
    mails = [m.message for m in smtp_sink.to("lena@gasthof-post.example")]
    assert mails, "the walk-in got no mail"
    texts = " ".join(
        part.get_content()
        for mail in mails
        for part in mail.walk()
        if part.get_content_type() == "text/plain"
    )
    code = registration.attendees[0].check_in_code
    assert " ".join(code[i : i + 4] for i in range(0, 16, 4)) in texts


def test_a_walk_in_with_bad_fields_says_which_and_writes_nothing(client, door):
    event, *_rest = door
    headers = _headers(client, event)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Registration))
    response = walk_in(client, event, headers, name="", email="kein-at", company=" ")
    assert response.status_code == 400
    fields = response.get_json()["fields"]
    assert set(fields) == {"name", "email", "company"}
    assert "E-Mail-Adresse" in fields["email"]
    taken = walk_in(client, event, headers, email=door[1].attendees[0].email)
    assert taken.status_code == 400 and "email" in taken.get_json()["fields"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == before


def test_a_walk_in_at_a_cancelled_event_says_so_beside_no_field(client, door):
    event, *_rest = door
    headers = _headers(client, event)
    event.status = EventStatus.CANCELLED
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Registration))
    response = walk_in(client, event, headers)
    assert response.status_code == 400
    assert "abgesagt" in response.get_json()["error"]
    assert response.get_json()["fields"] == {}
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == before


def test_a_full_event_takes_a_walk_in_only_with_the_override(client, door, register_company):
    event, *_rest = door
    register_company(event, "Letzter Platz")
    headers = _headers(client, event)
    full = walk_in(client, event, headers)
    assert full.status_code == 409
    assert "override_capacity" in full.get_json()["fields"]
    forced = walk_in(client, event, headers, override_capacity=True)
    assert forced.status_code == 201
    db.session.expire_all()
    db.session.refresh(event)
    assert event.seats_taken == 5 and event.capacity == 4


def test_partner_staff_check_in_only_where_the_organiser_allows_it(
    app, make_event, make_partner, make_user, register_company
):
    partner = make_partner()
    event = make_event(partners={partner: PartnerRole.HOST})
    anna = register_company(event, "Anna Huber").registration.attendees[0]
    staff = make_user(role=Role.PARTNER, partner_id=partner.id)
    other = make_user(role=Role.PARTNER, partner_id=make_partner().id)

    app.test_client_class = IsolatedClient

    def attempt(user) -> int:
        browser = app.test_client()
        if True:
            browser.get("/login")
            token = generate_csrf_for(browser)
            browser.post(
                "/login",
                data={
                    "email": user.email,
                    "password": "correct horse battery",
                    "csrf_token": token,
                },
            )
            body = browser.get(f"/check-in/{event.id}/attendees.json")
            if body.status_code != 200:
                return body.status_code
            response = browser.post(
                f"/check-in/{event.id}/check-ins",
                json={"code": anna.check_in_code},
                headers={"X-CSRFToken": body.get_json()["csrf_token"]},
            )
            return response.status_code

    assert attempt(staff) == 403
    event.partners_may_check_in = True
    db.session.commit()
    assert attempt(other) == 403
    assert attempt(staff) == 201


def generate_csrf_for(browser) -> str:
    from tests.conftest import csrf_token_from

    return csrf_token_from(browser.get("/login").get_data(as_text=True))


def test_many_devices_at_once_lose_no_check_in_and_count_none_twice(
    app, make_event, register_company, make_user
):
    event = make_event(capacity=40)
    registrations = [register_company(event, f"Person {n}").registration for n in range(8)]
    codes = [r.attendees[0].check_in_code for r in registrations]
    organiser = make_user(role=Role.ORGANISER)
    event_id, organiser_id = event.id, organiser.id
    from roadshow.accounts.models import User
    from roadshow.attendance import checkin
    from roadshow.events.models import Event

    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def device(number: int) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                for code in codes:  # every device scans everyone: 4 × 8 scans
                    for _attempt in range(20):
                        try:
                            session = db.session
                            here = session.get(Event, event_id)
                            by = session.get(User, organiser_id)
                            attendee = checkin.find_by_code(session, here, code)
                            checkin.check_in(
                                session, here, attendee, method=CheckInMethod.QR, by=by
                            )
                            session.commit()
                            break
                        except sa.exc.OperationalError:  # SQLite: the database is busy
                            db.session.rollback()
                    else:
                        raise AssertionError("never got through")
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=device, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    rows = _rows(event_id)
    assert sorted(r.attendee_id for r in rows) == sorted(r.attendees[0].id for r in registrations)


def test_anonymous_json_calls_answer_401_and_the_page_sends_to_login(client, make_event):
    event = make_event()
    assert client.get(f"/check-in/{event.id}/attendees.json").status_code == 401
    page = client.get(f"/check-in/{event.id}/")
    assert page.status_code == 302 and "/login" in page.location


def test_the_service_worker_may_control_the_check_in_pages(client):
    response = client.get("/check-in/sw.js")
    assert response.status_code == 200
    assert response.headers["Service-Worker-Allowed"] == "/check-in/"
    assert response.mimetype == "text/javascript"
