"""The partner portal as a partner's user sees it: its own events, who comes, what may be
shared, the download, and nothing of other partners or of drafts."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from roadshow.accounts.models import Role, User
from roadshow.events.models import Event, EventStatus, PartnerRole
from roadshow.extensions import db
from roadshow.partners.models import Partner
from roadshow.registrations import selfservice
from roadshow.registrations.models import RegistrationStatus
from tests.fixtures_backoffice_registrations import add_registrations
from tests.fixtures_pages import log_in


@pytest.fixture
def partner(make_partner: Callable[..., Partner]) -> Partner:
    return make_partner(name="Netzwerk Telekom GmbH")


@pytest.fixture
def other_partner(make_partner: Callable[..., Partner]) -> Partner:
    return make_partner(name="Sicher IT AG")


@pytest.fixture
def partner_user(make_user: Callable[..., User], partner: Partner) -> User:
    return make_user(role=Role.PARTNER, partner_id=partner.id)


@pytest.fixture
def logged_in(submit_form: Callable[..., Any], partner_user: User) -> User:
    log_in(submit_form, partner_user)
    return partner_user


def _text(html: str) -> str:
    """The page's text as a reader sees it: tags dropped, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _section(html: str, heading: str) -> str:
    """The part of the page from ``heading`` to the next heading of the same level."""
    start = html.index(f"<h2>{heading}</h2>")
    end = html.find("<h2>", start + 1)
    return html[start : end if end != -1 else None]


