"""The registrations page of an event: search, filters, paging, counts, the waiting list."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from roadshow.accounts.models import Role
from roadshow.registrations import selfservice
from roadshow.registrations.models import Registration, RegistrationStatus
from roadshow.registrations.services import set_capacity
from tests.fixtures_backoffice_registrations import (
    add_registrations,
    check_in,
    listed_companies,
    waiting_companies,
)
from tests.fixtures_pages import log_in


def url(event) -> str:
    return f"/organiser/events/{event.id}/registrations"


def test_only_organisers_see_the_registrations(
    client, submit_form, make_user, make_partner, make_event
):
    event = make_event()
    assert client.get(url(event)).status_code == 302
    log_in(submit_form, make_user(role=Role.PARTNER, partner_id=make_partner().id))
    assert client.get(url(event)).status_code == 403
    assert client.get(url(event) + ".csv").status_code == 403


def test_unknown_events_answer_404(client, submit_form, make_user):
    log_in(submit_form, make_user())
    assert client.get("/organiser/events/4711/registrations").status_code == 404
    assert client.get("/organiser/events/4711/registrations/new").status_code == 404


def search_setup(db, make_event, make_partner, register_company):
    """Storno GmbH (cancelled), Huber GmbH (Ada checked in), Meier KG (via Alpentel),
    Schmidt AG (two people, waiting: the two seats are taken)."""
    partner = make_partner(slug="alpentel", name="Alpentel")
    event = make_event(capacity=2)
    storno = register_company(
        event, "Olaf Storno", company_name="Storno GmbH", contact_name="Otto Storno"
    )
    selfservice.cancel_registration(db.session, storno.registration)
    db.session.commit()
    huber = register_company(
        event,
        "Ada Huber",
        company_name="Huber GmbH",
        contact_name="Anna Huber",
        contact_email="anna@huber.example",
    )
    register_company(
        event,
        "Grace Meier",
        company_name="Meier KG",
        contact_name="Bernd Meier",
        referral_partner_slug="alpentel",
    )
    schmidt = register_company(event, "Zoe Schmidt", "Tom Schmidt", company_name="Schmidt AG")
    assert schmidt.registration.status is RegistrationStatus.WAITLISTED
    check_in(huber.registration.attendees[0])
    db.session.commit()
    return event, partner


def test_search_and_each_filter_find_what_one_expects(
    db, client, submit_form, make_user, make_event, make_partner, register_company
):
    event, partner = search_setup(db, make_event, make_partner, register_company)
    log_in(submit_form, make_user())

    def found(**query) -> list[str]:
        response = client.get(url(event), query_string=query)
        assert response.status_code == 200
        return listed_companies(response.get_data(as_text=True))

    everyone = ["Storno GmbH", "Huber GmbH", "Meier KG", "Schmidt AG"]  # order of arrival
    assert found() == everyone
    assert found(q="huber") == ["Huber GmbH"]  # company (and contact, attendee)
    assert found(q="BERND") == ["Meier KG"]  # contact name, any case
    assert found(q="anna@HUBER.example") == ["Huber GmbH"]  # contact email
    assert found(q="zoe") == ["Schmidt AG"]  # an attendee's name
    assert found(q="tom.schmidt@firma") == ["Schmidt AG"]  # an attendee's email
    assert found(q="gmbh") == ["Storno GmbH", "Huber GmbH"]
    assert found(q="%") == [] and found(q="_") == []  # taken literally
    assert found(status="confirmed") == ["Huber GmbH", "Meier KG"]
    assert found(status="waitlisted") == ["Schmidt AG"]
    assert found(status="cancelled") == ["Storno GmbH"]
    assert found(partner=str(partner.id)) == ["Meier KG"]
    assert found(checked_in="yes") == ["Huber GmbH"]
    assert found(checked_in="no") == ["Storno GmbH", "Meier KG", "Schmidt AG"]
    assert found(q="gmbh", status="confirmed") == ["Huber GmbH"]
    assert found(status="nonsense", partner="x", checked_in="maybe", page="-3") == everyone

    page = client.get(url(event), query_string={"q": "huber"}).get_data(as_text=True)
    assert 'value="huber"' in page  # the search stays in the box
    assert "1 Anmeldung gefunden." in page
    assert "eingecheckt" in page and "Ada Huber" in page
    assert "Alpentel" in page  # offered as a filter: it referred a registration


def test_counts_and_the_waiting_list_in_the_order_it_moves_up(
    db, client, submit_form, make_user, make_event, register_company
):
    event = make_event(capacity=1)
    register_company(event, "Ada", company_name="Erste GmbH")
    second = register_company(event, "Bob", "Bea", company_name="Zweite GmbH")
    register_company(event, "Cem", company_name="Dritte GmbH")
    fourth = register_company(event, "Dana", company_name="Vierte GmbH")
    # The fourth was put on the list earlier than the second (e.g. restored by hand):
    # the list follows the time of waiting, as the promotion does.
    db.session.execute(
        update(Registration)
        .where(Registration.id == fourth.registration.id)
        .values(waitlisted_at=second.registration.waitlisted_at - timedelta(minutes=5))
    )
    db.session.commit()
    log_in(submit_form, make_user())
    page = client.get(url(event)).get_data(as_text=True)
    assert waiting_companies(page) == ["Vierte GmbH", "Zweite GmbH", "Dritte GmbH"]
    assert page.count(">Nachrücken</button>") == 2 * 3  # on the list and in the table
    assert '<td id="seats-taken">1 / 1</td>' in page
    assert "3 Anmeldungen, 4 Personen" in page

    # The order shown is the order in which freed seats promote.
    promoted = set_capacity(db.session, db.session.get(type(event), event.id), 2)
    db.session.commit()
    assert [r.id for r in promoted] == [fourth.registration.id]


def test_paging_keeps_the_search(db, client, submit_form, make_user, make_event):
    event = make_event(capacity=500)
    add_registrations(event, 120, attendees=1)
    log_in(submit_form, make_user())
    first = client.get(url(event), query_string={"q": "firma"}).get_data(as_text=True)
    assert len(listed_companies(first)) == 50
    assert "120 Anmeldungen gefunden." in first and "Seite 1 von 3" in first
    assert f'href="/organiser/events/{event.id}/registrations?q=firma&amp;page=2"' in first
    last = client.get(url(event), query_string={"q": "firma", "page": "3"}).get_data(as_text=True)
    assert len(listed_companies(last)) == 20 and "Seite 3 von 3" in last
    beyond = client.get(url(event), query_string={"page": "99"}).get_data(as_text=True)
    assert "Seite 3 von 3" in beyond


def test_the_page_needs_the_same_queries_for_10_and_1000_registrations(
    db, client, submit_form, make_user, make_event, make_partner, count_queries
):
    partner = make_partner()
    log_in(submit_form, make_user())
    counts = {}
    for size in (10, 1000):
        event = make_event(capacity=10_000)
        # 1,000: 300 confirmed, 600 waiting (more than one batch of an IN list), 100 cancelled
        add_registrations(event, size * 3 // 10, partner=partner)
        add_registrations(event, size * 6 // 10, status=RegistrationStatus.WAITLISTED)
        add_registrations(event, size // 10, status=RegistrationStatus.CANCELLED)
        page_url = url(event)
        for query in ({}, {"q": "firma", "checked_in": "no", "partner": str(partner.id)}):
            with count_queries() as queries:
                response = client.get(page_url, query_string=query)
            assert response.status_code == 200
            counts[(size, bool(query))] = len(queries)
    print(f"\nregistrations page, queries: {counts}")
    assert counts[(10, False)] == counts[(1000, False)]
    assert counts[(10, True)] == counts[(1000, True)]
