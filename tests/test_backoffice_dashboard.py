"""The organisers' dashboard: the next events with seats and waiting lists, recent
registrations, failed mail and drafts, in a fixed number of queries."""

from __future__ import annotations

import hashlib
import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from roadshow.accounts.models import Role
from roadshow.events.models import Event, EventKind, EventStatus
from roadshow.extensions import db
from roadshow.mail.models import OutboxMessage, OutboxStatus
from roadshow.registrations.models import Attendee, Registration, RegistrationStatus
from roadshow.registrations.services import recount_seats
from tests.fixtures_mail import queue_plain
from tests.fixtures_pages import PASSWORD, log_in

NOW = datetime.now(UTC).replace(microsecond=0)
_numbers = itertools.count(1)


def row(page: str, row_id: str) -> str:
    match = re.search(rf'<(tr|li) id="{row_id}">(.*?)</\1>', page, re.S)
    assert match, f"no row {row_id}"
    return match.group(2)


def cell(page: str, row_id: str, name: str) -> str:
    match = re.search(rf'<td class="{name}"[^>]*>(?:<a [^>]*>)?([^<]*)', row(page, row_id))
    assert match, (row_id, name)
    return match.group(1).strip()


def count_in(page: str, row_id: str) -> int:
    return int(re.search(r"<td[^>]*>(\d+)</td>", row(page, row_id)).group(1))


@pytest.fixture
def organiser(make_user, submit_form):
    user = make_user(role=Role.ORGANISER)
    log_in(submit_form, user)
    return user


def test_the_dashboard_needs_an_organiser(app, client, submit_form, make_user, make_partner):
    response = client.get("/organiser/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    log_in(submit_form, make_user(role=Role.PARTNER, partner_id=make_partner().id))
    assert client.get("/organiser/").status_code == 403


def test_organisers_land_on_the_dashboard_after_login(app, submit_form, make_user):
    user = make_user(role=Role.ORGANISER)
    response = submit_form("/login", {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/organiser/")


def test_the_dashboard_shows_the_numbers_of_a_known_day(
    app, client, organiser, make_event, make_registration
):
    soon = make_event(
        title="Digital vor Ort: Weilheim", capacity=10, starts_at=NOW + timedelta(days=2)
    )
    make_registration(
        soon, attendees=[("A", "a@x.example"), ("B", "b@x.example"), ("C", "c@x.example")]
    )
    make_registration(soon, attendees=[("D", "d@x.example"), ("E", "e@x.example")])
    make_registration(
        soon,
        attendees=[(n, f"{n}@y.example") for n in ("f", "g", "h", "i")],
        status=RegistrationStatus.WAITLISTED,
    )
    old = make_registration(soon, attendees=[("J", "j@x.example")])
    old.created_at = NOW - timedelta(days=10)
    draft = make_event(
        title="Workshop KI im Handwerk",
        kind=EventKind.WORKSHOP,
        status=EventStatus.DRAFT,
        capacity=20,
        starts_at=NOW + timedelta(days=5),
    )
    later = make_event(title="Webinar Cloud", starts_at=NOW + timedelta(days=9))
    make_registration(later, attendees=[("K", "k@x.example")])
    cancelled = make_event(
        title="Abgesagter Stopp", status=EventStatus.CANCELLED, starts_at=NOW + timedelta(days=3)
    )
    past = make_event(title="Vorbei", starts_at=NOW - timedelta(days=2))
    past_draft = make_event(
        title="Alter Entwurf", status=EventStatus.DRAFT, starts_at=NOW - timedelta(days=20)
    )
    db.session.commit()
    messages = queue_plain(3, soon)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([m.id for m in messages[:2]]))
        .values(status=OutboxStatus.FAILED)
    )
    db.session.commit()

    page = client.get("/organiser/").get_data(as_text=True)

    ids = re.findall(r'<tr id="event-(\d+)">', page)
    assert ids == [str(e.id) for e in (soon, cancelled, draft, later)]  # soonest first
    assert str(past.id) not in ids and str(past_draft.id) not in ids
    assert (
        cell(page, f"event-{soon.id}", "seats-taken"),
        cell(page, f"event-{soon.id}", "capacity"),
        cell(page, f"event-{soon.id}", "waiting"),
    ) == ("6", "10", "4")
    assert (
        cell(page, f"event-{draft.id}", "seats-taken"),
        cell(page, f"event-{draft.id}", "capacity"),
        cell(page, f"event-{draft.id}", "waiting"),
    ) == ("0", "20", "0")
    assert "Entwurf" in row(page, f"event-{draft.id}")
    assert "abgesagt" in row(page, f"event-{cancelled.id}")
    assert f'href="/organiser/events/{soon.id}/edit"' in row(page, f"event-{soon.id}")

    assert count_in(page, "recent-registrations") == 4  # the one of ten days ago is not
    assert count_in(page, f"recent-{soon.id}") == 3
    assert count_in(page, f"recent-{later.id}") == 1
    assert page.index(f'id="recent-{soon.id}"') < page.index(f'id="recent-{later.id}"')

    assert count_in(page, "failed-mail") == 2
    assert 'href="/organiser/mail/"' in row(page, "failed-mail")

    assert count_in(page, "draft-count") == 1
    assert f'href="/organiser/events/{draft.id}/edit"' in row(page, f"draft-{draft.id}")
    assert "Workshop KI im Handwerk" in row(page, f"draft-{draft.id}")
    assert f'id="draft-{past_draft.id}"' not in page

    english = client.get("/organiser/?lang=en").get_data(as_text=True)
    assert "Registrations in the last 7 days" in english


def add_events(count: int) -> list[Event]:
    events = []
    for _ in range(count):
        n = next(_numbers)
        starts = NOW + timedelta(days=1, hours=n)
        events.append(
            Event(
                kind=EventKind.WEBINAR,
                status=EventStatus.DRAFT if n % 3 == 0 else EventStatus.PUBLISHED,
                slug=f"bulk-{n}",
                title=f"Webinar {n}",
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                capacity=50,
            )
        )
    db.session.add_all(events)
    db.session.commit()
    return events


def add_registrations(events: list[Event], count: int) -> None:
    for n in range(count):
        event = events[n % len(events)]
        status = RegistrationStatus.WAITLISTED if n % 4 == 0 else RegistrationStatus.CONFIRMED
        key = f"bulk-{event.id}-{next(_numbers)}"
        registration = Registration(
            event_id=event.id,
            status=status,
            token_hash=hashlib.sha256(key.encode()).hexdigest(),
            company_name="Muster GmbH",
            contact_name="Anna",
            contact_email=f"{key}@firma.example",
            privacy_consent_at=NOW,
        )
        registration.attendees.append(
            Attendee(
                event_id=event.id,
                name="Anna",
                email=f"{key}@firma.example",
                email_normalized=f"{key}@firma.example",
            )
        )
        db.session.add(registration)
    db.session.flush()
    for event in events:
        recount_seats(db.session, event)
    db.session.commit()


def test_the_dashboard_takes_the_same_queries_for_5_and_300_events(
    app, client, organiser, count_queries
):
    def dashboard_queries() -> int:
        with count_queries() as queries:
            assert client.get("/organiser/").status_code == 200
        return len(queries)

    few = add_events(5)
    add_registrations(few, 10)
    small = dashboard_queries()

    add_registrations(few + add_events(295), 1000)
    assert db.session.scalar(select(db.func.count(Event.id))) == 300
    page = client.get("/organiser/").get_data(as_text=True)
    assert page.count('<tr id="event-') == 20
    assert "Alle 300 kommenden Veranstaltungen" in page
    assert dashboard_queries() == small