def test_visitors_are_sent_to_log_in_and_staff_to_their_back_office(
    client: FlaskClient, submit_form: Callable[..., Any], make_user: Callable[..., User]
) -> None:
    response = client.get("/partner/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    log_in(submit_form, make_user(role=Role.ORGANISER))
    assert client.get("/partner/").status_code == 403


def test_the_start_page_lists_the_partners_own_events_upcoming_and_past(
    client: FlaskClient,
    logged_in: User,
    partner: Partner,
    other_partner: Partner,
    make_event: Callable[..., Event],
    register_company: Callable[..., Any],
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    hosted = make_event(
        title="Digitaltag Weilheim", capacity=40, partners={partner: PartnerRole.HOST}
    )
    register_company(hosted, "Anna Huber", "Ben Maier")
    speaking = make_event(
        title="KI im Handwerk",
        starts_at=now + timedelta(days=60),
        partners={partner: PartnerRole.SPEAKER, other_partner: PartnerRole.HOST},
    )
    past = make_event(
        title="Rückblick München",
        starts_at=now - timedelta(days=30),
        partners={partner: PartnerRole.EXHIBITOR},
    )
    make_event(
        title="Abgesagter Stopp",
        status=EventStatus.CANCELLED,
        partners={partner: PartnerRole.SPONSOR},
    )
    make_event(
        title="Entwurf Rosenheim", status=EventStatus.DRAFT, partners={partner: PartnerRole.HOST}
    )
    make_event(title="Fremde Veranstaltung", partners={other_partner: PartnerRole.HOST})
    make_event(title="Ohne Partner")

    html = client.get("/partner/").get_data(as_text=True)
    upcoming = _text(_section(html, "Kommende Veranstaltungen"))
    earlier = _text(_section(html, "Vergangene Veranstaltungen"))

    assert "Netzwerk Telekom GmbH" in _text(html)
    assert upcoming.index("Digitaltag Weilheim") < upcoming.index("KI im Handwerk")
    assert "2 von 40 Plätzen belegt" in upcoming
    assert "Ihre Rolle: Gastgeber" in upcoming and "Ihre Rolle: Vortrag" in upcoming
    assert "Abgesagter Stopp Abgesagt" in upcoming
    assert "Rückblick München" in earlier and "Rückblick München" not in upcoming
    for hidden in ("Entwurf Rosenheim", "Fremde Veranstaltung", "Ohne Partner"):
        assert hidden not in html
    assert f'href="/partner/events/{speaking.id}"' in html
    assert f'href="/partner/events/{past.id}"' in html


def test_the_event_page_shows_contact_data_only_of_those_who_agreed_to_share_it(
    client: FlaskClient,
    logged_in: User,
    partner: Partner,
    make_event: Callable[..., Event],
    register_company: Callable[..., Any],
) -> None:
    event = make_event(
        title="Digitaltag Weilheim", capacity=3, partners={partner: PartnerRole.HOST}
    )
    register_company(
        event,
        "Anna Huber",
        company_name="Bäckerei Huber",
        contact_name="Josef Huber",
        contact_email="josef@baeckerei-huber.example",
        contact_phone="+49 881 123",
        share_with_partners=True,
    )
    quiet = register_company(
        event,
        "Carla Berg",
        "Dora Stein",
        company_name="Schreinerei Berg",
        contact_name="Erich Berg",
    ).registration
    register_company(event, "Wanda Warte", company_name="Wartefirma")  # no seat left: waiting
    gone = register_company(
        event, "Xaver Storno", company_name="Stornofirma", share_with_partners=True
    )
    selfservice.cancel_registration(db.session, gone.registration)
    db.session.commit()
    assert quiet.status is RegistrationStatus.CONFIRMED

    response = client.get(f"/partner/events/{event.id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = _text(response.get_data(as_text=True))
    assert "3 bestätigte Personen" in text
    assert "Bäckerei Huber" in text and "Anna Huber" in text
    assert "Josef Huber" in text and "josef@baeckerei-huber.example" in text
    assert "+49 881 123" in text and "anna.huber@firma.example" in text
    assert "Schreinerei Berg" in text and "Carla Berg" in text and "Dora Stein" in text
    assert "Erich Berg" not in text and "carla.berg@firma.example" not in text
    assert quiet.contact_email not in text
    assert (
        "1 Anmeldung hat der Weitergabe der Kontaktdaten an Partner nicht zugestimmt (2 Personen)"
        in text
    )
    for absent in ("Wartefirma", "Wanda Warte", "Stornofirma", "Xaver Storno"):
        assert absent not in text


def test_another_partners_event_a_draft_and_a_missing_one_all_answer_404(
    client: FlaskClient,
    logged_in: User,
    partner: Partner,
    other_partner: Partner,
    make_event: Callable[..., Event],
) -> None:
    foreign = make_event(title="Fremd", partners={other_partner: PartnerRole.HOST})
    draft = make_event(
        title="Entwurf", status=EventStatus.DRAFT, partners={partner: PartnerRole.HOST}
    )
    missing = client.get("/partner/events/999999")
    assert missing.status_code == 404
    for event in (foreign, draft):
        for url in (f"/partner/events/{event.id}", f"/partner/events/{event.id}/registrations.csv"):
            response = client.get(url)
            assert response.status_code == 404, url
            assert response.get_data() == missing.get_data()
            assert event.title not in response.get_data(as_text=True)


def test_the_download_is_formula_safe_and_holds_only_shared_contact_data(
    client: FlaskClient,
    logged_in: User,
    partner: Partner,
    make_event: Callable[..., Event],
    register_company: Callable[..., Any],
) -> None:
    event = make_event(partners={partner: PartnerRole.HOST})
    register_company(
        event,
        '=HYPERLINK("http://evil.example","Klick")',
        company_name="@Firma Formel",
        contact_name="Josef Huber",
        contact_email="josef@baeckerei-huber.example",
        contact_phone="+49 881 123",
        share_with_partners=True,
    )
    register_company(
        event, "Carla Berg", company_name="Schreinerei Berg", contact_name="Erich Berg"
    )

    response = client.get(f"/partner/events/{event.id}/registrations.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="anmeldungen-{event.slug}.csv"'
    )
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert header == [
        "Unternehmen",
        "Teilnehmende Person",
        "E-Mail der teilnehmenden Person",
        "Ansprechperson",
        "E-Mail der Ansprechperson",
        "Telefon",
        "Weitergabe an Partner",
    ]
    shared, quiet = rows
    assert shared[0] == "'@Firma Formel"
    assert shared[1].startswith("'=HYPERLINK")
    assert shared[3:] == ["Josef Huber", "josef@baeckerei-huber.example", "'+49 881 123", "ja"]
    assert quiet == ["Schreinerei Berg", "Carla Berg", "", "", "", "", "nein"]


def test_the_portal_speaks_english_too(
    client: FlaskClient, logged_in: User, partner: Partner, make_event: Callable[..., Event]
) -> None:
    event = make_event(capacity=20, partners={partner: PartnerRole.HOST})
    client.get("/language/en")
    text = _text(client.get("/partner/").get_data(as_text=True))
    assert "Your events" in text and "0 of 20 seats taken" in text and "Your role: Host" in text
    page = _text(client.get(f"/partner/events/{event.id}").get_data(as_text=True))
    assert "No confirmed registrations yet." in page and "Download as CSV" in page


def test_the_pages_take_the_same_number_of_queries_for_few_and_many_rows(
    client: FlaskClient,
    logged_in: User,
    partner: Partner,
    make_event: Callable[..., Event],
    count_queries: Callable[[], Any],
) -> None:
    first = make_event(partners={partner: PartnerRole.HOST})
    add_registrations(first, 2)

    def queries(url: str) -> int:
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    few = {
        url: queries(url)
        for url in (
            "/partner/",
            f"/partner/events/{first.id}",
            f"/partner/events/{first.id}/registrations.csv",
        )
    }
    for _ in range(15):
        make_event(partners={partner: PartnerRole.SPEAKER})
    add_registrations(first, 40)
    many = {url: queries(url) for url in few}
    assert many == few
    assert max(few.values()) <= 6, few
